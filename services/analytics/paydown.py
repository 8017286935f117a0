"""How much to pay on which card, by when, to report a utilization under a target (pure).

Card issuers report the balance on the statement closing date to the bureaus, so a payment
lowers reported utilization only if it has posted before the statement closes. The closing
date is estimated from the last statement's issue date (statements come monthly, on the same
day of the month), or from the due date when no statement date is reported.

Money stays in the card's currency; totals are per currency and never summed across them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np
import pandas as pd

from services.analytics.dates import add_months

# Payments can take a few business days to post; paying this early makes it land in time.
PAYMENT_POSTING_DAYS = 3
# Due dates usually fall about 25 days after the statement (never fewer than 21 by law).
TYPICAL_GRACE_DAYS = 25
TARGET_CHOICES = (0.01, 0.05, 0.09, 0.19, 0.29, 0.49)
DEFAULT_TARGET = 0.09

PLAN_COLUMNS = (
    "account_id",
    "institution",
    "card",
    "mask",
    "currency",
    "balance",
    "pending",
    "projected_balance",
    "limit",
    "purchase_apr",
    "target_balance",
    "payment",
    "statement_closes",
    "close_estimated_from",
    "pay_by",
    "note",
)
AVALANCHE_COLUMNS = (
    "order",
    "institution",
    "card",
    "mask",
    "currency",
    "owed",
    "purchase_apr",
    "monthly_interest",
)


def _months_from(anchor: date, today: date) -> date:
    """The first monthly repeat of ``anchor`` after ``today``."""
    months = (today.year - anchor.year) * 12 + today.month - anchor.month
    close = add_months(anchor, max(months, 0))
    while close <= today:
        months += 1
        close = add_months(anchor, months)
    return close


def next_statement_close(
    last_statement: date | None, due: date | None, today: date
) -> tuple[date | None, str]:
    """When the next statement closes, and what the estimate rests on."""
    if last_statement is not None:
        return _months_from(last_statement, today), "last statement"
    if due is not None:
        return _months_from(due - timedelta(days=TYPICAL_GRACE_DAYS), today), "due date"
    return None, "unknown"


def pay_by_date(statement_closes: date | None, today: date) -> date:
    """The last day to pay so the payment posts before the close; today if that has passed."""
    if statement_closes is None:
        return today
    return max(statement_closes - timedelta(days=PAYMENT_POSTING_DAYS), today)


def _cents_down(values: pd.Series) -> pd.Series:
    # The small epsilon keeps 0.09 * 7500 = 675.0000000001 from losing a cent either way.
    return np.floor(values * 100 + 1e-6) / 100


def _cents_up(values: pd.Series) -> pd.Series:
    return np.ceil(values * 100 - 1e-6) / 100


def _pending_on(cards: pd.DataFrame, pending: Mapping[tuple[str, str], float]) -> pd.Series:
    """Pending amounts on each card, in the card's own currency only."""
    keys = zip(cards["account_id"], cards["currency"], strict=True)
    return pd.Series([pending.get((str(a), str(c)), 0.0) for a, c in keys], index=cards.index)


def _note(row: pd.Series) -> str:
    if pd.isna(row["limit"]) or row["limit"] <= 0:
        note = (
            "No limit reported, so no utilization target: "
            "pay the statement balance by its due date."
        )
    elif row["payment"] <= 0:
        note = "Already under the target."
    else:
        note = ""
    if row["overdue"]:
        note = ("Overdue: pay at least the minimum now. " + note).strip()
    return note


def paydown_plan(
    cards: pd.DataFrame,
    target: float,
    today: date,
    pending: Mapping[tuple[str, str], float] | None = None,
) -> pd.DataFrame:
    """Per card: what to pay, and by when, so the balance reported at the statement close is
    at most ``target`` of the limit (pending charges are expected to post before the close)."""
    plan = cards.copy()
    plan["pending"] = _pending_on(cards, pending or {})
    plan["projected_balance"] = plan["balance"].fillna(0.0) + plan["pending"]
    has_limit = plan["limit"].notna() & (plan["limit"] > 0)
    plan["target_balance"] = _cents_down(plan["limit"] * target).where(has_limit)
    needed = _cents_up(plan["projected_balance"] - plan["target_balance"])
    plan["payment"] = (needed.clip(lower=0.0) + 0.0).where(has_limit)  # + 0.0: no "-0.00"
    closes = [
        next_statement_close(statement, due, today)
        for statement, due in zip(plan["statement_date"], plan["due_date"], strict=True)
    ]
    plan["statement_closes"] = [close for close, _ in closes]
    plan["close_estimated_from"] = [basis for _, basis in closes]
    plan["pay_by"] = [pay_by_date(close, today) for close, _ in closes]
    plan["note"] = plan.apply(_note, axis=1) if not plan.empty else pd.Series(dtype="str")
    return plan[list(PLAN_COLUMNS)].reset_index(drop=True)


def payment_totals(plan: pd.DataFrame) -> dict[str, float]:
    """What the plan asks to pay in all, per currency."""
    sums = plan.dropna(subset=["payment"]).groupby("currency", sort=True)["payment"].sum()
    return {str(c): round(float(v), 2) for c, v in sums.items()}


def overall_payment_needed(plan: pd.DataFrame, target: float) -> dict[str, float]:
    """The least paid in all, per currency, that brings the overall figure (cards with a limit)
    under the target; smaller than the per-card plan when some cards have room to spare."""
    known = plan[plan["limit"].notna() & (plan["limit"] > 0)]
    needed: dict[str, float] = {}
    for currency, group in known.groupby("currency", sort=True):
        owed = float(group["projected_balance"].clip(lower=0.0).sum())
        allowed = float(_cents_down(pd.Series([group["limit"].sum() * target])).iloc[0])
        payment = float(_cents_up(pd.Series([owed - allowed])).iloc[0])
        needed[str(currency)] = max(payment, 0.0) + 0.0
    return needed


def overall_payment_split(
    plan: pd.DataFrame, target: float
) -> dict[str, list[tuple[str, str | None, float]]]:
    """Where the overall-only payment goes, per currency: highest purchase APR first, each card
    paid at most what it will owe, so the split can actually be made."""
    split: dict[str, list[tuple[str, str | None, float]]] = {}
    known = plan[plan["limit"].notna() & (plan["limit"] > 0)]
    for currency, needed in overall_payment_needed(plan, target).items():
        cards = known[known["currency"] == currency].sort_values(
            "purchase_apr", ascending=False, na_position="last"
        )
        left, parts = needed, []
        for card, mask, owed in cards[["card", "mask", "projected_balance"]].itertuples(
            index=False
        ):
            pay = round(min(left, max(float(owed), 0.0)), 2)
            if pay > 0:
                parts.append((str(card), mask, pay))
                left = round(left - pay, 2)
        split[currency] = parts
    return split


def avalanche_order(
    cards: pd.DataFrame, pending: Mapping[tuple[str, str], float] | None = None
) -> pd.DataFrame:
    """Cards that carry a balance, highest purchase APR first: paying extra in this order
    saves the most interest. Cards without a known APR come last."""
    owed = (cards["balance"].fillna(0.0) + _pending_on(cards, pending or {})).clip(lower=0.0)
    order = cards.assign(owed=owed)
    order = order[order["owed"] > 0]
    order = order.sort_values(
        ["purchase_apr", "owed"], ascending=[False, False], na_position="last"
    )
    order["monthly_interest"] = order["owed"] * order["purchase_apr"] / 100 / 12
    order["order"] = range(1, len(order) + 1)
    return order[list(AVALANCHE_COLUMNS)].reset_index(drop=True)


def interest_totals(order: pd.DataFrame) -> dict[str, float]:
    """Estimated monthly interest in all, per currency (cards with a known APR)."""
    sums = order.dropna(subset=["monthly_interest"]).groupby("currency", sort=True)
    return {str(c): float(v) for c, v in sums["monthly_interest"].sum().items()}
