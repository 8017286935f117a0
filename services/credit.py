"""Credit report analytics over the parsed report."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from integrations.models import CreditReport, Inquiry, PaymentMonth, Tradeline

RECENT_INQUIRY_DAYS = 30
HARD_INQUIRY_MONTHS = 24


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the end of a shorter month."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(day.day, last_day))


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
