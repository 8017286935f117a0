"""Accounts at a glance: cash accounts and loans as tables, and what each loan asks next.

A loan's balance is on its account (Plaid's type "loan"); what it asks for next, its rate and
its status come from /liabilities/get (``LoanLiability``). A loan account Plaid sends no
liability for is still listed, with what its account says. Amounts stay in their currency;
totals are per currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from integrations.models import Account, Item, LoanLiability
from services.analytics.worth import DEPOSITORY, LOAN

CASH_COLUMNS = (
    "account_id",
    "institution",
    "account",
    "mask",
    "subtype",
    "current",
    "available",
    "currency",
)
LOAN_COLUMNS = (
    "account_id",
    "institution",
    "loan",
    "mask",
    "kind",
    "currency",
    "balance",
    "interest_rate",
    "next_payment",
    "due_date",
    "days_left",
    "status",
    "overdue",
    "awaiting_lender",
    "past_due_amount",
    "last_payment_amount",
    "last_payment_date",
    "original_amount",
    "origination_date",
    "payoff_date",
)
# Plaid's words for a loan's kind (account subtype, or the liability list it came in).
KIND_LABELS = {"student": "Student loan", "mortgage": "Mortgage"}


def _institutions(items: Sequence[Item]) -> dict[str, str]:
    return {i.item_id: i.institution.name for i in items}


def cash_frame(accounts: Iterable[Account], items: Sequence[Item]) -> pd.DataFrame:
    """One row per depository account: checking, savings, money market..."""
    names = _institutions(items)
    rows = [
        {
            "account_id": a.account_id,
            "institution": names.get(a.item_id, "Unknown institution"),
            "account": a.name,
            "mask": a.mask,
            "subtype": a.subtype or "other",
            "current": a.current,
            "available": a.available,
            "currency": a.currency,
        }
        for a in accounts
        if a.type == DEPOSITORY
    ]
    frame = pd.DataFrame(rows, columns=list(CASH_COLUMNS))
    for column in ("current", "available"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def kind_label(account: Account, loan: LoanLiability | None) -> str:
    kind = loan.kind if loan else (account.subtype or "loan")
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


# Said the same on the Accounts page, in the overview's alert and on Bills ahead.
AWAITING_LENDER = "due date passed; waiting for the lender's update"


def awaiting_lender(loan: LoanLiability, today: date) -> bool:
    """Its due date has passed but the lender does not call it overdue: most often a payment
    (autopay, say) went through and the servicer has not moved the date yet. Overdue is what
    the lender says (``LoanLiability.overdue``), never our guess from the date."""
    due = loan.next_payment_due_date
    return not loan.overdue and due is not None and due < today


def paid_for_due_month(last_payment: date | None, due: date) -> bool:
    """A payment reported on or after the first of the due date's month counts for that due
    date (autopay often goes a few days early, so within the month is close enough)."""
    return last_payment is not None and last_payment >= due.replace(day=1)


def loan_status(loan: LoanLiability | None, today: date) -> str:
    """The loan's standing in words: overdue first, then a due date the lender has not moved
    yet, then whatever else the lender says."""
    if loan is None:
        return "Not reported"
    if loan.overdue:
        return "Overdue"
    if awaiting_lender(loan, today):
        return AWAITING_LENDER.capitalize()
    if loan.status:
        return loan.status.capitalize()
    return "Current" if loan.kind == "mortgage" or loan.is_overdue is False else "Not reported"


def loans_frame(
    accounts: Iterable[Account],
    loans: Iterable[LoanLiability],
    items: Sequence[Item],
    today: date,
) -> pd.DataFrame:
    """One row per loan account, with its liability's payment position where Plaid sent one."""
    names = _institutions(items)
    by_account = {loan.account_id: loan for loan in loans}
    rows = []
    for account in (a for a in accounts if a.type == LOAN):
        loan = by_account.get(account.account_id)
        due = loan.next_payment_due_date if loan else None
        rows.append(
            {
                "account_id": account.account_id,
                "institution": names.get(account.item_id, "Unknown institution"),
                "loan": account.name,
                "mask": account.mask or (loan.account_number_last4 if loan else None),
                "kind": kind_label(account, loan),
                "currency": account.currency,
                "balance": account.current,
                "interest_rate": loan.interest_rate_percentage if loan else None,
                "next_payment": loan.payment_due if loan else None,
                "due_date": due,
                "days_left": (due - today).days if due else None,
                "status": loan_status(loan, today),
                "overdue": bool(loan and loan.overdue),
                "awaiting_lender": bool(loan and awaiting_lender(loan, today)),
                "past_due_amount": loan.past_due_amount if loan else None,
                "last_payment_amount": loan.last_payment_amount if loan else None,
                "last_payment_date": loan.last_payment_date if loan else None,
                "original_amount": loan.origination_principal_amount if loan else None,
                "origination_date": loan.origination_date if loan else None,
                "payoff_date": loan.payoff_date if loan else None,
            }
        )
    frame = pd.DataFrame(rows, columns=list(LOAN_COLUMNS))
    money = ("balance", "interest_rate", "next_payment", "past_due_amount")
    for column in (*money, "last_payment_amount", "original_amount"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["days_left"] = frame["days_left"].astype("Int64")
    for column in ("overdue", "awaiting_lender"):
        frame[column] = frame[column].astype(bool)
    return frame


def sum_by_currency(frame: pd.DataFrame, column: str) -> dict[str, float]:
    """``column`` summed per currency (missing figures left out), currencies in code order."""
    known = frame[frame[column].notna()]
    sums = known.groupby("currency", sort=True)[column].sum()
    return {str(currency): float(total) for currency, total in sums.items()}


@dataclass(frozen=True)
class LoanDue:
    """A loan's next payment, or the one it missed."""

    loan: str
    mask: str | None
    kind: str
    currency: str
    due_date: date | None
    days_left: int | None
    amount: float | None
    overdue: bool  # the lender says so
    awaiting_lender: bool  # the due date passed, the lender does not call it overdue
    past_due_amount: float | None
    last_payment_amount: float | None = None
    last_payment_date: date | None = None


def loan_payments(loans: pd.DataFrame) -> tuple[LoanDue, ...]:
    """Every loan with a payment ahead or overdue, overdue first, then by due date."""
    wanted = loans[loans["overdue"] | loans["due_date"].notna()]
    ordered = wanted.assign(
        _late=~wanted["overdue"], _due=pd.to_datetime(wanted["due_date"])
    ).sort_values(["_late", "_due"], na_position="last")
    return tuple(
        LoanDue(
            loan=str(row["loan"]),
            mask=None if pd.isna(row["mask"]) else str(row["mask"]),
            kind=str(row["kind"]),
            currency=str(row["currency"]),
            due_date=None if pd.isna(row["due_date"]) else row["due_date"],
            days_left=None if pd.isna(row["days_left"]) else int(row["days_left"]),
            amount=None if pd.isna(row["next_payment"]) else float(row["next_payment"]),
            overdue=bool(row["overdue"]),
            awaiting_lender=bool(row["awaiting_lender"]),
            past_due_amount=(
                None if pd.isna(row["past_due_amount"]) else float(row["past_due_amount"])
            ),
            last_payment_amount=(
                None if pd.isna(row["last_payment_amount"]) else float(row["last_payment_amount"])
            ),
            last_payment_date=(
                None if pd.isna(row["last_payment_date"]) else row["last_payment_date"]
            ),
        )
        for _, row in ordered.iterrows()
    )
