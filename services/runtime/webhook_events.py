"""Plaid's webhooks once verified: what they change, in this process and for every replica.

One worker thread per process takes the events the route accepted (a small bounded queue: the
route answers Plaid at once and never waits for a Plaid call). What they leave:

- news per item (a login required, a disconnect or expiry coming, permission revoked, new
  accounts), shown on the overview of the sessions holding that item; LOGIN_REPAIRED clears it;
- a version per item, which a session's held snapshot is keyed by: a webhook that changed an
  item lets go of every session's copy of it;
- SYNC_UPDATES_AVAILABLE:
  - for an item whose token the process holds (the operator's, from PLAID_ACCESS_TOKEN), a
    fetch here, through the same loader as a page, so the next visitor finds it cached;
  - in traditional mode, for every person who keeps the item (its token is in the history
    store, sealed by the app's key), a fetch here from the kept cursor, kept as a page's fetch
    would keep it: their next run finds it cached and their History shows it;
  - otherwise (a person's item in a stateless or hybrid deployment: only their session holds
    the token) its cache entry goes, so their session fetches on its next run.

In hybrid mode (REDIS_URL) the news and versions are kept in Redis for every replica, under
keyed hashes of the item_id, as kind words and moments, sealed; a SYNC_UPDATES_AVAILABLE
moves the item's shared version and drops its shared data in one step, so whichever replica
runs for it next fetches (a delta sync from the shared cursor). While Redis is in trouble
they are kept in this process, as without it (said once in the log).

Items are known by Plaid's item_id in webhooks and by their keyed hash in the caches: each
successful fetch notes which is which.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, cast, get_args

import streamlit as st

from integrations.common.errors import UpstreamError
from integrations.common.logs import get_logger
from integrations.plaid.webhooks import WebhookEvent, WebhookVerifier
from services.runtime import loaders as data
from services.runtime import sharing
from services.runtime.cache_keys import item_key as keyed_item
from services.runtime.clients import configuration_key, plaid_client, vault
from services.runtime.keeping import Keeper, failed, keeps_history, kept_store
from services.runtime.settings import Settings
from services.runtime.shared_store import shared_store
from services.runtime.vault import ReconnectRequired
from services.storage.errors import StoreError

log = get_logger("webhooks")

NoticeKind = Literal[
    "login_required", "pending_disconnect", "pending_expiration", "permission_revoked",
    "new_accounts",
]  # fmt: skip
NOTICE_KINDS: frozenset[str] = frozenset(get_args(NoticeKind))
MAX_QUEUED = 100  # events waiting for the worker; past this the route says "busy" (503)
MAX_ITEMS_REMEMBERED = 10_000
# The ITEM codes that leave news on the overview, and the ones that clear it.
ITEM_NOTICES: dict[str, NoticeKind] = {
    "PENDING_DISCONNECT": "pending_disconnect",
    "PENDING_EXPIRATION": "pending_expiration",
    "USER_PERMISSION_REVOKED": "permission_revoked",
    "NEW_ACCOUNTS_AVAILABLE": "new_accounts",
}
SYNC_CODES = frozenset({("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE")})
QUIET_CODES = frozenset({("ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED")})


@dataclass(frozen=True)
class ItemNotice:
    kind: NoticeKind
    since: datetime


@dataclass
class Inbox:
    """What this process's webhooks left, per item. Guarded by ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    notices: dict[str, dict[NoticeKind, ItemNotice]] = field(default_factory=dict)  # by item_id
    versions: dict[str, int] = field(default_factory=dict)  # by item_key
    item_keys: dict[str, str] = field(default_factory=dict)  # item_id -> item_key
    alone_since_logged: bool = False  # the log said webhooks are kept in this process only

    def key_of(self, item_id: str) -> str | None:
        with self.lock:
            return self.item_keys.get(item_id)

    def ids_of(self, item_keys: Iterable[str]) -> list[str | None]:
        with self.lock:
            by_key = {key: item_id for item_id, key in self.item_keys.items()}
        return [by_key.get(key) for key in item_keys]

    def bump(self, item_key: str) -> None:
        with self.lock:
            self.versions[item_key] = self.versions.get(item_key, 0) + 1

    def note(self, item_id: str, kind: NoticeKind) -> None:
        with self.lock:
            self.notices.setdefault(item_id, {})[kind] = ItemNotice(kind, datetime.now(UTC))
            _bounded(self.notices)

    def clear(self, item_id: str) -> None:
        with self.lock:
            self.notices.pop(item_id, None)


def _bounded(entries: dict[str, object]) -> None:
    while len(entries) > MAX_ITEMS_REMEMBERED:
        del entries[next(iter(entries))]


@st.cache_resource(show_spinner=False)
def inbox() -> Inbox:
    return Inbox()


# --- What a session reads ------------------------------------------------------------------


def note_fetched(item_key: str, item_id: str) -> None:
    """A fetch named this item: webhooks about ``item_id`` are about ``item_key``."""
    box = inbox()
    with box.lock:
        box.item_keys[item_id] = item_key
        _bounded(box.item_keys)


Version = tuple[int, int | None]


def versions(item_keys: Iterable[str], settings: Settings | None = None) -> tuple[Version, ...]:
    """How many times webhooks changed each of these items: in this process, and (hybrid
    mode, for an item this process has fetched) for every replica, None when Redis cannot be
    asked. A session's held copy is keyed by these: one read of Redis per run."""
    keys = tuple(item_keys)
    box = inbox()
    with box.lock:
        here = tuple(box.versions.get(key, 0) for key in keys)
    shared = _shared_versions(keys, settings)
    return tuple(zip(here, shared, strict=True))


def _shared_versions(item_keys: tuple[str, ...], settings: Settings | None) -> list[int | None]:
    store = None if settings is None else shared_store(settings)
    if store is None:
        return [None] * len(item_keys)
    ids = inbox().ids_of(item_keys)
    known = [item_id for item_id in ids if item_id is not None]
    found = store.item_versions(known)  # nothing asked when none is known
    if found is None:
        return [None] * len(item_keys)
    by_id = dict(zip(known, found, strict=True))
    # An item this process has not fetched yet has nothing of it held here to let go of.
    return [0 if item_id is None else by_id[item_id] for item_id in ids]


def moved_since(settings: Settings, fetched: data.ItemFetch) -> bool:
    """Hybrid mode: whether a webhook changed the item after this fetch (here or on another
    replica), so it is fetched again. False without Redis, or while it cannot be asked."""
    store = shared_store(settings)
    if store is None or fetched.data is None:
        return False
    found = store.item_versions([fetched.data.item.item_id])
    return bool(found) and found[0] > fetched.version


def notices(
    item_keys: Iterable[str], settings: Settings | None = None
) -> list[tuple[str, ItemNotice]]:
    """The news webhooks left about these items, as (item_key, notice), oldest first: what
    every replica shares (hybrid mode) and what this process kept while Redis was away."""
    box = inbox()
    wanted = set(item_keys)
    with box.lock:
        found = {
            (key, notice.kind): notice
            for item_id, kinds in box.notices.items()
            if (key := box.item_keys.get(item_id)) in wanted
            for notice in kinds.values()
        }
    for key, notice in _shared_notices(wanted, settings):
        found.setdefault((key, notice.kind), notice)
    return sorted(((key, notice) for (key, _), notice in found.items()), key=_since)


def _since(pair: tuple[str, ItemNotice]) -> datetime:
    return pair[1].since


def _shared_notices(wanted: set[str], settings: Settings | None) -> list[tuple[str, ItemNotice]]:
    store = None if settings is None else shared_store(settings)
    if store is None or not wanted:
        return []
    keys = sorted(wanted)
    pairs = [(key, item_id) for key, item_id in zip(keys, inbox().ids_of(keys), strict=True)]
    known = {item_id: key for key, item_id in pairs if item_id is not None}
    news = store.news(list(known)) or {}
    return [
        (known[item_id], ItemNotice(cast(NoticeKind, kind), since))
        for item_id, kinds in news.items()
        for kind, since in kinds.items()
        if kind in NOTICE_KINDS
    ]


def settle(settings: Settings, item_key: str, kinds: Iterable[NoticeKind]) -> None:
    """The person dealt with this news about their bank (update mode succeeded): it goes
    from every session's overview (every replica's, in hybrid mode), and the sessions holding
    the item show it again."""
    box = inbox()
    (item_id,) = box.ids_of([item_key])
    if item_id is None:
        return
    wanted = sorted(set(kinds))
    with box.lock:
        news = box.notices.get(item_id, {})
        for kind in wanted:
            news.pop(kind, None)
        if not news:
            box.notices.pop(item_id, None)
    store = shared_store(settings)
    if store is not None and not store.drop_news(item_id, wanted):
        _kept_here_only(box)
    _changed(settings, item_id, refetch=False)


# --- Verifying -----------------------------------------------------------------------------


@st.cache_resource(max_entries=4, show_spinner=False)
def _verifier(settings_key: str, _settings: Settings) -> WebhookVerifier:
    store = shared_store(_settings)
    return WebhookVerifier(
        plaid_client(_settings).webhook_verification_key,
        # Hybrid mode: a call accepted by one replica is refused by the others too.
        claim=None if store is None else store.claim_webhook,
    )


def verifier(settings: Settings) -> WebhookVerifier:
    """One per configuration: its cache of Plaid's keys and of calls already accepted."""
    return _verifier(configuration_key(settings), settings)


# --- The worker ----------------------------------------------------------------------------

Job = Callable[[], None]


def _work(jobs: queue.Queue[Job]) -> None:
    while True:
        job = jobs.get()
        try:
            job()
        except UpstreamError as error:  # safe to log: codes, never a body
            log.warning("webhook work failed: %s", error)
        except Exception as error:  # the worker must outlive any one event
            log.error("webhook work failed: %s", type(error).__name__)


@st.cache_resource(show_spinner=False)
def _jobs() -> queue.Queue[Job]:
    jobs: queue.Queue[Job] = queue.Queue(maxsize=MAX_QUEUED)
    threading.Thread(target=_work, args=(jobs,), name="plaid-webhooks", daemon=True).start()
    return jobs


def submit(settings: Settings, event: WebhookEvent) -> bool:
    """Hand an accepted event to the worker; False when it is too far behind (the route
    then asks Plaid to send it again later)."""
    try:
        _jobs().put_nowait(lambda: apply(settings, event))
    except queue.Full:
        log.warning("webhook %s/%s not taken: queue full", event.webhook_type, event.webhook_code)
        return False
    return True


def drain() -> None:
    """Wait until every event handed over so far is dealt with (tests)."""
    done = threading.Event()
    _jobs().put(done.set)
    done.wait()


# --- What an event does --------------------------------------------------------------------


def apply(settings: Settings, event: WebhookEvent) -> None:
    kind = (event.webhook_type, event.webhook_code)
    if event.item_id is None or kind in QUIET_CODES:
        log.info("webhook %s/%s acknowledged", *kind)
        return
    if kind in SYNC_CODES:
        refresh_item(settings, event.item_id)
    elif event.webhook_type == "ITEM":
        apply_item_news(settings, event)
    else:
        log.info("webhook %s/%s acknowledged, not acted on", *kind)
        return
    log.info("webhook %s/%s applied", *kind)


def apply_item_news(settings: Settings, event: WebhookEvent) -> None:
    item_id, code = str(event.item_id), event.webhook_code
    if code == "ERROR" and event.error_code == "ITEM_LOGIN_REQUIRED":
        kind: NoticeKind = "login_required"
    elif code in ITEM_NOTICES:
        kind = ITEM_NOTICES[code]
    elif code == "LOGIN_REPAIRED":
        _clear_news(settings, item_id)
        refresh_item(settings, item_id)
        return
    else:
        log.info("webhook ITEM/%s acknowledged, not acted on", code)
        return
    _note_news(settings, item_id, kind)
    _changed(settings, item_id, refetch=False)  # sessions holding it rerun to show the news


def _note_news(settings: Settings, item_id: str, kind: NoticeKind) -> None:
    """For every replica in hybrid mode; in this process without Redis, or while it is away
    (a LOGIN_REPAIRED on another replica could not clear what only this process holds)."""
    box, store = inbox(), shared_store(settings)
    if store is not None and store.note_news(item_id, kind, datetime.now(UTC), _kept_for(settings)):
        box.alone_since_logged = False
        return
    if store is not None:
        _kept_here_only(box)
    box.note(item_id, kind)


def _clear_news(settings: Settings, item_id: str) -> None:
    inbox().clear(item_id)
    store = shared_store(settings)
    if store is not None and not store.clear_news(item_id):
        _kept_here_only(inbox())


def _kept_here_only(box: Inbox) -> None:
    if not box.alone_since_logged:
        box.alone_since_logged = True
        log.warning(
            "webhooks reach this replica only while the shared cache is unavailable: "
            "other replicas learn of them at their next fetch"
        )


def _kept_for(settings: Settings) -> float:
    """How long the shared store keeps an item's news and version: as long as its cursor."""
    return settings.sync_retention_days * 86_400.0


def _changed(settings: Settings, item_id: str, *, refetch: bool) -> None:
    """The item changed: its version moves on here and (hybrid mode) for every replica; with
    ``refetch`` its cached data goes too (its shared data went with the shared version)."""
    store, box = shared_store(settings), inbox()
    if store is not None and store.item_changed(item_id, _kept_for(settings)) is None:
        _kept_here_only(box)
    item_key = box.key_of(item_id)
    if item_key is not None:
        if refetch:
            data.clear_plaid_item(item_key)
        box.bump(item_key)


def refresh_item(settings: Settings, item_id: str) -> None:
    """New data at Plaid: fetched again here when this process holds the token (the
    operator's) or the history store keeps it (traditional mode); else the cached copies go
    (here and, in hybrid mode, for every replica) so the session holding it fetches on its
    next run."""
    _changed(settings, item_id, refetch=True)
    if keeps_history(settings):
        if not _fetch_for_keepers(settings, item_id):
            log.info("webhook about an item no one keeps here: its caches were dropped")
        return
    token = _operator_items(settings).get(item_id)
    if token is not None:
        sharing.drop_item(settings, vault(settings).seal(token))
        _fetch_here(settings, token, None)


def _fetch_here(settings: Settings, token: str, keeper: data.ItemKeeper | None) -> None:
    """The page's own fetch, done now: the next run finds it in the cache."""
    item_key = keyed_item(token)
    data.clear_plaid_item(item_key)
    fetched = data.fetch_plaid_item(
        item_key, token, plaid_client(settings), data.Shared.of(settings), keeper
    )
    if fetched.data is not None:
        note_fetched(item_key, fetched.data.item.item_id)
    inbox().bump(item_key)


def _fetch_for_keepers(settings: Settings, item_id: str) -> bool:
    """Traditional mode: the item fetched for each person who keeps it, from their kept
    cursor, and what it brought kept, exactly as their page's fetch would. The token is the
    one the history store keeps, sealed by the app's key (never by a session's), so no
    session is needed. Whether anyone keeps it."""
    store = kept_store(settings)
    if store is None:
        return False
    try:
        holders = store.holders_of(item_id)
    except StoreError as error:
        failed(error)
        return False
    # The transactions and the cursor are kept, but no day's balances: "today" is the
    # person's, in their time zone, which only their own run knows (it records the day).
    today = settings.as_of_date
    for person, sealed in holders:
        keeper = Keeper(store, person, vault(settings), today)
        try:
            with vault(settings).revealed(sealed) as token:
                _fetch_here(settings, token, keeper)
        except ReconnectRequired:  # sealed under a key this app no longer has
            log.warning("a kept item could not be opened to fetch its webhook's news")
    return bool(holders)


@st.cache_resource(max_entries=4, show_spinner=False)
def _operator_item_ids(settings_key: str) -> dict[str, str]:
    return {}


def _operator_items(settings: Settings) -> dict[str, str]:
    """The operator's items by item_id -> token: /item/get once per token per process."""
    found = _operator_item_ids(configuration_key(settings))
    if len(found) >= len(settings.plaid_access_tokens):
        return found
    client = plaid_client(settings)
    for secret in settings.plaid_access_tokens:
        token = secret.reveal()
        if token in found.values():
            continue
        try:
            item_id = (client.get_item(token).get("item") or {}).get("item_id")
        except UpstreamError as error:
            log.warning("an operator item could not be named: %s", error)
            continue
        if isinstance(item_id, str):
            found[item_id] = token
    return found


# --- At start ------------------------------------------------------------------------------


@st.cache_resource(max_entries=4, show_spinner=False)
def _pointed(settings_key: str) -> threading.Event:
    return threading.Event()


def point_operator_items(settings: Settings) -> None:
    """Once per process: the operator's items (which came from settings, not through Link
    here) are told where to send webhooks, with /item/webhook/update. In the background: the
    first page does not wait for it."""
    if not (settings.plaid_webhook_url and settings.plaid_access_tokens):
        return
    pointed = _pointed(configuration_key(settings))
    if pointed.is_set():
        return
    pointed.set()

    def point() -> None:
        client, done = plaid_client(settings), 0
        for secret in settings.plaid_access_tokens:
            try:
                client.update_item_webhook(secret.reveal())
                done += 1
            except UpstreamError as error:
                log.warning("/item/webhook/update failed for an operator item: %s", error)
        log.info("webhook URL set on %d of the operator's items", done)
        _operator_items(settings)

    try:
        _jobs().put_nowait(point)
    except queue.Full:
        pointed.clear()
