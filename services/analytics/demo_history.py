"""Three years of demo history, built from the demo's own data for one day, so the history page
and its alerts run on the demo through the same code as on a kept history.

Pure: the caller passes the demo's parsed items and report for ``today`` (analytics may not
import the demo itself). The result is deterministic for a given ``today`` and ends on exactly
what the demo shows that day: balances run back from today's through the demo's own
transactions; before them (Plaid gives 24 months) the oldest year is replayed a year earlier;
one report a month is today's report as it stood that day, with a score path that dips where
the file changed and drops at the last pull.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import pandas as pd

from integrations.experian import codes
from integrations.models import (
    Account,
    CreditReport,
    ItemData,
    RiskScore,
    Tradeline,
    Transaction,
)
from services.analytics.alerts_from_history import SCORE_MOVE, report_change_alerts
from services.analytics.dates import add_months
from services.analytics.trends import AccountDay, ScoreReading, account_days_of, score_readings

HISTORY_MONTHS = 36
REPLAYED_PREFIX = "history-"  # ids of the transactions replayed before Plaid's window
LIMIT_CUT_DAYS_AGO = 19  # a card whose bureau limit is above the bank's had it cut this recently
_SEED = 15  # issue 15; mixed with the day so each day's demo differs, and repeats
# What each change on the file costs the demo score (points), and its monthly drift otherwise.
_SCORE_COST = {"hard_inquiry": 7, "new_tradeline": 5, "late_payment": 38, "derogatory_mark": 60}
_SCORE_DRIFT = (4.0, 4.0, -10.0, 15.0)  # mean, spread, floor, ceiling of an uneventful month


@dataclass(frozen=True)
class DemoHistory:
    """What a history store would hold for the demo person after three years."""

    days: tuple[AccountDay, ...]
    readings: tuple[ScoreReading, ...]
    reports: tuple[tuple[date, CreditReport], ...]
    transactions: tuple[Transaction, ...]


def demo_history(items: Sequence[ItemData], report: CreditReport, today: date) -> DemoHistory:
    rng = np.random.default_rng([_SEED, today.toordinal()])
    first_day = add_months(today, -HISTORY_MONTHS) + timedelta(days=1)
    kept = [t for item in items for t in item.transactions]
    transactions = (*_replayed_year(kept, rng), *kept)
    days = _account_history(items, report, transactions, first_day, today, rng)
    reports = _monthly_reports(report, today, rng)
    readings = tuple(r for pulled, rep in reports for r in score_readings(rep, pulled))
    return DemoHistory(days, readings, reports, transactions)


# --- Transactions ----------------------------------------------------------------------------


def _replayed_year(kept: Sequence[Transaction], rng: np.random.Generator) -> list[Transaction]:
    """The oldest posted year again, a year earlier and a little different: what a store
    started three years ago would hold beyond Plaid's 24 months."""
    posted = sorted((t for t in kept if not t.pending), key=lambda t: (t.date, t.transaction_id))
    if not posted:
        return []
    year_end = add_months(posted[0].date, 12)
    oldest = [t for t in posted if t.date < year_end]
    factors = rng.uniform(0.85, 1.1, size=len(oldest))
    return [
        replace(
            t,
            transaction_id=REPLAYED_PREFIX + t.transaction_id,
            amount=round(t.amount * float(factor), 2),
            date=add_months(t.date, -12),
            authorized_date=add_months(t.authorized_date, -12) if t.authorized_date else None,
            pending_transaction_id=None,
        )
        for t, factor in zip(oldest, factors, strict=True)
    ]


# --- Balances --------------------------------------------------------------------------------


def _balance_path(
    account: Account,
    transactions: Sequence[Transaction],
    days: pd.DatetimeIndex,
    replayed_until: date,
    rng: np.random.Generator,
) -> np.ndarray:
    """The account's balance each day, run back from today's through its posted transactions.

    Only the account's own currency moves it: a charge abroad has no rate here to convert by.
    Over the replayed year the path is bent so that it starts a little below where Plaid's
    window starts instead of running on with the window's trend."""
    own = [
        (t.date, t.amount)
        for t in transactions
        if t.account_id == account.account_id and not t.pending and t.currency == account.currency
    ]
    flows = pd.Series([a for _, a in own], index=pd.to_datetime([d for d, _ in own]), dtype=float)
    daily = flows.groupby(level=0).sum().reindex(days, fill_value=0.0).to_numpy()
    # A card's balance is what is owed: a charge (positive) raises it. An account holding money
    # loses what leaves it (positive) and gains what comes in.
    sign = 1.0 if account.type == "credit" else -1.0
    later = np.concatenate([np.cumsum(daily[::-1])[::-1][1:], [0.0]])
    path = (account.current or 0.0) - sign * later
    replayed = days < pd.Timestamp(replayed_until)
    if replayed.any():
        boundary = int(replayed.sum())
        start_target = path[boundary] * rng.uniform(0.8, 1.0)
        bend = np.linspace(start_target - path[0], 0.0, boundary, endpoint=False)
        path[:boundary] += bend
    return np.round(path, 2)


def _limit_before_cut(account: Account, report: CreditReport) -> float | None:
    """The limit the bureau still reports for this card when it is above the bank's: the demo
    reads it as the limit before a recent cut the bureau has not heard of yet."""
    if account.limit is None or not account.mask:
        return None
    bureau = [
        t.credit_limit
        for t in report.tradelines
        if t.account_number.endswith(account.mask) and t.credit_limit is not None
    ]
    higher = [limit for limit in bureau if limit > account.limit]
    return max(higher) if higher else None


def _account_history(
    items: Sequence[ItemData],
    report: CreditReport,
    transactions: Sequence[Transaction],
    first_day: date,
    today: date,
    rng: np.random.Generator,
) -> tuple[AccountDay, ...]:
    kept_from = min((t.date for item in items for t in item.transactions), default=today)
    calendar = pd.date_range(first_day, today, freq="D")
    accounts = [a for item in items for a in item.accounts]
    todays = {
        d.account_id: d
        for d in account_days_of(
            [i.item for i in items], accounts, [li for i in items for li in i.liabilities], today
        )
    }
    statements = {
        li.account_id: li.last_statement_issue_date for i in items for li in i.liabilities
    }
    cut_on = today - timedelta(days=LIMIT_CUT_DAYS_AGO)
    rows = []
    for account in accounts:
        latest = todays[account.account_id]
        path = _balance_path(account, transactions, calendar, kept_from, rng)
        earlier_limit = _limit_before_cut(account, report)
        statement_since = statements.get(account.account_id) or today
        for stamp, balance in zip(calendar, path, strict=True):
            day = stamp.date()
            row = replace(latest, day=day, balance=float(balance))
            if earlier_limit is not None and day < cut_on:
                row = replace(row, limit=earlier_limit)
            if day < statement_since:
                # Before this statement the card's statement figures were other ones.
                row = replace(
                    row, statement_balance=None, minimum_payment=None, next_payment_due=None
                )
            rows.append(latest if day == today else row)
    return tuple(sorted(rows, key=lambda d: (d.day, d.account_id)))


# --- Reports and scores ----------------------------------------------------------------------


def _tradeline_as_of(line: Tradeline, day: date) -> Tradeline:
    """The tradeline as a report pulled on ``day`` showed it: no months after that month, and
    still open if it closed later."""
    month = day.replace(day=1)
    gone = [m for m in line.payment_history if m.month > month]
    late = [m.days_late or 0 for m in gone if m.status == "late"]
    return replace(
        line,
        payment_history=tuple(m for m in line.payment_history if m.month <= month),
        is_open=line.is_open or (line.status_date is not None and day < line.status_date),
        delinquencies_30=max(line.delinquencies_30 - sum(d == 30 for d in late), 0),
        delinquencies_60=max(line.delinquencies_60 - sum(d == 60 for d in late), 0),
        delinquencies_90_plus=max(line.delinquencies_90_plus - sum(d >= 90 for d in late), 0),
    )


def _on_or_before(value: date | None, day: date) -> bool:
    return value is None or value <= day


def _report_as_of(report: CreditReport, day: date) -> CreditReport:
    return replace(
        report,
        report_date=day,
        tradelines=tuple(
            _tradeline_as_of(t, day) for t in report.tradelines if _on_or_before(t.open_date, day)
        ),
        inquiries=tuple(i for i in report.inquiries if _on_or_before(i.date, day)),
        public_records=tuple(r for r in report.public_records if _on_or_before(r.filing_date, day)),
    )


def _with_score(score: RiskScore, value: int) -> RiskScore:
    if value == score.score:
        return score
    model = codes.risk_model_info(score.model_indicator)
    value = min(max(value, score.min_score), score.max_score)
    return replace(score, score=value, band=codes.score_band(value, model), percentile=None)


def _score_moves(reports: Sequence[CreditReport], rng: np.random.Generator) -> list[int]:
    """Points each report's score moved from the one before it (oldest first): a drift up as
    the old bankruptcy ages, what each change on the file costs, and a drop at the last pull
    large enough to make an alert."""
    mean, spread, floor, ceiling = _SCORE_DRIFT
    moves = []
    for older, newer in pairwise(reports):
        drift = float(np.clip(rng.normal(mean, spread), floor, ceiling))
        cost = sum(_SCORE_COST.get(a.kind, 0) for a in report_change_alerts(older, newer, date.min))
        moves.append(round(drift) - cost)
    if moves:
        moves[-1] = min(moves[-1], -(SCORE_MOVE + int(rng.integers(1, 8))))
    return moves


def _monthly_reports(
    report: CreditReport, today: date, rng: np.random.Generator
) -> tuple[tuple[date, CreditReport], ...]:
    """A pull a month, oldest first, the last one today's report itself."""
    pulls = [add_months(today, -months) for months in range(HISTORY_MONTHS - 1, 0, -1)]
    as_of = [_report_as_of(report, day) for day in pulls] + [report]
    moves = _score_moves(as_of, rng)
    dated = []
    for index, (day, rep) in enumerate(zip([*pulls, today], as_of, strict=True)):
        later = sum(moves[index:])  # what the score moves from this pull to today's
        scores = tuple(_with_score(s, s.score - later) if s.score else s for s in rep.scores)
        dated.append((day, rep if rep is report else replace(rep, scores=scores)))
    return tuple(dated)
