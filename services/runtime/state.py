"""What one browser session holds, and its keys: the chosen data source, the Plaid connections
(each access token sealed by the vault, next to its keyed hash and a label), when data was
last fetched, the copies held from the cache, and the day figures are computed for.

Nothing here is written to disk; a reload starts a new, empty session.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import streamlit as st

from services.runtime import limits, sharing
from services.runtime import loaders as data
from services.runtime.cache_keys import item_key as keyed_item
from services.runtime.clients import vault
from services.runtime.identity import Visitor
from services.runtime.settings import Settings
from services.runtime.timezone import person_now

SOURCE = "data_source"


PLAID_ITEMS = "plaid_items"


FETCHED_AT = "fetched_at"


BOOTSTRAPPED = "bootstrapped"


CLIENT_USER_ID = "client_user_id"


VISITOR = "visitor"  # who this run is for (services.runtime.identity), set by app.py each run


REFRESH_REFUSED = "refresh_refused"  # seconds to wait, after a refresh asked for too soon


def visitor() -> Visitor:
    """Who this session belongs to. A session that app.py has not let in yet belongs to an
    anonymous local visitor with no rights beyond looking."""
    return st.session_state.get(VISITOR) or Visitor("local", "nobody")


Source = Literal["demo", "plaid"]


@dataclass(frozen=True)
class PlaidConnection:
    """One connected item as the session keeps it: never the token in clear."""

    item_key: str
    sealed: bytes
    label: str = "Bank connection"


def today(settings: Settings) -> date:
    """The day every figure is computed for: AS_OF_DATE when set (reproducible demos,
    screenshots and tests), else the date in the person's time zone. The one place "today" is
    decided."""
    return settings.as_of_date or person_now().date()


def active_source(settings: Settings) -> Source:
    return st.session_state.get(SOURCE, settings.effective_source)


def choose_source(source: Source) -> None:
    st.session_state[SOURCE] = source
    st.session_state.pop(FETCHED_AT, None)
    let_go_of_data()


def source_label(settings: Settings) -> str:
    if active_source(settings) == "demo":
        return "Demo data"
    parts = [f"Plaid {settings.plaid_env}"] if settings.plaid_configured else []
    if settings.experian_configured:
        parts.append(f"Experian {settings.experian_env}")
    return " · ".join(parts)


def client_user_id() -> str:
    """A random id for this session, sent to Plaid as Link's client_user_id."""
    return st.session_state.setdefault(CLIENT_USER_ID, f"session-{uuid.uuid4().hex}")


def connections() -> list[PlaidConnection]:
    return list(st.session_state.get(PLAID_ITEMS, ()))


def add_connection(
    settings: Settings, access_token: str, label: str | None = None
) -> PlaidConnection:
    """Seal a new access token into the session; the same item twice is kept once. Logs mask
    it by its shape (services.logs): nothing of it is kept outside the session."""
    key = keyed_item(access_token)
    kept = [c for c in connections() if c.item_key != key]
    label = label or f"Bank connection {len(kept) + 1}"
    connection = PlaidConnection(key, vault(settings).seal(access_token), label)
    st.session_state[PLAID_ITEMS] = [*kept, connection]
    return connection


def connection_label(item_key: str) -> str:
    return next((c.label for c in connections() if c.item_key == item_key), "Bank connection")


def record_fetch(kind: str, fetched_at: datetime) -> None:
    st.session_state.setdefault(FETCHED_AT, {})[kind] = fetched_at


def fetched_at() -> datetime | None:
    """When the oldest piece of data on screen was fetched."""
    return min(st.session_state.get(FETCHED_AT, {}).values(), default=None)


HELD = "held_data"  # what this session last got from the cache, while the cache holds it


@dataclass(frozen=True)
class _Held:
    key: tuple[object, ...]  # what it was fetched for
    value: object
    until: datetime  # the earliest its cache entries can expire


def held(name: str, key: tuple[object, ...]) -> tuple[bool, object]:
    """Each cache hit unpickles the cached value (20 to 40 ms for one Plaid item, more for
    long histories), so a session keeps what it got while the cache would serve the same."""
    kept: _Held | None = st.session_state.get(HELD, {}).get(name)
    if kept is not None and kept.key == key and data.now() < kept.until:
        return True, kept.value
    return False, None


def hold(name: str, key: tuple[object, ...], value: object, fetched_at: datetime) -> None:
    until = fetched_at + timedelta(seconds=data.CACHE_TTL_SECONDS)
    st.session_state.setdefault(HELD, {})[name] = _Held(key, value, until)


def let_go_of_data() -> None:
    """The next run asks the cache (and the upstreams, where the cache was cleared) again."""
    st.session_state.pop(HELD, None)


# What the pages computed from this session's data (pages/_shared): figures and chart specs
# hold names and amounts of whatever they were drawn from.
FIGURES = "derived_figures"


CHART_SPECS = "chart_specs"


def drop_figures() -> None:
    """Figures go with the item or applicant they were drawn from (the next run redraws
    what is still connected)."""
    for key in (FIGURES, CHART_SPECS):
        st.session_state.pop(key, None)


APPLICANT = "experian_applicant"


CONSENT = "experian_consent"


REPORT_PROBLEM = "experian_problem"


LAST_REPORT = "experian_last_report"


def refresh(settings: Settings) -> None:
    """Drop this session's cached bank data so the next run fetches again: at most once per
    REFRESH_INTERVAL_SECONDS per person, since each refresh costs upstream calls. A credit
    report is not pulled again by a refresh: a new pull is its own action, with new consent."""
    st.session_state.pop(REFRESH_REFUSED, None)
    if active_source(settings) == "demo":
        data.clear_demo(today(settings))
    else:
        wait = limits.take_refresh(settings, visitor().key, data.now())
        if wait is not None:
            st.session_state[REFRESH_REFUSED] = wait
            return
        for connection in connections():
            data.clear_plaid_item(connection.item_key)
            sharing.drop_item(settings, connection.sealed)
    st.session_state.pop(FETCHED_AT, None)
    let_go_of_data()
