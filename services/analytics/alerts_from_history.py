"""Change alerts from the kept history (traditional mode): what changed between one day, score
or report and the one before it, with the day it was seen and what the person can do.

Each change is found wherever it happened in the history; ``history_alerts`` keeps those seen
in the last ``ALERT_WINDOW_DAYS`` days (the overview), or all of them with ``window_days=None``.
Upstream text (creditor and bank names) goes into titles as plain text: the page renders it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from datetime import date, datetime, timedelta
from itertools import pairwise

import pandas as pd

from integrations.models import CreditReport, Inquiry, PaymentMonth, PublicRecord, Tradeline
from services.analytics.cards import HIGH_UTILIZATION, VERY_HIGH_UTILIZATION
from services.analytics.trends import (
    AccountDay,
    Alert,
    ScoreReading,
    account_days_frame,
    utilization_history_frame,
)

SCORE_MOVE = 20  # points between two readings of one model that make an alert
ALERT_WINDOW_DAYS = 30  # the overview shows changes seen this recently
# Crossing upward is news at the bands' own break points: 30% starts "High", 50% "Very high".
CROSSINGS = (HIGH_UTILIZATION, VERY_HIGH_UTILIZATION)
_LEVEL_ORDER = {"error": 0, "warning": 1, "info": 2}

_DISPUTE = (
    "If you did not apply for credit, dispute it with Experian and consider a credit freeze "
    "at all three bureaus."
)


def _money(amount: float, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _percent(ratio: float) -> str:
    # Cut, not rounded, to a tenth: 49.97% must not read as the 50% it has not reached.
    return f"{math.floor(ratio * 1000 + 1e-9) / 10:.1f}%"


def _as_day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- Scores ----------------------------------------------------------------------------------


def _score_alert(model: str, day: date, before: int, after: int) -> Alert:
    moved = after - before
    if moved > 0:
        return Alert(
            kind="score_up",
            day=day,
            title=f"{model} score up {moved} points to {after}",
            detail=f"From {before} at the reading before.",
            action="Nothing to do: keep balances low and paying on time to hold it.",
            level="info",
        )
    return Alert(
        kind="score_down",
        day=day,
        title=f"{model} score down {-moved} points to {after}",
        detail=f"From {before} at the reading before.",
        action="Look on the Credit report page for what changed: a new inquiry or account, a "
        "late mark, or higher card balances.",
        level="warning",
    )


def score_alerts(readings: Sequence[ScoreReading]) -> list[Alert]:
    """A move of ``SCORE_MOVE`` points or more between two readings of the same model."""
    last_of_day = {(r.model, r.day): r.score for r in readings}
    by_model: dict[str, list[tuple[date, int]]] = {}
    for (model, day), score in sorted(last_of_day.items()):
        by_model.setdefault(model, []).append((day, score))
    return [
        _score_alert(model, day, before, after)
        for model, series in by_model.items()
        for (_, before), (day, after) in pairwise(series)
        if abs(after - before) >= SCORE_MOVE
    ]


# --- Reports ---------------------------------------------------------------------------------


def _new(older: Iterable[Hashable], newer: Iterable[Hashable]) -> Counter[Hashable]:
    """What ``newer`` holds that ``older`` did not, counting repeats (two identical inquiries
    are two applications)."""
    return Counter(newer) - Counter(older)


def _inquiry_key(i: Inquiry) -> tuple[object, ...]:
    return (i.date, i.subscriber_name, i.type_code)


def _tradeline_key(t: Tradeline) -> tuple[object, ...]:
    return (t.creditor, t.account_number, t.account_type_code, t.open_date)


def _record_key(r: PublicRecord) -> tuple[object, ...]:
    # Not the status: a record whose status changes (filed, then discharged) is not a new one.
    return (r.court_name, r.filing_date, r.amount)


def _inquiry_alert(inquiry: Inquiry, day: date) -> Alert:
    when = f"{inquiry.date:%b %d, %Y}" if inquiry.date else "an unknown date"
    return Alert(
        kind="hard_inquiry",
        day=day,
        title=f"New hard inquiry from {inquiry.subscriber_name}",
        detail=f"Dated {when} ({inquiry.kind_of_business or 'kind of business not given'}).",
        action=_DISPUTE,
        level="warning",
    )


def _tradeline_alert(line: Tradeline, day: date) -> Alert:
    opened = f"opened {line.open_date:%b %d, %Y}" if line.open_date else "opening date not given"
    return Alert(
        kind="new_tradeline",
        day=day,
        title=f"New account on your credit file: {line.creditor} {line.account_number}".strip(),
        detail=f"{line.account_type}, {opened}.",
        action="If you did not open it, dispute it with Experian and the lender, and consider "
        "a credit freeze.",
        level="warning",
    )


def _severity(month: PaymentMonth | None) -> int:
    """How bad a month reads: a derogatory mark worst, then more days late."""
    if month is None or month.status not in ("late", "derogatory"):
        return 0
    return 1000 if month.status == "derogatory" else 1 + (month.days_late or 0)


def _worse_months(before: Tradeline | None, after: Tradeline) -> list[PaymentMonth]:
    """Months reported late or worse now that were not (or were less late) before."""
    if before is None:
        return [m for m in after.payment_history if _severity(m) > 0]
    earlier = {m.month: m for m in before.payment_history}
    # A month older than any the earlier report showed is old news come into view, not new.
    oldest = min(earlier, default=date.max)
    return [
        m
        for m in after.payment_history
        if m.month >= oldest and _severity(m) > _severity(earlier.get(m.month))
    ]


def _late_alert(line: Tradeline, months: list[PaymentMonth], day: date) -> Alert:
    newest = max(months, key=lambda m: m.month)
    derogatory = any(m.status == "derogatory" for m in months)
    more = f" and {len(months) - 1} more month(s)" if len(months) > 1 else ""
    return Alert(
        kind="derogatory_mark" if derogatory else "late_payment",
        day=day,
        title=f"New {'derogatory' if derogatory else 'late'} mark on {line.creditor} "
        f"{line.account_number}".strip(),
        detail=f"{newest.label} for {newest.month:%b %Y}{more}.",
        action="If it is wrong, dispute it with Experian and the lender; if it is right, bring "
        "the account current and ask the lender about a goodwill adjustment.",
        level="error" if derogatory else "warning",
    )


def _record_alert(record: PublicRecord, day: date) -> Alert:
    filed = (
        f"filed {record.filing_date:%b %d, %Y}" if record.filing_date else "filing date not given"
    )
    return Alert(
        kind="public_record",
        day=day,
        title=f"New public record on your credit file: {record.court_name}",
        detail=f"{record.status}, {filed}.",
        action="Check that it is yours and correct; if not, dispute it with Experian.",
        level="error",
    )


def _new_inquiry_alerts(older: CreditReport, newer: CreditReport, day: date) -> list[Alert]:
    hard = [i for i in newer.inquiries if i.kind == "hard"]
    by_key = {_inquiry_key(i): i for i in hard}
    # Against every older inquiry, not only hard ones: one re-read as hard is not a new one.
    found = _new(map(_inquiry_key, older.inquiries), map(_inquiry_key, hard))
    return [_inquiry_alert(by_key[k], day) for k in found.elements()]


def _new_tradeline_alerts(older: CreditReport, newer: CreditReport, day: date) -> list[Alert]:
    lines = {_tradeline_key(t): t for t in newer.tradelines}
    found = _new(map(_tradeline_key, older.tradelines), map(_tradeline_key, newer.tradelines))
    return [_tradeline_alert(lines[k], day) for k in found.elements()]


def _new_mark_alerts(older: CreditReport, newer: CreditReport, day: date) -> list[Alert]:
    before = {_tradeline_key(t): t for t in older.tradelines}
    return [
        _late_alert(line, worse, day)
        for line in newer.tradelines
        if (worse := _worse_months(before.get(_tradeline_key(line)), line))
    ]


def _new_record_alerts(older: CreditReport, newer: CreditReport, day: date) -> list[Alert]:
    records = {_record_key(r): r for r in newer.public_records}
    found = _new(map(_record_key, older.public_records), map(_record_key, newer.public_records))
    return [_record_alert(records[k], day) for k in found.elements()]


def report_change_alerts(older: CreditReport, newer: CreditReport, day: date) -> list[Alert]:
    """What ``newer`` adds to the file since ``older``: hard inquiries, accounts, late or
    derogatory months and public records."""
    return [
        *_new_inquiry_alerts(older, newer, day),
        *_new_tradeline_alerts(older, newer, day),
        *_new_mark_alerts(older, newer, day),
        *_new_record_alerts(older, newer, day),
    ]


def reports_alerts(reports: Sequence[tuple[date, CreditReport]]) -> list[Alert]:
    """Each report against the one pulled before it; the first report has nothing to compare."""
    ordered = sorted(((_as_day(pulled), report) for pulled, report in reports), key=lambda p: p[0])
    return [
        alert
        for (_, older), (day, newer) in pairwise(ordered)
        for alert in report_change_alerts(older, newer, day)
    ]


# --- Accounts --------------------------------------------------------------------------------


def _limit_cut_alerts(cards: pd.DataFrame) -> list[Alert]:
    cut = cards[cards["limit"] < cards["previous_limit"]]
    return [
        Alert(
            kind="limit_cut",
            day=day.date(),
            title=f"{card}: credit limit cut to {_money(limit, currency)}",
            detail=f"It was {_money(before, currency)} when last seen, on {seen:%b %d, %Y}. "
            "The same balance is now a larger share of the limit.",
            action="Ask the issuer why; pay the balance down or move spending to another card "
            "to keep utilization low.",
            level="warning",
        )
        for day, card, currency, limit, before, seen in cut[
            ["day", "card", "currency", "limit", "previous_limit", "previous_day"]
        ].itertuples(index=False)
    ]


def _band(ratio: pd.Series) -> pd.Series:
    """How many crossing points a utilization is at or above (30% counts as crossed)."""
    return sum((ratio >= point).astype("int64") for point in CROSSINGS)


def _crossing_alert(subject: str, day: date, before: float, after: float) -> Alert:
    if after > before:
        point = max(p for p in CROSSINGS if before < p <= after)
        return Alert(
            kind="utilization_up",
            day=day,
            title=f"{subject} utilization crossed {point:.0%}",
            detail=f"Up from {_percent(before)} to {_percent(after)}.",
            action="Pay down before the statement closes: the balance on the statement is what "
            "the bureaus see.",
            level="error" if point >= VERY_HIGH_UTILIZATION else "warning",
        )
    point = min(p for p in CROSSINGS if after < p <= before)
    return Alert(
        kind="utilization_down",
        day=day,
        title=f"{subject} utilization fell below {point:.0%}",
        detail=f"Down from {_percent(before)} to {_percent(after)}.",
        action="Nothing to do: scores read this at the next statement.",
        level="info",
    )


def _crossing_alerts(series: pd.DataFrame, key: str, since: date | None) -> list[Alert]:
    """Days a utilization moved across a break point. With ``since``, only each series' newest
    crossing after it: a balance swinging around 50% through the month says once where it
    stands now, not every swing."""
    known = series["utilization"].notna() & series["previous_utilization"].notna()
    moved = series[known & (_band(series["utilization"]) != _band(series["previous_utilization"]))]
    if since is not None:
        moved = moved[moved["day"] > pd.Timestamp(since)]
        moved = moved.sort_values("day", kind="stable").drop_duplicates(key, keep="last")
    return [
        _crossing_alert(subject, day.date(), before, after)
        for day, subject, before, after in moved[
            ["day", "card", "previous_utilization", "utilization"]
        ].itertuples(index=False)
    ]


def _with_previous(frame: pd.DataFrame, series: list[str]) -> pd.DataFrame:
    """Each row with the same series' row before it (the last day it was seen)."""
    ordered = frame.sort_values([*series, "day"], kind="stable")
    previous = ordered.groupby(series, sort=False)[["day", "limit", "utilization"]].shift()
    return ordered.assign(
        previous_day=previous["day"],
        previous_limit=previous["limit"],
        previous_utilization=previous["utilization"],
    )


def card_alerts(days: Sequence[AccountDay], since: date | None = None) -> list[Alert]:
    """Limit cuts, and utilization crossing 30% or 50% either way, per card and overall (per
    currency); with ``since``, each one's newest crossing after that day."""
    frame = utilization_history_frame(days)
    overall = frame["account_id"].isna()
    cards = _with_previous(frame[~overall], ["account_id"])
    totals = _with_previous(frame[overall], ["currency"])
    return [
        *_limit_cut_alerts(cards),
        *_crossing_alerts(cards, "account_id", since),
        *_crossing_alerts(totals, "currency", since),
    ]


def new_account_alerts(days: Sequence[AccountDay]) -> list[Alert]:
    """An account seen for the first time at a bank already in the history. A bank connected
    later brings its accounts along: those the person just linked, not news."""
    frame = account_days_frame(days)
    firsts = frame.drop_duplicates("account_id")  # the frame is oldest first
    bank_since = frame.groupby("item_id")["day"].min()
    new = firsts[firsts["day"] > firsts["item_id"].map(bank_since)]
    return [
        Alert(
            kind="new_account",
            day=day.date(),
            title=f"New account at {bank}: {label}",
            detail=f"First seen on {day:%b %d, %Y}.",
            action="If you did not open it, call the bank on the number on its website.",
            level="warning",
        )
        for day, bank, label in new[["day", "bank", "label"]].itertuples(index=False)
    ]


# --- Everything, for the overview ------------------------------------------------------------


def _newest_first(alert: Alert) -> tuple[object, ...]:
    return (-alert.day.toordinal(), _LEVEL_ORDER[alert.level], alert.kind, alert.title)


def history_alerts(
    days: Sequence[AccountDay],
    readings: Sequence[ScoreReading],
    reports: Sequence[tuple[date, CreditReport]],
    today: date,
    window_days: int | None = ALERT_WINDOW_DAYS,
) -> tuple[Alert, ...]:
    """Every change the history shows up to ``today``, seen in the last ``window_days`` days
    (all of them with None), newest first, then most serious first."""
    since = None if window_days is None else today - timedelta(days=window_days)
    # Crossings are judged up to today only, so a later day cannot hide today's standing.
    days = [d for d in days if d.day <= today]
    found = score_alerts(readings) + reports_alerts(reports)
    if days:
        found += card_alerts(days, since) + new_account_alerts(days)
    start = since or date.min
    return tuple(sorted((a for a in found if start < a.day <= today), key=_newest_first))
