"""A session's bank and card data: every connected Plaid item fetched at once (through the
cache), the last good fetch standing in for a failed one, the snapshot held in the session."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

import streamlit as st

from integrations.common.errors import Action
from services.analytics.snapshot import FinancialSnapshot, ItemProblem
from services.runtime import keeping, state, webhook_events
from services.runtime import loaders as data
from services.runtime.clients import plaid_client, vault
from services.runtime.last_good import remember
from services.runtime.settings import Settings
from services.runtime.streamlit_private import in_this_run
from services.runtime.vault import ReconnectRequired

MAX_PARALLEL_ITEMS = 8


def _bank_name(fetch: data.ItemFetch) -> str | None:
    """From the item's data, or from its problem: a bank that needs a new login is named."""
    if fetch.data:
        return fetch.data.item.institution.name
    return fetch.problem.institution if fetch.problem else None


def relabel(fetches: list[data.ItemFetch]) -> None:
    names = {f.item_key: name for f in fetches if (name := _bank_name(f))}
    if names:
        st.session_state[state.PLAID_ITEMS] = [
            replace(c, label=names.get(c.item_key, c.label)) for c in state.connections()
        ]


def _unreadable(connection: state.PlaidConnection) -> data.ItemFetch:
    problem = ItemProblem(
        item_key=connection.item_key,
        code="TOKEN_UNREADABLE",
        error_type="SESSION",
        message="This connection can no longer be read (the app's key changed).",
        action=Action.RECONNECT,
    )
    return data.ItemFetch(connection.item_key, None, problem, datetime.now(UTC))


def fetch_one(settings: Settings, connection: state.PlaidConnection) -> data.ItemFetch:
    try:
        with vault(settings).revealed(connection.sealed) as token:
            fetched = fetch_within_ttl(
                settings, connection.item_key, token, keeping.keeper(settings)
            )
    except ReconnectRequired:
        return _unreadable(connection)
    if fetched.data is not None:
        webhook_events.note_fetched(connection.item_key, fetched.data.item.item_id)
    return remember(fetched)


def fetch_within_ttl(
    settings: Settings, item_key: str, token: str, keeper: data.ItemKeeper | None
) -> data.ItemFetch:
    """The item's cached fetch, unless it is older than the TTL (one that another replica
    made near the end of its life in Redis would otherwise be served here for a whole TTL
    more) or, in hybrid mode, a webhook accepted by any replica changed the item since. Without
    Redis an entry is never older than its TTL, so this fetches once. Needs no session: the
    API fetches the operator's items through it too (``api_data``)."""

    def fetch() -> data.ItemFetch:
        return data.fetch_plaid_item(
            item_key, token, plaid_client(settings), data.Shared.of(settings), keeper
        )

    fetched = fetch()
    if data.outlived_ttl(fetched.fetched_at) or webhook_events.moved_since(settings, fetched):
        data.clear_plaid_item(item_key)
        fetched = fetch()
    return fetched


def _fetch_all(settings: Settings, items: list[state.PlaidConnection]) -> list[data.ItemFetch]:
    """Fetch every item at once: one slow bank must not hold up the others."""
    if len(items) == 1:
        return [fetch_one(settings, items[0])]

    def fetch(connection: state.PlaidConnection) -> data.ItemFetch:
        return fetch_one(settings, connection)

    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_ITEMS, len(items))) as pool:
        return list(pool.map(in_this_run(fetch), items))


def _plaid_snapshot(settings: Settings) -> FinancialSnapshot | None:
    items = state.connections()
    if not items:
        return None
    fetches = _fetch_all(settings, items)
    relabel(fetches)
    stamps = tuple(
        (f.item_key, f"{f.fetched_at.isoformat()}|{f.problem.code if f.problem else ''}")
        for f in fetches
    )
    return data.assemble_plaid_snapshot(stamps, tuple(fetches))


def _fresh_snapshot(settings: Settings) -> FinancialSnapshot | None:
    if state.active_source(settings) == "demo":
        return data.load_demo_snapshot(state.today(settings))
    return _plaid_snapshot(settings)


def snapshot(settings: Settings) -> FinancialSnapshot | None:
    """This session's bank and card data, or None when nothing is connected yet. Kept in the
    session until the oldest of its cache entries may have expired; Refresh, a new or removed
    connection, another source or a webhook about one of its banks lets go of it."""
    items = tuple(c.item_key for c in state.connections())
    key = (
        state.active_source(settings), state.today(settings), items,
        webhook_events.versions(items, settings),
    )  # fmt: skip
    found, value = state.held("snapshot", key)
    result = cast(FinancialSnapshot | None, value) if found else _fresh_snapshot(settings)
    if result is not None:
        if not found:
            state.hold("snapshot", key, result, result.fetched_at)
        state.record_fetch("accounts", result.fetched_at)
    return result
