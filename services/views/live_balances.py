"""Live balances as the overview shows them: what a bank said when asked just now, beside the
figures fetched with the snapshot. Pure: the session keeps the checks, this shapes them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

import pandas as pd

from integrations.models import Account
from services.analytics.worth import DEPOSITORY, CashTotal, cash_by_currency


@dataclass(frozen=True)
class LiveBalance:
    """One bank's answer to a live check: its cash accounts, as the bank gave them then."""

    bank: str  # the connection's item key, or the demo item's id
    label: str
    checked_at: datetime
    accounts: tuple[Account, ...]


@dataclass(frozen=True)
class LiveCash:
    """Live cash in one currency, over the banks checked; ``since`` is the oldest check."""

    total: CashTotal
    since: datetime


def cash_accounts(accounts: Iterable[Account]) -> tuple[Account, ...]:
    return tuple(a for a in accounts if a.type == DEPOSITORY)


def live_cash(checks: Sequence[LiveBalance]) -> tuple[LiveCash, ...]:
    """Live cash per currency (never summed across currencies), the headline currency first
    as ``cash_by_currency`` orders it; each dated by the oldest check that went into it."""
    totals = cash_by_currency(a for check in checks for a in check.accounts)
    return tuple(
        LiveCash(
            total,
            min(
                check.checked_at
                for check in checks
                if any(a.currency == total.currency for a in check.accounts)
            ),
        )
        for total in totals
    )


LIVE_COLUMNS = (
    "bank", "account", "mask", "currency", "current_fetched", "current_live", "available_live",
    "live_at",
)  # fmt: skip


def live_rows(
    checks: Sequence[LiveBalance], fetched: Iterable[Account], zone: tzinfo
) -> pd.DataFrame:
    """One row per live account: the balance fetched with the snapshot beside the live one,
    and when the bank gave it (in the person's zone)."""
    held = {a.account_id: a.current for a in fetched}
    rows = [
        {
            "bank": check.label,
            "account": account.name,
            "mask": account.mask or "",
            "currency": account.currency,
            "current_fetched": held.get(account.account_id),
            "current_live": account.current,
            "available_live": account.available,
            "live_at": f"{check.checked_at.astimezone(zone):%H:%M} {zone}",
        }
        for check in checks
        for account in check.accounts
    ]
    return pd.DataFrame(rows, columns=list(LIVE_COLUMNS))
