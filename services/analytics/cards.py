"""Credit card analytics: utilization, what is due and when."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from integrations.models import Account, CardLiability, Item

# Scoring models reward low revolving utilization; these are the widely quoted break points.
# The bands on screen and the overview's alerts both read them from here.
HIGH_UTILIZATION = 0.30  # the "High" band starts here, and a warning
VERY_HIGH_UTILIZATION = 0.50  # the "Very high" band starts here, and an error
UTILIZATION_THRESHOLDS = (0.10, HIGH_UTILIZATION, VERY_HIGH_UTILIZATION)
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class UtilizationBand:
    label: str
    colour: str  # a Streamlit colour name, used for our own text only
    advice: str


BANDS = (
    UtilizationBand("Excellent", "green", "Under 10%: the range scoring models reward most."),
    UtilizationBand("Good", "blue", "10% to 30%: fine, though under 10% scores better."),
    UtilizationBand("High", "orange", "30% to 50%: high enough to lower credit scores."),
    UtilizationBand("Very high", "red", "50% or more: likely hurting credit scores."),
)
UNKNOWN_BAND = UtilizationBand("Unknown", "gray", "No credit limit reported for this card.")


def utilization_band(ratio: float | None) -> UtilizationBand:
    if ratio is None or pd.isna(ratio):
        return UNKNOWN_BAND
    for threshold, band in zip(UTILIZATION_THRESHOLDS, BANDS, strict=False):
        if ratio < threshold:
            return band
    return BANDS[-1]


def _owed(current: float | None) -> float:
    """What is owed on a card: a credit balance (negative current) owes nothing."""
    return max(current or 0.0, 0.0)


def _utilization(current: float | None, limit: float | None) -> float | None:
    if limit is None or limit <= 0:
        return None
    return _owed(current) / limit


# Said the same in the Cards table's Status, in the overview's alert and on Bills ahead.
AWAITING_ISSUER = "due date passed; waiting for the issuer's update"


def awaiting_issuer(liability: CardLiability, today: date) -> bool:
    """Its due date has passed but the issuer does not call it overdue: most often autopay
    paid the statement and the issuer has not moved the due date yet. Overdue is what the
    issuer says (``CardLiability.is_overdue``), never our guess from the date."""
    due = liability.next_payment_due_date
    return not liability.is_overdue and due is not None and due < today


def paid_this_cycle(liability: CardLiability | None) -> bool:
    """Nothing is owed by the due date: the statement asked for nothing, or a payment of at
    least the minimum came on or after the statement's issue date. A card the issuer calls
    overdue is never paid."""
    if liability is None or liability.is_overdue:
        return False
    statement_balance = liability.last_statement_balance
    minimum = liability.minimum_payment_amount
    if minimum == 0 or (statement_balance is not None and statement_balance <= 0):
        return True
    statement = liability.last_statement_issue_date
    return (
        statement is not None
        and liability.last_payment_date is not None
        and liability.last_payment_date >= statement
        and (liability.last_payment_amount or 0.0) >= (minimum or 0.0)
    )


def card_status(liability: CardLiability | None, today: date) -> str:
    """The card's payment standing in words: what the issuer says first (overdue), then a due
    date it has not moved yet, then whether this statement is paid."""
    if liability is None:
        return "Not reported"
    if liability.is_overdue:
        return "Overdue"
    if awaiting_issuer(liability, today):
        looks = " (looks paid)" if paid_this_cycle(liability) else ""
        return AWAITING_ISSUER.capitalize() + looks
    if paid_this_cycle(liability):
        return "Paid this cycle"
    return "Payment due" if liability.next_payment_due_date else "No due date reported"


CARD_COLUMNS = (
    "account_id",
    "institution",
    "card",
    "mask",
    "currency",
    "balance",
    "owed",
    "limit",
    "available",
    "utilization",
    "statement_balance",
    "minimum_payment",
    "due_date",
    "days_left",
    "status",
    "overdue",
    "awaiting_issuer",
    "paid_this_cycle",
    "purchase_apr",
    "cash_apr",
    "balance_transfer_apr",
    "special_apr",
    "penalty_apr",
    "statement_date",
    "last_payment_amount",
    "last_payment_date",
)
APR_TYPES = ("purchase_apr", "cash_apr", "balance_transfer_apr", "special", "penalty_apr")
APR_COLUMNS = ("purchase_apr", "cash_apr", "balance_transfer_apr", "special_apr", "penalty_apr")


def _apr_columns(liability: CardLiability | None) -> dict[str, float | None]:
    """One column per APR type Plaid knows (its ``special`` type becomes ``special_apr``)."""
    return {
        column: liability.apr(apr_type) if liability else None
        for apr_type, column in zip(APR_TYPES, APR_COLUMNS, strict=True)
    }


def cards_frame(
    accounts: Iterable[Account],
    liabilities: Iterable[CardLiability],
    items: Sequence[Item],
    today: date,
) -> pd.DataFrame:
    """One row per credit card with its balance, utilization and payment position."""
    by_account = {li.account_id: li for li in liabilities}
    institutions = {i.item_id: i.institution.name for i in items}
    rows = []
    for card in (a for a in accounts if a.is_credit_card):
        li = by_account.get(card.account_id)
        due = li.next_payment_due_date if li else None
        rows.append(
            {
                "account_id": card.account_id,
                "institution": institutions.get(card.item_id, "Unknown institution"),
                "card": card.name,
                "mask": card.mask,
                "currency": card.currency,
                "balance": card.current,
                "owed": _owed(card.current),
                "limit": card.limit,
                "available": card.available,
                "utilization": _utilization(card.current, card.limit),
                "statement_balance": li.last_statement_balance if li else None,
                "minimum_payment": li.minimum_payment_amount if li else None,
                "due_date": due,
                "days_left": (due - today).days if due else None,
                "status": card_status(li, today),
                "overdue": bool(li and li.is_overdue),
                "awaiting_issuer": bool(li and awaiting_issuer(li, today)),
                "paid_this_cycle": paid_this_cycle(li),
                **_apr_columns(li),
                "statement_date": li.last_statement_issue_date if li else None,
                "last_payment_amount": li.last_payment_amount if li else None,
                "last_payment_date": li.last_payment_date if li else None,
            }
        )
    frame = pd.DataFrame(rows, columns=list(CARD_COLUMNS))
    numeric = ("balance", "owed", "limit", "available", "utilization", "statement_balance")
    for column in (*numeric, "minimum_payment", "last_payment_amount", *APR_COLUMNS):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["days_left"] = frame["days_left"].astype("Int64")
    for column in ("overdue", "awaiting_issuer", "paid_this_cycle"):
        frame[column] = frame[column].astype(bool)
    return frame


@dataclass(frozen=True)
class UtilizationTotal:
    """Utilization across the cards of one currency."""

    currency: str
    owed: float  # on every card, limit known or not
    owed_with_limit: float
    limit: float
    utilization: float | None
    cards_counted: int
    cards_without_limit: int


def overall_utilization(cards: pd.DataFrame) -> tuple[UtilizationTotal, ...]:
    """Per currency: balances over limits of the cards whose limit is known."""
    totals = []
    for currency, group in cards.groupby("currency", sort=True):
        known = group[group["limit"].notna() & (group["limit"] > 0)]
        limit = float(known["limit"].sum())
        owed_with_limit = float(known["owed"].sum())
        totals.append(
            UtilizationTotal(
                currency=str(currency),
                owed=float(group["owed"].sum()),
                owed_with_limit=owed_with_limit,
                limit=limit,
                utilization=owed_with_limit / limit if limit > 0 else None,
                cards_counted=len(known),
                cards_without_limit=len(group) - len(known),
            )
        )
    # The currency with the most credit first: it is the headline.
    return tuple(sorted(totals, key=lambda t: -t.limit))


@dataclass(frozen=True)
class PaymentDue:
    card: str
    mask: str | None
    currency: str
    due_date: date
    days_left: int
    minimum_payment: float | None
    statement_balance: float | None
    overdue: bool


def _payment_due(row: pd.Series) -> PaymentDue:
    return PaymentDue(
        card=str(row["card"]),
        mask=row["mask"],
        currency=str(row["currency"]),
        due_date=row["due_date"],
        days_left=int(row["days_left"]),
        minimum_payment=None if pd.isna(row["minimum_payment"]) else row["minimum_payment"],
        statement_balance=None if pd.isna(row["statement_balance"]) else row["statement_balance"],
        overdue=bool(row["overdue"]),
    )


def upcoming_payments(cards: pd.DataFrame) -> tuple[PaymentDue, ...]:
    """Unpaid card payments the issuer calls overdue or that are still ahead, overdue first,
    then by due date (a due date passed the issuer has not moved is ``passed_due_dates``)."""
    open_dues = cards[
        cards["due_date"].notna() & ~cards["paid_this_cycle"] & ~cards["awaiting_issuer"]
    ]
    ordered = open_dues.assign(_late=~open_dues["overdue"]).sort_values(["_late", "due_date"])
    return tuple(_payment_due(row) for _, row in ordered.iterrows())


@dataclass(frozen=True)
class PassedDueDate:
    """A card's due date that has passed without the issuer calling it overdue."""

    card: str
    mask: str | None
    currency: str
    due_date: date
    minimum_payment: float | None
    statement_date: date | None
    last_payment_amount: float | None
    last_payment_date: date | None
    looks_paid: bool  # at least the minimum paid on or after the statement's issue date


def _amount(value: object) -> float | None:
    return None if pd.isna(value) else float(value)  # type: ignore[arg-type]


def _day(value: object) -> date | None:
    return None if pd.isna(value) else value  # type: ignore[return-value]


def passed_due_dates(cards: pd.DataFrame) -> tuple[PassedDueDate, ...]:
    """Every card waiting for its issuer's update (``AWAITING_ISSUER``), by due date."""
    waiting = cards[cards["awaiting_issuer"]].sort_values("due_date", kind="stable")
    return tuple(
        PassedDueDate(
            card=str(row["card"]),
            mask=None if pd.isna(row["mask"]) else str(row["mask"]),
            currency=str(row["currency"]),
            due_date=row["due_date"],
            minimum_payment=_amount(row["minimum_payment"]),
            statement_date=_day(row["statement_date"]),
            last_payment_amount=_amount(row["last_payment_amount"]),
            last_payment_date=_day(row["last_payment_date"]),
            looks_paid=bool(row["paid_this_cycle"]),
        )
        for _, row in waiting.iterrows()
    )


def next_payment_due(cards: pd.DataFrame) -> PaymentDue | None:
    """The nearest payment not yet overdue and not yet paid this cycle."""
    ahead = [p for p in upcoming_payments(cards) if not p.overdue and p.days_left >= 0]
    return min(ahead, key=lambda p: p.due_date, default=None)
