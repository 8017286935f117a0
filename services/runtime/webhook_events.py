"""Plaid's webhooks once verified: what they change in this process.

One worker thread per process takes the events the route accepted (a small bounded queue: the
route answers Plaid at once and never waits for a Plaid call). What they leave is kept here,
per process, for every session to read on its next run:

- news per item (a login required, a disconnect or expiry coming, permission revoked, new
  accounts), shown on the overview of the sessions holding that item; LOGIN_REPAIRED clears it;
- a version per item, which a session's held snapshot is keyed by: a webhook that changed an
  item lets go of every session's copy of it;
- SYNC_UPDATES_AVAILABLE for an item whose token the process holds (the operator's, from
  PLAID_ACCESS_TOKEN) is fetched again here, through the same loader as a page, so the next
  visitor finds it cached and causes no call upstream. Other items (connected by a person, or
  any in traditional mode, whose fetch belongs to the person's own history) have their cache
  entry dropped: their session fetches on its next run.

Items are known by Plaid's item_id in webhooks and by their keyed hash in the caches: each
successful fetch notes which is which. Nothing here is written anywhere.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import streamlit as st

from integrations.common.errors import UpstreamError
from integrations.common.logs import get_logger
from integrations.plaid.webhooks import WebhookEvent, WebhookVerifier
from services.runtime import loaders as data
from services.runtime import sharing
from services.runtime.cache_keys import item_key as keyed_item
from services.runtime.clients import configuration_key, plaid_client, vault
from services.runtime.keeping import keeps_history
from services.runtime.settings import Settings

log = get_logger("webhooks")

NoticeKind = Literal[
    "login_required", "pending_disconnect", "pending_expiration", "permission_revoked",
    "new_accounts",
]  # fmt: skip
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

    def key_of(self, item_id: str) -> str | None:
        with self.lock:
            return self.item_keys.get(item_id)

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


def versions(item_keys: Iterable[str]) -> tuple[int, ...]:
    """How many times webhooks changed each of these items in this process."""
    box = inbox()
    with box.lock:
        return tuple(box.versions.get(key, 0) for key in item_keys)


def notices(item_keys: Iterable[str]) -> list[tuple[str, ItemNotice]]:
    """The news webhooks left about these items, as (item_key, notice), oldest first."""
    box = inbox()
    wanted = set(item_keys)
    with box.lock:
        found = [
            (key, notice)
            for item_id, kinds in box.notices.items()
            if (key := box.item_keys.get(item_id)) in wanted
            for notice in kinds.values()
        ]
    return sorted(found, key=lambda pair: pair[1].since)


def settle(item_key: str, kinds: Iterable[NoticeKind]) -> None:
    """The person dealt with this news about their bank (update mode succeeded): it goes
    from every session's overview, and the sessions holding the item show it again."""
    box = inbox()
    wanted = set(kinds)
    with box.lock:
        for item_id in [i for i, key in box.item_keys.items() if key == item_key]:
            news = box.notices.get(item_id, {})
            for kind in wanted & set(news):
                del news[kind]
            if not news:
                box.notices.pop(item_id, None)
    box.bump(item_key)


# --- Verifying -----------------------------------------------------------------------------


@st.cache_resource(max_entries=4, show_spinner=False)
def _verifier(settings_key: str, _settings: Settings) -> WebhookVerifier:
    return WebhookVerifier(plaid_client(_settings).webhook_verification_key)


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
    box, item_id = inbox(), str(event.item_id)
    code = event.webhook_code
    if code == "ERROR" and event.error_code == "ITEM_LOGIN_REQUIRED":
        box.note(item_id, "login_required")
    elif code in ITEM_NOTICES:
        box.note(item_id, ITEM_NOTICES[code])
    elif code == "LOGIN_REPAIRED":
        box.clear(item_id)
        refresh_item(settings, item_id)
        return
    else:
        log.info("webhook ITEM/%s acknowledged, not acted on", code)
        return
    item_key = box.key_of(item_id)
    if item_key is not None:
        box.bump(item_key)  # sessions holding it rerun to show the news


def refresh_item(settings: Settings, item_id: str) -> None:
    """New data at Plaid: fetched again here when this process holds the token, else its
    cache entry goes so the session holding it fetches on its next run."""
    box = inbox()
    token = _operator_items(settings).get(item_id)
    if token is None or keeps_history(settings):
        item_key = box.key_of(item_id)
        if item_key is not None:
            data.clear_plaid_item(item_key)
            box.bump(item_key)
        return
    item_key = keyed_item(token)
    data.clear_plaid_item(item_key)
    sharing.drop_item(settings, vault(settings).seal(token))
    fetched = data.fetch_plaid_item(
        item_key, token, plaid_client(settings), data.Shared.of(settings), None
    )
    if fetched.data is not None:
        note_fetched(item_key, fetched.data.item.item_id)
    box.bump(item_key)


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
