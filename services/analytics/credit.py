"""Credit report analytics over the parsed report: pure functions, no Streamlit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import pandas as pd

from integrations.experian import codes
from integrations.models import CreditReport, Inquiry, PaymentMonth, Tradeline
from services.analytics.dates import add_months

RECENT_INQUIRY_DAYS = 30
HARD_INQUIRY_MONTHS = 24
RECENT_LATE_MONTHS = 24


def hard_inquiry_expiry(inquiry: Inquiry) -> date | None:
    """When a hard inquiry stops appearing on the report (about 24 months after it)."""
    return add_months(inquiry.date, HARD_INQUIRY_MONTHS) if inquiry.date else None


def recent_hard_inquiries(
    report: CreditReport, today: date, days: int = RECENT_INQUIRY_DAYS
) -> tuple[Inquiry, ...]:
    since = today - timedelta(days=days)
    return tuple(
        i for i in report.inquiries if i.kind == "hard" and i.date is not None and i.date >= since
    )


@dataclass(frozen=True)
class LatePayment:
    creditor: str
    account_number: str
    month: PaymentMonth


def recent_late_payments(
    report: CreditReport, today: date, months: int = RECENT_LATE_MONTHS
) -> tuple[LatePayment, ...]:
    """The newest late month of each account, when it is recent enough to weigh on scores."""
    since = add_months(today.replace(day=1), -months)
    newest: dict[tuple[str, str], LatePayment] = {}
    for late in late_payments(report):
        key = (late.creditor, late.account_number)
        if late.month.month >= since and key not in newest:
            newest[key] = late
    return tuple(newest.values())


def late_payments(report: CreditReport) -> tuple[LatePayment, ...]:
    """Every month any tradeline was reported late or worse, newest first."""
    found = [
        LatePayment(t.creditor, t.account_number, m)
        for t in report.tradelines
        for m in t.late_months
    ]
    return tuple(sorted(found, key=lambda late: late.month.month, reverse=True))


TRADELINE_COLUMNS = (
    "creditor",
    "account_number",
    "type",
    "kind",
    "status",
    "open",
    "opened",
    "balance",
    "credit_limit",
    "high_balance",
    "original_amount",
    "monthly_payment",
    "balance_date",
    "late_30",
    "late_60",
    "late_90_plus",
)


def _tradeline_row(t: Tradeline) -> dict[str, object]:
    return {
        "creditor": t.creditor,
        "account_number": t.account_number,
        "type": t.account_type,
        "kind": t.kind,
        "status": t.status,
        "open": t.is_open,
        "opened": t.open_date,
        "balance": t.balance,
        "credit_limit": t.credit_limit,
        "high_balance": t.high_balance,
        "original_amount": t.original_amount,
        "monthly_payment": t.monthly_payment,
        "balance_date": t.balance_date,
        "late_30": t.delinquencies_30,
        "late_60": t.delinquencies_60,
        "late_90_plus": t.delinquencies_90_plus,
    }


def tradelines_frame(report: CreditReport) -> pd.DataFrame:
    frame = pd.DataFrame([_tradeline_row(t) for t in report.tradelines], columns=TRADELINE_COLUMNS)
    for column in ("balance", "credit_limit", "high_balance", "original_amount", "monthly_payment"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


# --- Account summary ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountSummary:
    """Counts and totals of the accounts on file, from the bureau's own numbers.

    Balances and limits cover open accounts only: a closed account's limit no longer counts
    as available credit. Utilization takes the open revolving accounts that report a limit;
    a balance on an account without one (a charge card) has nothing to be divided by.
    """

    accounts: int
    open_accounts: int
    closed_accounts: int
    open_revolving: int
    open_installment: int
    revolving_balance: float
    revolving_balance_with_limit: float  # what "utilization on file" divides: accounts with a limit
    revolving_limit: float
    revolving_utilization: float | None
    installment_balance: float
    installment_original: float
    total_balance: float


def _total(values: Iterable[float | None]) -> float:
    return float(sum(v for v in values if v is not None))


def account_summary(report: CreditReport) -> AccountSummary:
    open_lines = [t for t in report.tradelines if t.is_open]
    revolving = [t for t in open_lines if t.kind == "revolving"]
    installment = [t for t in open_lines if t.kind == "installment"]
    with_limit = [t for t in revolving if t.credit_limit is not None and t.credit_limit > 0]
    limit = _total(t.credit_limit for t in with_limit)
    return AccountSummary(
        accounts=len(report.tradelines),
        open_accounts=len(open_lines),
        closed_accounts=len(report.tradelines) - len(open_lines),
        open_revolving=len(revolving),
        open_installment=len(installment),
        revolving_balance=_total(t.balance for t in revolving),
        revolving_balance_with_limit=_total(t.balance for t in with_limit),
        revolving_limit=limit,
        revolving_utilization=(_total(t.balance for t in with_limit) / limit if limit else None),
        installment_balance=_total(t.balance for t in installment),
        installment_original=_total(t.original_amount for t in installment),
        total_balance=_total(t.balance for t in open_lines),
    )


# --- Tradeline filters -------------------------------------------------------------------------

TradelineStatus = Literal["all", "open", "closed"]


def filter_tradelines(
    frame: pd.DataFrame,
    status: TradelineStatus = "all",
    types: Sequence[str] = (),
    creditors: Sequence[str] = (),
) -> pd.DataFrame:
    """The tradelines (a `tradelines_frame`) that pass every filter; an empty list means any."""
    keep = pd.Series(True, index=frame.index)
    if status != "all":
        keep &= frame["open"] == (status == "open")
    if types:
        keep &= frame["type"].isin(list(types))
    if creditors:
        keep &= frame["creditor"].isin(list(creditors))
    return frame[keep]


# --- Payment history ---------------------------------------------------------------------------

RECENT_HISTORY_MONTHS = 24
FULL_HISTORY_MONTHS = 84
PAYMENT_HISTORY_COLUMNS = ("account", "month", "period", "status", "label", "code")


def account_labels(report: CreditReport) -> tuple[str, ...]:
    """One distinct label per tradeline: creditor and masked number, numbered when repeated."""
    bases = [f"{t.creditor} {t.account_number}".strip() for t in report.tradelines]
    totals = Counter(bases)
    seen: Counter[str] = Counter()
    labels = []
    for base in bases:
        seen[base] += 1
        labels.append(base if totals[base] == 1 else f"{base} ({seen[base]})")
    return tuple(labels)


def history_anchor(report: CreditReport) -> date | None:
    """The month the grid ends on: the report's month, else the newest month reported."""
    if report.report_date is not None:
        return report.report_date.replace(day=1)
    months = [m.month for t in report.tradelines for m in t.payment_history]
    return max(months).replace(day=1) if months else None


def history_depth(report: CreditReport) -> int:
    """How many months of history the longest tradeline carries."""
    return max((len(t.payment_history) for t in report.tradelines), default=0)


def payment_history_frame(report: CreditReport, months: int) -> pd.DataFrame:
    """One row per account and month over the last `months` months up to the report's month.

    Months an account has no history for (before it opened, after it closed) have no row: the
    grid shows them blank rather than inventing a status.
    """
    anchor = history_anchor(report)
    rows = []
    if anchor is not None:
        first = add_months(anchor, -(months - 1))
        for label, line in zip(account_labels(report), report.tradelines, strict=True):
            rows.extend(
                {
                    "account": label,
                    "month": m.month,
                    "period": f"{m.month:%Y-%m}",
                    "status": m.status,
                    "label": m.label,
                    "code": m.code,
                }
                for m in line.payment_history
                if m.month >= first
            )
    return pd.DataFrame(rows, columns=list(PAYMENT_HISTORY_COLUMNS))


# --- Inquiries and public records --------------------------------------------------------------

INQUIRY_COLUMNS = ("date", "company", "business", "purpose", "kind", "stops_counting")


def inquiries_frame(report: CreditReport) -> pd.DataFrame:
    """Every inquiry, newest first; hard ones with the date they stop counting."""
    rows = [
        {
            "date": i.date,
            "company": i.subscriber_name,
            "business": i.kind_of_business,
            "purpose": codes.inquiry_type_label(i.type_code),
            "kind": i.kind,
            "stops_counting": hard_inquiry_expiry(i) if i.kind == "hard" else None,
        }
        for i in sorted(report.inquiries, key=lambda i: i.date or date.min, reverse=True)
    ]
    return pd.DataFrame(rows, columns=list(INQUIRY_COLUMNS))


@dataclass(frozen=True)
class InquiryCounts:
    hard: int
    soft: int
    unknown: int
    hard_still_counting: int
    next_drop_off: date | None  # the earliest date a counting hard inquiry drops off


def inquiry_counts(report: CreditReport, today: date) -> InquiryCounts:
    kinds = [i.kind for i in report.inquiries]
    hard = [i for i in report.inquiries if i.kind == "hard"]
    counting = [e for i in hard if (e := hard_inquiry_expiry(i)) is not None and e > today]
    return InquiryCounts(
        hard=len(hard),
        soft=kinds.count("soft"),
        unknown=kinds.count("unknown"),
        hard_still_counting=len(counting),
        next_drop_off=min(counting, default=None),
    )


PUBLIC_RECORD_COLUMNS = ("filed", "court", "status", "status_date", "amount", "plaintiff")


def public_records_frame(report: CreditReport) -> pd.DataFrame:
    rows = [
        {
            "filed": r.filing_date,
            "court": r.court_name,
            "status": r.status,
            "status_date": r.status_date,
            "amount": r.amount,
            "plaintiff": r.plaintiff,
        }
        for r in report.public_records
    ]
    frame = pd.DataFrame(rows, columns=list(PUBLIC_RECORD_COLUMNS))
    frame["amount"] = pd.to_numeric(frame["amount"], errors="coerce").astype("float64")
    return frame
