"""A session's bank and card data: every connected Plaid item fetched at once (through the
cache), the last good fetch standing in for a failed one, the snapshot held in the session."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

import streamlit as st

from integrations.common.errors import Action
from integrations.models import ItemData
from integrations.plaid.client import CardsCallback
from services.analytics.snapshot import FinancialSnapshot, ItemProblem, build_snapshot
from services.runtime import keeping, last_good, state, webhook_events
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


def relabel(fetches: list[data.ItemFetch], cards: dict[str, ItemData] | None = None) -> None:
    """Name the session's connections by their banks, from whole fetches and from the cards
    parts of fetches still syncing (``cards``, by item key)."""
    names = {key: part.item.institution.name for key, part in (cards or {}).items()}
    names.update({f.item_key: name for f in fetches if (name := _bank_name(f))})
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
    """One connection's fetch, through the cache, kept by the session's keeper."""
    return _fetch_kept(settings, connection, keeping.keeper(settings))


def _fetch_kept(
    settings: Settings,
    connection: state.PlaidConnection,
    keeper: data.ItemKeeper | None,
    on_cards: CardsCallback | None = None,
) -> data.ItemFetch:
    """``fetch_one`` with the keeper given: a background fetch has no session to ask."""
    try:
        with vault(settings).revealed(connection.sealed) as token:
            fetched = fetch_within_ttl(settings, connection.item_key, token, keeper, on_cards)
    except ReconnectRequired:
        return _unreadable(connection)
    if fetched.data is not None:
        webhook_events.note_fetched(connection.item_key, fetched.data.item.item_id)
    return remember(fetched)


def fetch_within_ttl(
    settings: Settings,
    item_key: str,
    token: str,
    keeper: data.ItemKeeper | None,
    on_cards: CardsCallback | None = None,
) -> data.ItemFetch:
    """The item's cached fetch, unless it is older than the TTL (one that another replica
    made near the end of its life in Redis would otherwise be served here for a whole TTL
    more) or, in hybrid mode, a webhook accepted by any replica changed the item since. Without
    Redis an entry is never older than its TTL, so this fetches once. Needs no session: the
    API fetches the operator's items through it too (``api_data``)."""

    def fetch() -> data.ItemFetch:
        return data.fetch_plaid_item(
            item_key, token, plaid_client(settings), data.Shared.of(settings), keeper, on_cards
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


def _assembled(fetches: list[data.ItemFetch]) -> FinancialSnapshot:
    relabel(fetches)
    stamps = tuple(
        (f.item_key, f"{f.fetched_at.isoformat()}|{f.problem.code if f.problem else ''}")
        for f in fetches
    )
    return data.assemble_plaid_snapshot(stamps, tuple(fetches))


def _plaid_snapshot(settings: Settings) -> FinancialSnapshot | None:
    items = state.connections()
    if not items:
        return None
    return _assembled(_fetch_all(settings, items))


def _fresh_snapshot(settings: Settings, early: bool) -> FinancialSnapshot | None:
    if state.active_source(settings) == "demo":
        return data.load_demo_snapshot(state.today(settings))
    if early:
        return _early_plaid_snapshot(settings)
    return _plaid_snapshot(settings)


def snapshot(settings: Settings, *, early: bool = False) -> FinancialSnapshot | None:
    """This session's bank and card data, or None when nothing is connected yet. Kept in the
    session until the oldest of its cache entries may have expired; Refresh, a new or removed
    connection, another source or a webhook about one of its banks lets go of it.

    ``early``: while a bank's transactions are still syncing, a snapshot of what is in so far
    (its accounts and liabilities; ``syncing`` names the banks still on their way) rather than
    waiting. Such a snapshot is never held: the session holds only the whole one."""
    items = tuple(c.item_key for c in state.connections())
    key = (
        state.active_source(settings), state.today(settings), items,
        webhook_events.versions(items, settings),
    )  # fmt: skip
    found, value = state.held("snapshot", key)
    result = cast(FinancialSnapshot | None, value) if found else _fresh_snapshot(settings, early)
    if result is not None and not result.syncing:
        if not found:
            state.hold("snapshot", key, result, result.fetched_at)
        state.record_fetch("accounts", result.fetched_at)
    return result


# --- Useful figures first ------------------------------------------------------------------
#
# A page that can show cards before transactions (the overview, the cards) fetches each bank
# on a worker of this process instead of in its run: the fetch goes through the very same
# cache (``fetch_one``), and hands over the bank's cards part as soon as its accounts and
# liabilities are in. The run draws what is in and the page asks again until every bank is
# whole (``progress``), in the same visit.

# Enough for every bank of a few sessions at once; a fetch mostly waits on the network.
BACKGROUND_FETCHES = 8
# A run that has something to show still waits this long for the rest: banks served from the
# cache answer within it, so a warm visit is drawn once, whole.
GRACE_SECONDS = 0.05
# A finished fetch no session has assembled yet (its page was closed) is let go after this.
FINISHED_KEPT_SECONDS = 60.0
# At most this long in one run before drawing the first bank's figures or a progress state.
FIRST_WAIT_SECONDS = 30.0


class _Underway:
    """One bank's fetch on a worker, and its cards part once in (shared by every session
    asking for the same bank meanwhile)."""

    def __init__(self) -> None:
        self.cards: ItemData | None = None
        self.fetched: data.ItemFetch | None = None
        self.failure: BaseException | None = None
        self.finished_at: float | None = None  # time.monotonic() when it ended

    def note_cards(self, part: ItemData) -> None:
        self.cards = part
        _announce()

    def finish(self, fetched: data.ItemFetch | None, failure: BaseException | None) -> None:
        self.fetched, self.failure = fetched, failure
        self.finished_at = time.monotonic()
        _announce()

    def stage(self) -> int:
        """0: nothing yet; 1: its cards; 2: done."""
        if self.fetched is not None or self.failure is not None:
            return 2
        return 1 if self.cards is not None else 0

    def troubled(self) -> bool:
        """Whether it ended with a problem (an upstream error, or a failure of its own)."""
        fetched = self.fetched
        return self.failure is not None or (fetched is not None and fetched.problem is not None)

    def result(self) -> data.ItemFetch:
        if self.failure is not None:
            raise self.failure
        return cast(data.ItemFetch, self.fetched)


_underway: dict[str, _Underway] = {}
_underway_lock = threading.Lock()
_moved = threading.Condition()  # told whenever a background fetch moves on


def _announce() -> None:
    with _moved:
        _moved.notify_all()


_workers = ThreadPoolExecutor(max_workers=BACKGROUND_FETCHES, thread_name_prefix="item-fetch")


def _let_go_of_finished(older_than: float) -> None:
    """Drop the fetches that ended more than ``older_than`` seconds ago: the cache holds what
    they brought, and a person's data must not outlive it here (call with the lock held)."""
    now = time.monotonic()
    for key in [
        key
        for key, underway in _underway.items()
        if underway.finished_at is not None and now - underway.finished_at > older_than
    ]:
        del _underway[key]


def _release(item_keys: list[str], underways: list[_Underway]) -> None:
    """The whole snapshot is assembled: its banks' finished fetches are not needed here."""
    with _underway_lock:
        for key, underway in zip(item_keys, underways, strict=True):
            if _underway.get(key) is underway:
                del _underway[key]


def forget_underway() -> None:
    """Stop joining the fetches under way (tests: each starts from a clean process)."""
    with _underway_lock:
        _underway.clear()


def _still_good(settings: Settings, underway: _Underway) -> bool:
    """Whether a finished fetch no run has assembled yet still stands for the bank: a page
    rerun meanwhile (its syncing fragment) joins it rather than fetch again from the cache,
    which on a loaded machine can miss the grace and draw the partial page once more."""
    fetched = underway.fetched
    return (
        fetched is not None
        and not data.outlived_ttl(fetched.fetched_at)
        and not webhook_events.moved_since(settings, fetched)
    )


def _drop_finished(item_key: str) -> None:
    """The item's cached fetch was dropped (Refresh, a webhook): so is its finished fetch."""
    with _underway_lock:
        found = _underway.get(item_key)
        if found is not None and found.stage() == 2:
            del _underway[item_key]


data.on_item_cleared(_drop_finished)


def _start(settings: Settings, connection: state.PlaidConnection) -> _Underway:
    """The bank's fetch under way, joined if another run started it, else started now."""
    keeper = keeping.keeper(settings)  # from the session, which the worker does not have
    with _underway_lock:
        _let_go_of_finished(FINISHED_KEPT_SECONDS)
        found = _underway.get(connection.item_key)
        if found is not None and (found.stage() < 2 or _still_good(settings, found)):
            return found
        underway = _Underway()
        _underway[connection.item_key] = underway

    def fetch() -> None:
        try:
            fetched = _fetch_kept(settings, connection, keeper, underway.note_cards)
        except BaseException as failure:  # raised again in the run that reads it
            underway.finish(None, failure)
        else:
            underway.finish(fetched, None)

    _workers.submit(fetch)
    return underway


def _wait_for_first(underways: list[_Underway]) -> None:
    """Until one bank has something to show, then a short grace for the others: every bank
    done means the whole snapshot, at once."""
    stages = [u.stage for u in underways]
    with _moved:
        _moved.wait_for(lambda: max(s() for s in stages) >= 1, timeout=FIRST_WAIT_SECONDS)
        _moved.wait_for(lambda: min(s() for s in stages) == 2, timeout=GRACE_SECONDS)


def _early_plaid_snapshot(settings: Settings) -> FinancialSnapshot | None:
    items = state.connections()
    if not items:
        return None
    underways = [_start(settings, connection) for connection in items]
    _wait_for_first(underways)
    if all(u.stage() == 2 for u in underways):
        _release([c.item_key for c in items], underways)
        return _assembled([u.result() for u in underways])
    return _partial(items, underways)


def _partial(items: list[state.PlaidConnection], underways: list[_Underway]) -> FinancialSnapshot:
    """What is in so far: the banks done (whole, or their problem) and the cards parts of the
    others. Its version names it as partial, so figures drawn from it are never taken for the
    whole snapshot's."""
    done = [u.result() for u in underways if u.stage() == 2]
    relabel(done, _cards_parts(items, underways))
    parts = [f.data for f in done if f.data is not None]
    parts += [u.cards for u in underways if u.stage() == 1 and u.cards is not None]
    stages = [(c.item_key, u.stage()) for c, u in zip(items, underways, strict=True)]
    syncing = tuple((key, stage) for key, stage in stages if stage < 2)
    fetched_at = min((f.fetched_at for f in done), default=data.now())
    snap = build_snapshot(parts, "plaid", fetched_at)
    named = "|".join(f"{key}:{stage}" for key, stage in stages)
    return replace(
        snap,
        problems=tuple(f.problem for f in done if f.problem),
        version=f"partial|{named}|{data.now().isoformat()}",
        syncing=syncing,
    )


def _cards_parts(
    items: list[state.PlaidConnection], underways: list[_Underway]
) -> dict[str, ItemData]:
    pairs = zip(items, underways, strict=True)
    return {c.item_key: u.cards for c, u in pairs if u.cards is not None}


# Setup waits at most this long for a bank's fetch under way to reach the bank's name.
NAMING_WAIT_SECONDS = 10.0


def name_banks(timeout: float = NAMING_WAIT_SECONDS) -> None:
    """Name this session's connections by their banks whatever page started their fetches
    and however far it got before the person left it: from a fetch under way (awaiting its
    cards part, which names the bank) or the last good fetch. Starts no fetch, so no call."""
    items = state.connections()
    with _underway_lock:
        found = [(c, _underway.get(c.item_key)) for c in items]
    underway = [(c, u) for c, u in found if u is not None]
    with _moved:
        _moved.wait_for(lambda: all(u.stage() >= 1 for _, u in underway), timeout)
    finished = [u.fetched for _, u in underway if u.fetched is not None]
    recalled = [f for c in items if (f := last_good.recalled(c.item_key)) is not None]
    cards = {c.item_key: u.cards for c, u in underway if u.cards is not None}
    relabel([*recalled, *finished], cards)


def progress(item_keys: tuple[str, ...]) -> tuple[int, ...]:
    """How far each of these banks' background fetches has come (2 when none is under way):
    a page drawn from a partial snapshot asks again when this moves."""
    with _underway_lock:
        found = [_underway.get(key) for key in item_keys]
    return tuple(2 if u is None else u.stage() for u in found)


def troubled(item_keys: tuple[str, ...]) -> tuple[bool, ...]:
    """Whether each of these banks' background fetches ended with a problem (False for one
    not under way)."""
    with _underway_lock:
        found = [_underway.get(key) for key in item_keys]
    return tuple(u is not None and u.troubled() for u in found)


def worth_redrawing(
    drawn: tuple[int, ...], now: tuple[int, ...], troubled: tuple[bool, ...]
) -> bool:
    """Whether a page drawn while its syncing banks were at the ``drawn`` stages (``progress``)
    is to be drawn again, now that they are at ``now``: when a bank's cards came in (each
    bank's cards show as soon as it answers), a bank ended with a problem (said at once), or
    every one is done (the whole page). A bank whose history arrived while another still
    syncs changes nothing shown until the last one does: redrawing the whole page for it
    only made the browser draw it once more (issue 18)."""
    cards_came = any(before == 0 and after >= 1 for before, after in zip(drawn, now, strict=True))
    return cards_came or any(troubled) or all(stage == 2 for stage in now)


def await_whole(item_keys: tuple[str, ...], timeout: float) -> bool:
    """Whether these banks' background fetches all ended within ``timeout`` seconds (waits
    for it; tests and ``make bench`` await the second phase with it)."""
    with _moved:
        return _moved.wait_for(lambda: min(progress(item_keys), default=2) == 2, timeout)
