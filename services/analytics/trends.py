"""What traditional mode (``DATABASE_URL``) remembers, as the analytics read it: one row per
account per day, one row per score read from a pulled report. The history store keeps and
returns exactly these; the pure functions over them (trends, change alerts) live beside them.
No Streamlit, no database here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

AccountKind = Literal["card", "depository", "other"]
AlertLevel = Literal["info", "warning", "error"]


@dataclass(frozen=True, slots=True)
class AccountDay:
    """One account as it stood on one day (the last fetch of that day wins)."""

    day: date
    account_id: str  # Plaid's account_id: stable while the item stays connected
    item_id: str
    bank: str  # the institution's name
    name: str  # the account's name as the bank gives it
    mask: str | None
    kind: AccountKind
    currency: str
    balance: float | None  # Plaid's current balance: for a card, what is owed
    limit: float | None  # a card's credit limit
    statement_balance: float | None = None
    minimum_payment: float | None = None
    next_payment_due: date | None = None


@dataclass(frozen=True, slots=True)
class ScoreReading:
    """One score from one pulled report."""

    day: date  # the report's date, else the day it was pulled
    model: str  # the model's name, e.g. "VantageScore 3.0"
    score: int


@dataclass(frozen=True, slots=True)
class Alert:
    """A change found in the history: what changed, when, and what to do about it."""

    kind: str  # a stable code: score_up, score_down, hard_inquiry, new_tradeline, ...
    day: date
    title: str  # what changed, in a sentence
    detail: str
    action: str  # what the person can do
    level: AlertLevel = "info"
