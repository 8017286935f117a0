"""Limits on what costs money or upstream calls: bureau pulls a day (per person and for the
whole deployment), how often one person may refresh, and how often a bank may be asked for its
live balance. And the audit line every pull,
connect and disconnect writes.

In hybrid mode (``REDIS_URL``) every replica counts together, in Redis (``SharedStore``).
Otherwise, and whenever Redis cannot be asked, this process counts (a ``st.cache_resource``):
each replica then counts its own, and a restart starts the day's counts again. The process
also notes what Redis allowed, so an outage goes on from this process's own count, not zero.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import streamlit as st

from integrations.common.logs import get_logger
from services.runtime.settings import Settings
from services.runtime.shared_store import PullCount, shared_store

audit_log = get_logger("audit")


@dataclass
class _Counts:
    lock: threading.Lock = field(default_factory=threading.Lock)
    pulls: dict[tuple[date, str], int] = field(default_factory=lambda: defaultdict(int))
    refreshed: dict[str, datetime] = field(default_factory=dict)
    # (person, bank), or (None, bank) for a bank limited whoever asks
    live_checked: dict[tuple[str | None, str], datetime] = field(default_factory=dict)


@st.cache_resource(show_spinner=False)
def _counts() -> _Counts:
    return _Counts()


PullRefusal = str  # what to tell the person, in our words


def take_pull(settings: Settings, person: str, day: date) -> PullRefusal | None:
    """Count one bureau pull for `person` on `day`, or say why it may not happen."""
    counted = _count_shared_pull(settings, person, day)
    if counted is None:
        counted = _count_process_pull(settings, person, day)
    elif counted.refused_by is None:
        _note_process_pull(person, day)
    return _pull_refusal(counted)


def _pull_refusal(counted: PullCount) -> PullRefusal | None:
    if counted.refused_by == "person":
        return (
            f"You have pulled {counted.theirs} credit reports today, the most this app allows "
            "a person in a day. The last report stays on screen; try again tomorrow."
        )
    if counted.refused_by == "deployment":
        return (
            "This app has made as many credit report pulls today as its operator allows. "
            "Try again tomorrow."
        )
    return None


def _count_shared_pull(settings: Settings, person: str, day: date) -> PullCount | None:
    """Counted for every replica; None without a shared store or while Redis cannot be asked."""
    store = shared_store(settings)
    if store is None:
        return None
    return store.count_pull(
        person, day, settings.credit_pulls_per_person_per_day, settings.credit_pulls_per_day
    )


def _count_process_pull(settings: Settings, person: str, day: date) -> PullCount:
    counts = _counts()
    with counts.lock:
        theirs = counts.pulls[(day, person)]
        everyone = sum(n for (when, _), n in counts.pulls.items() if when == day)
        if theirs >= settings.credit_pulls_per_person_per_day:
            return PullCount("person", theirs)
        if everyone >= settings.credit_pulls_per_day:
            return PullCount("deployment", theirs)
        _add_pull(counts, person, day)
    return PullCount(None, theirs + 1)


def _note_process_pull(person: str, day: date) -> None:
    counts = _counts()
    with counts.lock:
        _add_pull(counts, person, day)


def _add_pull(counts: _Counts, person: str, day: date) -> None:
    counts.pulls[(day, person)] += 1
    # Yesterday's counts are of no use any more.
    for stale in [k for k in counts.pulls if k[0] < day]:
        del counts.pulls[stale]


def take_refresh(settings: Settings, person: str, now: datetime) -> int | None:
    """Allow one refresh per REFRESH_INTERVAL_SECONDS per person: None, or the seconds
    left to wait. Redis times a shared interval by its own clock, not by `now`."""
    left = _claim_shared_refresh(settings, person)
    if left is None:
        return _take_process_refresh(settings, person, now)
    if left > 0:
        return _whole_seconds(left)
    _note_process_refresh(person, now)
    return None


def _claim_shared_refresh(settings: Settings, person: str) -> float | None:
    """0.0 or the seconds left, for every replica; None without a shared store, without an
    interval, or while Redis cannot be asked."""
    store = shared_store(settings)
    if store is None or settings.refresh_interval_seconds <= 0:
        return None
    return store.claim_refresh(person, settings.refresh_interval_seconds)


def _take_process_refresh(settings: Settings, person: str, now: datetime) -> int | None:
    counts = _counts()
    with counts.lock:
        last = counts.refreshed.get(person)
        if last is not None:
            waited = (now - last).total_seconds()
            if waited < settings.refresh_interval_seconds:
                return _whole_seconds(settings.refresh_interval_seconds - waited)
        counts.refreshed[person] = now
    return None


def _note_process_refresh(person: str, now: datetime) -> None:
    counts = _counts()
    with counts.lock:
        counts.refreshed[person] = now


# Plaid bills each /accounts/balance/get and allows only a few a minute per item: one check of
# a bank in this long is plenty for "what do I have today".
LIVE_BALANCE_INTERVAL_SECONDS = 600
LIVE_CHECKS_KEPT = 10_000


def take_live_balance(
    settings: Settings, person: str, bank: str, now: datetime, *, billed: bool = True
) -> int | None:
    """Allow one live balance check of ``bank`` per LIVE_BALANCE_INTERVAL_SECONDS: None, or
    the seconds left to wait. A ``billed`` bank is limited whoever asks (the operator's
    banks are loaded for every owner, and billed to the operator on each check); one that
    costs nothing (the demo's) per person. Claimed before the call, whatever its outcome, so
    two tabs clicking at once cause one call. Redis times a shared interval by its clock."""
    scope = (None if billed else person, bank)
    store = shared_store(settings)
    left = (
        None
        if store is None
        else store.claim_live_balance(bank, LIVE_BALANCE_INTERVAL_SECONDS, person=scope[0])
    )
    if left is None:
        return _take_process_live_balance(scope, now)
    if left > 0:
        return _whole_seconds(left)
    with _counts().lock:
        _note_live_balance(_counts(), scope, now)
    return None


def _take_process_live_balance(scope: tuple[str | None, str], now: datetime) -> int | None:
    counts = _counts()
    with counts.lock:
        last = counts.live_checked.get(scope)
        if last is not None:
            waited = (now - last).total_seconds()
            if waited < LIVE_BALANCE_INTERVAL_SECONDS:
                return _whole_seconds(LIVE_BALANCE_INTERVAL_SECONDS - waited)
        _note_live_balance(counts, scope, now)
    return None


def _note_live_balance(counts: _Counts, scope: tuple[str | None, str], now: datetime) -> None:
    counts.live_checked[scope] = now
    while len(counts.live_checked) > LIVE_CHECKS_KEPT:
        del counts.live_checked[next(iter(counts.live_checked))]


def _whole_seconds(left: float) -> int:
    """Seconds to wait as a person reads them: rounded up, at least one."""
    return max(1, int(left + 0.999))


def audit(event: str, person: str, outcome: str, **details: str) -> None:
    """One line per pull, connect and disconnect: who (a keyed hash), what, when, outcome.
    Never a name, an address, a token or an amount: callers pass codes and keyed hashes."""
    extra = "".join(f" {name}={value}" for name, value in sorted(details.items()))
    when = datetime.now(UTC).isoformat(timespec="seconds")
    audit_log.info("audit event=%s who=%s at=%s outcome=%s%s", event, person, when, outcome, extra)
