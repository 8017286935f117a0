"""The alerts list on the overview: what needs attention, most urgent first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Literal

import pandas as pd

from integrations.models import CreditReport, Item
from services.analytics.cards import (
    AWAITING_ISSUER,
    DUE_SOON_DAYS,
    HIGH_UTILIZATION,
    VERY_HIGH_UTILIZATION,
    PassedDueDate,
    UtilizationTotal,
    passed_due_dates,
    upcoming_payments,
)
from services.analytics.consent import ConsentExpiry, consent_expiries
from services.analytics.credit import recent_hard_inquiries, recent_late_payments
from services.analytics.loans import AWAITING_LENDER, LoanDue, loan_payments, paid_for_due_month
from services.analytics.unusual import DUPLICATE, FAR_ABOVE, NEW_MERCHANT, recent
from services.views.format import card_label, day, days_left, money, percent

Severity = Literal["error", "warning", "info"]
_ORDER = {"error": 0, "warning": 1, "info": 2}
UNUSUAL_ALERT_DAYS = 30  # older unusual charges are on the transactions page, not alerts
UNUSUAL_ALERTS_SHOWN = 5


@dataclass(frozen=True)
class Alert:
    severity: Severity
    kind: str
    title: str
    detail: str


def _utilization_alert(subject: str, ratio: float | None, kind: str) -> Alert | None:
    # The same break points as the bands on screen: 30% starts "High", 50% "Very high".
    if ratio is None or pd.isna(ratio) or ratio < HIGH_UTILIZATION:
        return None
    severe = ratio >= VERY_HIGH_UTILIZATION
    limit = VERY_HIGH_UTILIZATION if severe else HIGH_UTILIZATION
    return Alert(
        severity="error" if severe else "warning",
        kind=kind,
        title=f"{subject} is {percent(ratio)}",
        detail=f"{percent(limit)} or more; paying down before the statement closes helps "
        "your score.",
    )


def utilization_alerts(cards: pd.DataFrame, totals: Sequence[UtilizationTotal]) -> list[Alert]:
    alerts = [
        _utilization_alert(f"{card_label(card, mask)} utilization", ratio, "card_utilization")
        for card, mask, ratio in cards[["card", "mask", "utilization"]].itertuples(index=False)
    ]
    alerts += [
        _utilization_alert(
            "Overall utilization" + (f" ({t.currency})" if len(totals) > 1 else ""),
            t.utilization,
            "overall_utilization",
        )
        for t in totals
    ]
    return [a for a in alerts if a is not None]


def _awaiting_issuer_alert(passed: PassedDueDate) -> Alert:
    """A due date passed that the issuer does not call overdue: information, not an error
    (the Cards table's Status and Bills ahead say the same)."""
    minimum = passed.minimum_payment
    what = f"The {money(minimum, passed.currency)} minimum" if minimum else "A payment"
    paid = passed.last_payment_date
    if passed.looks_paid and paid is not None:
        amount = passed.last_payment_amount
        last = f"A {money(amount, passed.currency)}" if amount else "A"
        said = f"{last} payment on {paid:%b %d} is reported, so it looks paid."
    elif passed.looks_paid:
        said = "The statement asked for nothing, so nothing is owed."
    else:
        statement = passed.statement_date
        since = f"the statement of {statement:%b %d}" if statement else "the last statement"
        said = (
            f"No payment of at least the minimum since {since} is reported: if you have not "
            "paid it, pay it now."
        )
    return Alert(
        "info",
        "card_awaiting_issuer",
        f"{card_label(passed.card, passed.mask)}: {AWAITING_ISSUER}",
        f"{what} was due on {passed.due_date:%b %d} and the issuer does not report it "
        f"overdue. {said}",
    )


def payment_alerts(cards: pd.DataFrame) -> list[Alert]:
    """Cards the issuer calls overdue, payments due within ``DUE_SOON_DAYS``, and due dates
    passed that the issuer does not call overdue (yet). Overdue is what the issuer says
    (``is_overdue``), never our guess from the date."""
    alerts = []
    for due in upcoming_payments(cards):
        label = card_label(due.card, due.mask)
        minimum = money(due.minimum_payment, due.currency) if due.minimum_payment else None
        if due.overdue:
            alerts.append(
                Alert(
                    "error",
                    "overdue",
                    f"{label} payment is overdue",
                    f"{minimum or 'A payment'} was due on {due.due_date:%b %d}; pay now to "
                    "limit fees and avoid a late mark at 30 days.",
                )
            )
        elif due.days_left <= DUE_SOON_DAYS:
            when = "today" if due.days_left == 0 else f"in {due.days_left} days"
            alerts.append(
                Alert(
                    "warning",
                    "due_soon",
                    f"{label} payment due {when}",
                    f"Minimum {minimum} due on {due.due_date:%b %d}."
                    if minimum
                    else f"A payment is due on {due.due_date:%b %d}.",
                )
            )
    return alerts + [_awaiting_issuer_alert(p) for p in passed_due_dates(cards)]


def _loan_label(due: LoanDue) -> str:
    return card_label(due.loan, due.mask)


def _overdue_loan_alert(due: LoanDue) -> Alert:
    owed = due.past_due_amount or due.amount
    what = money(owed, due.currency) if owed else "A payment"
    missed = due.due_date is not None and due.days_left is not None and due.days_left < 0
    when = f" was due on {due.due_date:%b %d}" if missed else " is past due"
    return Alert(
        "error",
        "loan_overdue",
        f"{_loan_label(due)} payment is overdue",
        f"{what}{when}. Pay it now or call the servicer: a payment 30 days late is reported "
        "to the credit bureaus, and a servicer can often move a due date or offer a plan.",
    )


def _awaiting_lender_alert(due: LoanDue, due_date: date) -> Alert:
    """A due date passed that the lender does not call overdue: information, not an error
    (the Accounts page and Bills ahead say the same)."""
    what = money(due.amount, due.currency) if due.amount else "A payment"
    paid = due.last_payment_date
    if paid is not None and paid_for_due_month(paid, due_date):
        amount = due.last_payment_amount
        last = f"A {money(amount, due.currency)}" if amount else "A"
        said = f"{last} payment on {paid:%b %d} is reported, so it looks paid."
    else:
        since = due_date.replace(day=1)
        said = f"No payment since {since:%b %d} is reported: if you have not paid it, pay it now."
    return Alert(
        "info",
        "loan_awaiting_lender",
        f"{_loan_label(due)}: {AWAITING_LENDER}",
        f"{what} was due on {due_date:%b %d} and the lender does not report it overdue. {said}",
    )


def loan_alerts(loans: pd.DataFrame) -> list[Alert]:
    """Loans the lender calls overdue, due dates passed that it does not (yet), and loan
    payments due within ``DUE_SOON_DAYS``."""
    alerts = []
    for due in loan_payments(loans):
        if due.overdue:
            alerts.append(_overdue_loan_alert(due))
        elif due.awaiting_lender and due.due_date is not None:
            alerts.append(_awaiting_lender_alert(due, due.due_date))
        elif due.days_left is not None and due.days_left <= DUE_SOON_DAYS:
            when = "today" if due.days_left == 0 else f"in {due.days_left} days"
            amount = money(due.amount, due.currency) if due.amount else "A payment"
            alerts.append(
                Alert(
                    "warning",
                    "loan_due_soon",
                    f"{_loan_label(due)} payment due {when}",
                    f"{amount} due on {due.due_date:%b %d}. Make sure the account it is paid "
                    "from holds it by then (or pay it on the servicer's site).",
                )
            )
    return alerts


def credit_report_alerts(report: CreditReport | None, today: date) -> list[Alert]:
    if report is None:
        return []
    alerts = [
        Alert(
            "warning",
            "hard_inquiry",
            f"New hard inquiry from {inquiry.subscriber_name}",
            f"On {inquiry.date:%b %d, %Y}. If you did not apply for credit, dispute it.",
        )
        for inquiry in recent_hard_inquiries(report, today)
    ]
    alerts += [
        Alert(
            "warning",
            "late_payment",
            f"Late payment reported on {late.creditor}",
            f"{late.month.label} in {late.month.month:%b %Y}. The full history is on the "
            "Credit report page.",
        )
        for late in recent_late_payments(report, today)
    ]
    return alerts


def _unusual_alert(finding: pd.Series) -> Alert:
    merchant, currency = str(finding["merchant"]), str(finding["currency"])
    amount = money(finding["amount"], currency)
    when = day(finding["date"])
    if finding["kind"] == DUPLICATE:
        return Alert(
            "warning",
            "duplicate_charge",
            f"Possible duplicate charge at {merchant}",
            f"{amount} on {day(finding['first_charge_date'])} and again on {when}. If you "
            "were charged twice, ask the merchant or your card issuer to reverse one.",
        )
    if finding["kind"] == FAR_ABOVE:
        usual = money(finding["usual_amount"], currency)
        where = "at this merchant" if finding["compared_with"] == "merchant" else "for its kind"
        return Alert(
            "warning",
            "unusual_amount",
            f"Unusually large charge at {merchant}",
            f"{amount} on {when}, against a usual {usual} {where}. Check that it is yours.",
        )
    return Alert(
        "info",
        "new_merchant",
        f"Large first charge at {merchant}",
        f"{amount} on {when} at a merchant you had not paid before. Check that it is yours.",
    )


def unusual_activity_alerts(findings: pd.DataFrame, today: date) -> list[Alert]:
    """Alerts for the unusual charges of the last ``UNUSUAL_ALERT_DAYS`` days, newest first:
    the latest few each on their own, the rest counted (dozens would bury everything else)."""
    latest = recent(findings, today, UNUSUAL_ALERT_DAYS)
    known = latest[latest["kind"].isin((DUPLICATE, FAR_ABOVE, NEW_MERCHANT))]
    alerts = [_unusual_alert(row) for _, row in known.head(UNUSUAL_ALERTS_SHOWN).iterrows()]
    more = len(known) - UNUSUAL_ALERTS_SHOWN
    if more > 0:
        alerts.append(
            Alert(
                "info",
                "more_unusual",
                f"{more} more unusual charge{'s' if more > 1 else ''} in the last "
                f"{UNUSUAL_ALERT_DAYS} days",
                "They are listed under Unusual activity on the Transactions page.",
            )
        )
    return alerts


def _consent_alert(expiry: ConsentExpiry) -> Alert:
    when = day(expiry.expires_on)
    if expiry.days_left < 0:
        return Alert(
            "error",
            "consent_expired",
            f"{expiry.bank}'s connection expired on {when}",
            "The bank no longer shares new data with this app; sign in again on Setup to renew it.",
        )
    return Alert(
        "warning",
        "consent_expiring",
        f"{expiry.bank}'s connection expires on {when} ({days_left(expiry.days_left)})",
        "After that the bank stops sharing new data; sign in again on Setup to renew it.",
    )


def consent_alerts(items: Sequence[Item], today: date, zone: tzinfo) -> list[Alert]:
    """Banks whose consent lapses soon or has lapsed, the days counted in ``zone``."""
    return [_consent_alert(e) for e in consent_expiries(items, today, zone)]


def build_alerts(
    cards: pd.DataFrame,
    totals: Sequence[UtilizationTotal],
    report: CreditReport | None,
    today: date,
    unusual: pd.DataFrame | None = None,
    items: Sequence[Item] = (),
    zone: tzinfo = UTC,
    loans: pd.DataFrame | None = None,
) -> list[Alert]:
    """Everything that needs attention, errors first; ``loans`` is
    ``services.analytics.loans.loans_frame``; ``unusual`` is what
    ``services.analytics.unusual.find_unusual`` found, computed once per fetch by the caller;
    ``zone`` is the person's, in which a bank's consent lapses on one day or the next."""
    alerts = consent_alerts(items, today, zone)
    alerts += payment_alerts(cards) + utilization_alerts(cards, totals)
    if loans is not None:
        alerts += loan_alerts(loans)
    alerts += credit_report_alerts(report, today)
    if unusual is not None:
        alerts += unusual_activity_alerts(unusual, today)
    return sorted(alerts, key=lambda a: _ORDER[a.severity])


# What Plaid's webhooks said about a bank (services.runtime.webhook_events), by notice kind.
BANK_NEWS: dict[str, tuple[Severity, str, str]] = {
    "login_required": (
        "error",
        "{bank} needs you to sign in again",
        "Your bank will not share new data until you sign in again (Setup, Sign in again).",
    ),
    "pending_disconnect": (
        "warning",
        "{bank} will disconnect soon",
        "Your bank is about to stop sharing data with this app; sign in again on Setup to "
        "keep it connected.",
    ),
    "pending_expiration": (
        "warning",
        "{bank}'s consent expires soon",
        "Sign in again on Setup to renew it, or new data stops when it expires.",
    ),
    "permission_revoked": (
        "error",
        "{bank} no longer shares data",
        "Permission was withdrawn at the bank or at Plaid; connect it again on Setup to see "
        "new data.",
    ),
    "new_accounts": (
        "info",
        "{bank} has new accounts",
        "Choose them in Plaid Link with the button below to see them here.",
    ),
}


def bank_news_alert(kind: str, bank: str, since: datetime) -> Alert | None:
    """An alert for what a webhook said about a bank; None for a kind without one."""
    if kind not in BANK_NEWS:
        return None
    severity, title, detail = BANK_NEWS[kind]
    return Alert(severity, f"bank_{kind}", title.format(bank=bank), f"{detail} Since {day(since)}.")
