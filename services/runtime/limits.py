"""Limits on what costs money or upstream calls: bureau pulls a day (per person and for the
whole deployment) and how often one person may refresh. And the audit line every pull,
connect and disconnect writes.

Counts live in this process (a ``st.cache_resource``), so each replica of a deployment
counts its own until a shared store holds them; a restart starts the day's counts again.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import streamlit as st

from integrations.common.logs import get_logger
from services.runtime.settings import Settings

audit_log = get_logger("audit")


@dataclass
class _Counts:
    lock: threading.Lock = field(default_factory=threading.Lock)
    pulls: dict[tuple[date, str], int] = field(default_factory=lambda: defaultdict(int))
    refreshed: dict[str, datetime] = field(default_factory=dict)


@st.cache_resource(show_spinner=False)
def _counts() -> _Counts:
    return _Counts()


PullRefusal = str  # what to tell the person, in our words


def take_pull(settings: Settings, person: str, day: date) -> PullRefusal | None:
    """Count one bureau pull for `person` on `day`, or say why it may not happen."""
    counts = _counts()
    with counts.lock:
        theirs = counts.pulls[(day, person)]
        everyone = sum(n for (when, _), n in counts.pulls.items() if when == day)
        if theirs >= settings.credit_pulls_per_person_per_day:
            return (
                f"You have pulled {theirs} credit reports today, the most this app allows a "
                "person in a day. The last report stays on screen; try again tomorrow."
            )
        if everyone >= settings.credit_pulls_per_day:
            return (
                "This app has made as many credit report pulls today as its operator allows. "
                "Try again tomorrow."
            )
        counts.pulls[(day, person)] = theirs + 1
        # Yesterday's counts are of no use any more.
        for stale in [k for k in counts.pulls if k[0] < day]:
            del counts.pulls[stale]
    return None


def take_refresh(settings: Settings, person: str, now: datetime) -> int | None:
    """Allow one refresh per REFRESH_INTERVAL_SECONDS per person: None, or the seconds
    left to wait."""
    counts = _counts()
    with counts.lock:
        last = counts.refreshed.get(person)
        if last is not None:
            waited = (now - last).total_seconds()
            if waited < settings.refresh_interval_seconds:
                return max(1, int(settings.refresh_interval_seconds - waited + 0.999))
        counts.refreshed[person] = now
    return None


def audit(event: str, person: str, outcome: str, **details: str) -> None:
    """One line per pull, connect and disconnect: who (a keyed hash), what, when, outcome.
    Never a name, an address, a token or an amount: callers pass codes and keyed hashes."""
    extra = "".join(f" {name}={value}" for name, value in sorted(details.items()))
    when = datetime.now(UTC).isoformat(timespec="seconds")
    audit_log.info("audit event=%s who=%s at=%s outcome=%s%s", event, person, when, outcome, extra)
