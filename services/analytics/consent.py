"""When each bank's consent lapses, counted in days of the person's calendar.

A bank with expiring consent (some OAuth and European banks) stops sharing on that moment;
the person renews it by signing in again. Days are counted between calendar days in the
person's time zone: an expiry at 02:00 UTC is the evening before for someone in California.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, tzinfo

from integrations.models import Item

# Two weeks leaves time to sign in again before a bank stops sharing.
CONSENT_WARNING_DAYS = 14


@dataclass(frozen=True)
class ConsentExpiry:
    bank: str
    expires_on: date  # in the person's time zone
    days_left: int  # negative once it has lapsed


def consent_expiries(items: Iterable[Item], today: date, zone: tzinfo) -> list[ConsentExpiry]:
    """The banks whose consent lapses within CONSENT_WARNING_DAYS or already has, soonest
    first."""
    found = []
    for item in items:
        if item.consent_expires_at is None:
            continue
        expires_on = item.consent_expires_at.astimezone(zone).date()
        days_left = (expires_on - today).days
        if days_left <= CONSENT_WARNING_DAYS:
            found.append(ConsentExpiry(item.institution.name, expires_on, days_left))
    return sorted(found, key=lambda e: e.days_left)
