"""The shared cache of hybrid mode: sealed bytes in a Redis every replica uses.

The loaders (``loaders.fetch_plaid_item``, ``loaders.fetch_credit_report``) ask it on an
in-process miss and put what they fetched, so one replica's fetch serves them all.

- **Names and values** come from ``shared_keys``: a keyed hash of whose entry it is, a value
  encrypted, authenticated and bound to its name. Values are data (``codec``), never pickles.
- **One fetch for everyone**: ``lock`` (``SET NX PX`` with a random token, released only by its
  holder) and ``wait_for`` (for the others: poll until the holder's value appears, bounded).
- **Forgetting**: ``forget`` deletes every entry of an identity for every replica, and keeps a
  fetch already under way from writing it back.
- **Limits every replica shares**: ``count_pull`` counts a credit pull against a person's and
  the deployment's daily limits in one step, and ``claim_refresh`` starts a person's refresh
  interval (``SET NX PX``); ``limits`` decides with them, and counts in its process when they
  answer None.
- **Faults**: Redis unreachable, slow, restarting, full or read-only never reaches a caller.
  Every operation then answers as a miss or does nothing, within the short socket timeouts
  below; one warning is logged when the trouble starts and one line when Redis answers again.
  Meanwhile the store does not ask Redis at all, except once per back-off period (from
  ``FIRST_RETRY_SECONDS``, doubling to ``MAX_RETRY_SECONDS``) to see whether it is back.
  ``status()`` says what a page can show.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from enum import StrEnum
from typing import Any, Literal, TypeVar, cast, overload

import redis
import streamlit as st
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ReadOnlyError
from redis.retry import Retry

from integrations.common.logs import get_logger
from integrations.common.secret import Secret
from services.runtime.cache_keys import keyed_hash
from services.runtime.codec import CodecError
from services.runtime.settings import Settings
from services.runtime.shared_keys import NAME_PREFIX, SharedKeys, ValueRejected

# Redis answers in well under a millisecond. These bound how long a page can wait on one that
# does not, and do not follow the upstream timeouts: a cache slower than this is no use. The
# read timeout is per socket read, so a large value that keeps arriving is not cut off.
CONNECT_TIMEOUT_SECONDS = 0.5
READ_TIMEOUT_SECONDS = 0.5
# After a failure, Redis is asked again after this long, doubling while it is still in trouble.
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
# After ``forget``, no put for that identity lands for this long: a fetch already under way
# (at most one upstream call budget, retries included) must not write back what was forgotten.
FORGET_GUARD_SECONDS = 300.0
# ``wait_for`` polls from this often, doubling to the most.
FIRST_POLL_SECONDS = 0.02
MAX_POLL_SECONDS = 0.25
# Forgets that could not reach Redis, kept (as key names only) to be done when it answers.
PENDING_FORGETS_KEPT = 10_000
# A day's pull counts outlive the day in every time zone, then go by themselves.
PULL_COUNT_TTL_SECONDS = 2 * 86400
# The shared counts' kinds. Not a ``Kind``: ``forget`` leaves them, so "Remove my details" does
# not give a person their pulls back.
PULLS_BY_PERSON = "pulls"  # identity: the day and the person's keyed hash
PULLS_BY_DEPLOYMENT = "pulls-all"  # identity: the day
REFRESHED = "refreshed"  # identity: the person's keyed hash
# What Plaid's webhooks leave for every replica (identity: Plaid's item_id, or a token).
ITEM_VERSION = "item-version"  # a counter: how many times webhooks changed the item
ITEM_NEWS = "item-news"  # a hash: notice kind -> when (sealed), until LOGIN_REPAIRED
ITEM_ENTRY = "item-entry"  # item_id -> the name of its ITEM entry (sealed), for the webhook
ITEM_OF = "item-of"  # token -> the name of its item's version counter (sealed)
WEBHOOK_SEEN = "webhook-seen"  # identity: the SHA-256 of a verified webhook's signed text
LIVE_BALANCE = "live-balance"  # identity: the person's keyed hash and the bank's key

_log = get_logger("shared_cache")
T = TypeVar("T")

# Set the value unless the identity was forgotten moments ago or, given a third key, unless
# that item's webhook version moved from ARGV[3] (a webhook came during the fetch: what it
# brought may be older than what Plaid now has), in one step.
_PUT_UNLESS_FORGOTTEN = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if KEYS[3] and tonumber(redis.call('GET', KEYS[3]) or '0') ~= tonumber(ARGV[3]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
# Release a lock only if it is still ours: it may have expired and been taken by another.
_RELEASE_IF_OURS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# Count one pull for the person (KEYS[1]) and the deployment (KEYS[2]) only while both are under
# their limits (ARGV[1], ARGV[2]), in one step: replicas asking at once never pass a limit
# between them. Answers which limit refused (0 none, 1 the person's, 2 the deployment's) and
# the person's count, this pull included when it was counted.
_COUNT_PULL = """
local theirs = tonumber(redis.call('GET', KEYS[1]) or '0')
if theirs >= tonumber(ARGV[1]) then return {1, theirs} end
local everyone = tonumber(redis.call('GET', KEYS[2]) or '0')
if everyone >= tonumber(ARGV[2]) then return {2, theirs} end
theirs = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {0, theirs}
"""
# Start an interval (ARGV[1] ms) unless one is running: 0, or the milliseconds it has left.
_CLAIM_INTERVAL = """
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
return math.max(redis.call('PTTL', KEYS[1]), 1)
"""


class Kind(StrEnum):
    """What an entry holds; the one readable part of its name."""

    ITEM = "item"  # one Plaid item's data (codec.encode_item), for CACHE_TTL_SECONDS
    REPORT = "report"  # one applicant's credit report (codec.encode_report), CACHE_TTL_SECONDS
    SYNC = "sync"  # an item's sync cursor and transactions (codec.encode_sync_state), retained


Health = Literal["ok", "unavailable", "refusing writes"]
# What the app does meanwhile, as a page or a log line says it.
_CONSEQUENCE: dict[Health, str] = {
    "unavailable": "serving from this process",
    "refusing writes": "new data stays in this process",
}


@dataclass(frozen=True)
class SharedCacheStatus:
    """Whether the shared cache is in use, and since when not, for a page to say."""

    health: Health = "ok"
    since: datetime | None = None  # when the trouble began (UTC)

    @property
    def ok(self) -> bool:
        return self.health == "ok"

    def describe(self, zone: tzinfo = UTC) -> str | None:
        """One sentence for the sidebar, or None when all is well."""
        if self.health == "ok" or self.since is None:
            return None
        at = f"{self.since.astimezone(zone):%H:%M}"
        if self.health == "unavailable":
            return f"shared cache unavailable since {at}; {_CONSEQUENCE[self.health]}"
        return f"shared cache full or read-only since {at}; {_CONSEQUENCE[self.health]}"


PullLimit = Literal["person", "deployment"]
_REFUSED_BY: dict[int, PullLimit | None] = {0: None, 1: "person", 2: "deployment"}


@dataclass(frozen=True)
class PullCount:
    """One credit pull counted (``refused_by`` None) or refused by a daily limit, and the
    person's pulls that day, this one included when it was counted."""

    refused_by: PullLimit | None
    theirs: int


@dataclass(frozen=True)
class ItemVersion:
    """An item's webhook version as a fetch read it before starting: the counter's name and
    its value then. What the fetch brought is shared only while the counter still says so."""

    counter: str
    value: int


_NO_ANSWER = object()  # Redis could not be asked (a fallback that no answer can equal)


def _count(value: object) -> int:
    try:
        return int(cast(Any, value) or 0)
    except (TypeError, ValueError):
        return 0


@dataclass
class _Trouble:
    health: Health
    since: datetime
    retry_at: float  # on the store's clock
    wait: float  # the current back-off


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def pull_count_names(keys: SharedKeys, person: str, day: date) -> tuple[str, str]:
    """The names of ``person``'s pull count on ``day`` and the deployment's."""
    return (
        keys.name(PULLS_BY_PERSON, f"{day.isoformat()}\0{person}"),
        keys.name(PULLS_BY_DEPLOYMENT, day.isoformat()),
    )


def refresh_name(keys: SharedKeys, person: str) -> str:
    """The name of ``person``'s running refresh interval."""
    return keys.name(REFRESHED, person)


def live_balance_name(keys: SharedKeys, bank: str, person: str | None = None) -> str:
    """The name of the running interval between live balance checks of ``bank``: whoever
    asks, or only ``person``'s."""
    return keys.name(LIVE_BALANCE, bank if person is None else f"{person}\0{bank}")


def _refuses_writes(error: BaseException) -> bool:
    """Redis is up but will not store more: full under ``noeviction``, or a read-only replica
    (redis-py raises these for a script's writes too)."""
    return isinstance(error, OutOfMemoryError | ReadOnlyError)


class SharedStore:
    """Get, put, lock and forget sealed values in Redis; never raises to its callers."""

    def __init__(
        self,
        client: redis.Redis,
        keys: SharedKeys,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._client = client
        self._keys = keys
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self._guard = threading.Lock()
        self._trouble: _Trouble | None = None
        self._pending_forgets: dict[str, tuple[str, ...]] = {}  # tombstone -> names
        self._put_script = client.register_script(_PUT_UNLESS_FORGOTTEN)
        self._release_script = client.register_script(_RELEASE_IF_OURS)
        self._count_pull_script = client.register_script(_COUNT_PULL)
        self._claim_interval_script = client.register_script(_CLAIM_INTERVAL)

    @classmethod
    def connect(cls, url: str, encryption_key: str, **options: Any) -> SharedStore:
        """A store on the Redis at ``url``. Nothing is sent until the first operation, so an
        unreachable Redis does not stop the app from starting."""
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=READ_TIMEOUT_SECONDS,
            # Once more on a fresh connection after a dropped one (a restart, an idle
            # connection closed); never after a timeout, which would double the wait.
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        )
        return cls(client, SharedKeys(encryption_key), **options)

    def close(self) -> None:
        self._client.close()

    # --- Values ------------------------------------------------------------------------------

    @overload
    def get(self, kind: Kind, identity: str) -> bytes | None: ...

    @overload
    def get(self, kind: Kind, identity: str, decode: Callable[[bytes], T]) -> T | None: ...

    def get(self, kind: Kind, identity: str, decode: Callable[[bytes], Any] | None = None) -> Any:
        """The value every replica shares for (kind, identity), decoded if asked; None on a
        miss, when Redis is in trouble, or for a value that does not open or decode."""
        name = self._keys.name(kind, identity)
        sealed = self._attempt(lambda client: client.get(name), None)
        return None if sealed is None else self._opened(kind, name, sealed, decode)

    def put(
        self,
        kind: Kind,
        identity: str,
        value: bytes,
        ttl_seconds: float,
        unless_moved: ItemVersion | None = None,
    ) -> bool:
        """Share ``value`` for ``ttl_seconds``. False when it was not stored: Redis in trouble,
        the identity forgotten within ``FORGET_GUARD_SECONDS``, or (given ``unless_moved``,
        the item's webhook version read before the fetch) a webhook changed the item since."""
        name = self._keys.name(kind, identity)
        keys = [name, self._tombstone(identity)]
        condition: list[object] = []
        if unless_moved is not None:
            keys.append(unless_moved.counter)
            condition.append(unless_moved.value)
        ttl = _milliseconds(ttl_seconds)

        def store(client: redis.Redis) -> object:
            # Sealed here, so a value is not encrypted only to be skipped.
            args = [self._keys.seal(name, value), ttl, *condition]
            return self._put_script(keys=keys, args=args, client=client)

        return self._attempt(store, 0, adds_data=True) == 1

    def delete(self, kind: Kind, identity: str) -> bool:
        """Drop one entry for every replica (a Refresh). False when Redis could not be asked."""
        name = self._keys.name(kind, identity)
        return self._attempt(lambda client: client.delete(name) >= 0, False)

    def forget(self, identity: str) -> bool:
        """Delete every entry and lock of this identity for every replica (Disconnect, "Remove
        my details"), and keep a fetch still under way from writing it back. When Redis cannot
        be asked, the names are kept and deleted as soon as it answers again: False till then."""
        tombstone = self._tombstone(identity)
        names = tuple(self._keys.name(kind, identity) for kind in Kind)
        names += tuple(self._lock_name(kind, identity) for kind in Kind)
        names += (self._keys.name(ITEM_OF, identity),)
        if self._forget_names(tombstone, names):
            return True
        with self._guard:
            self._pending_forgets[tombstone] = names
            while len(self._pending_forgets) > PENDING_FORGETS_KEPT:
                del self._pending_forgets[next(iter(self._pending_forgets))]
        return False

    # --- One fetch for everyone --------------------------------------------------------------

    @contextmanager
    def lock(self, kind: Kind, identity: str, ttl_seconds: float) -> Iterator[bool]:
        """Whether this caller holds the (kind, identity) lock for the ``with`` block, for at
        most ``ttl_seconds``. False when another holds it or Redis is in trouble: the caller
        then uses ``wait_for``, which in trouble answers None at once, and fetches itself."""
        name = self._lock_name(kind, identity)
        token = secrets.token_hex(16)
        ttl = _milliseconds(ttl_seconds)
        acquired = self._attempt(
            lambda client: bool(client.set(name, token, nx=True, px=ttl)), False, adds_data=True
        )
        try:
            yield acquired
        finally:
            if acquired:
                release = self._release_script
                self._attempt(lambda client: release(keys=[name], args=[token], client=client), 0)

    @overload
    def wait_for(self, kind: Kind, identity: str, timeout_seconds: float) -> bytes | None: ...

    @overload
    def wait_for(
        self, kind: Kind, identity: str, timeout_seconds: float, decode: Callable[[bytes], T]
    ) -> T | None: ...

    def wait_for(
        self,
        kind: Kind,
        identity: str,
        timeout_seconds: float,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Any:
        """The value the lock's holder puts, polled with a short back-off for at most
        ``timeout_seconds``. None sooner when the lock is gone without a value (the holder's
        fetch failed) or Redis is in trouble, so the caller can fetch itself."""
        name, lock = self._keys.name(kind, identity), self._lock_name(kind, identity)
        deadline = self._clock() + timeout_seconds
        pause = FIRST_POLL_SECONDS
        while True:
            sealed, holder = self._attempt(lambda client: client.mget(name, lock), [None, None])
            if sealed is not None:
                return self._opened(kind, name, sealed, decode)
            remaining = deadline - self._clock()
            if holder is None or remaining <= 0:
                return None
            self._sleep(min(pause, remaining))
            pause = min(pause * 2, MAX_POLL_SECONDS)

    # --- Limits every replica shares ---------------------------------------------------------

    def count_pull(
        self,
        person: str,
        day: date,
        per_person: int,
        per_deployment: int,
        ttl_seconds: float = PULL_COUNT_TTL_SECONDS,
    ) -> PullCount | None:
        """Count one credit pull by ``person`` (a keyed hash) on ``day`` for every replica, if
        both daily limits allow it. None when Redis could not be asked: the caller counts.
        A reply lost on the way back leaves the pull counted here as well, or twice after the
        one retry on a fresh connection: the strict side."""
        names = list(pull_count_names(self._keys, person, day))
        args = [per_person, per_deployment, _milliseconds(ttl_seconds)]
        script = self._count_pull_script

        def count(client: redis.Redis) -> list[int]:
            return script(keys=names, args=args, client=client)

        answer = self._attempt(count, None, adds_data=True)
        if answer is None:
            return None
        refused, theirs = (int(n) for n in answer)
        return PullCount(_REFUSED_BY[refused], theirs)

    def claim_refresh(self, person: str, interval_seconds: float) -> float | None:
        """Start ``person``'s refresh interval for every replica: 0.0 when this refresh may go
        ahead, else the seconds left of the one running. None when Redis could not be asked:
        the caller decides."""
        return self._claim_interval(refresh_name(self._keys, person), interval_seconds)

    def claim_live_balance(
        self, bank: str, interval_seconds: float, person: str | None = None
    ) -> float | None:
        """Start the interval between live balance checks of ``bank`` (each one is billed)
        for every replica, whoever asks or (with ``person``) for them only: 0.0 when this
        check may go ahead, else the seconds left. None when Redis could not be asked: the
        caller decides."""
        name = live_balance_name(self._keys, bank, person)
        return self._claim_interval(name, interval_seconds)

    def _claim_interval(self, name: str, interval_seconds: float) -> float | None:
        ttl = _milliseconds(interval_seconds)
        script = self._claim_interval_script

        def claim(client: redis.Redis) -> int:
            return script(keys=[name], args=[ttl], client=client)

        left = self._attempt(claim, None, adds_data=True)
        return None if left is None else int(left) / 1000

    # --- What webhooks leave for every replica ------------------------------------------------

    def item_version(self, token: str) -> ItemVersion | None:
        """The webhook version of the item behind ``token``, read before a fetch; None when no
        fetch named the item yet (within ``ttl`` of ``note_item``) or Redis is in trouble."""
        ref = self._keys.name(ITEM_OF, token)
        sealed = self._attempt(lambda client: client.get(ref), None)
        counter = None if sealed is None else self._opened_text(ITEM_OF, ref, sealed)
        if counter is None or not counter.startswith(f"{NAME_PREFIX}{ITEM_VERSION}:"):
            return None
        value = self._attempt(lambda client: client.get(counter), _NO_ANSWER)
        if value is _NO_ANSWER:
            return None
        return ItemVersion(counter, _count(value))

    def note_item(self, token: str, item_id: str, ttl_seconds: float) -> None:
        """A fetch named the item behind ``token``: a webhook about ``item_id`` finds its ITEM
        entry, and the next fetch its version. Both notes are sealed names, nothing else."""
        counter, entry = self._item_names(item_id)
        ref, item_name = self._keys.name(ITEM_OF, token), self._keys.name(Kind.ITEM, token)
        ttl = _milliseconds(ttl_seconds)

        def write(client: redis.Redis) -> object:
            pipe = client.pipeline(transaction=False)
            pipe.set(entry, self._keys.seal(entry, item_name.encode()), px=ttl)
            pipe.set(ref, self._keys.seal(ref, counter.encode()), px=ttl)
            return pipe.execute()

        self._attempt(write, None, adds_data=True)

    def item_changed(self, item_id: str, ttl_seconds: float) -> int | None:
        """A webhook says the item changed: in one step its version moves on for every
        replica (a fetch under way will not share what it brought, and a replica holding it
        fetches again) and its shared data goes, so the next run anywhere fetches from the
        kept cursor. The new version, or None when Redis could not be asked."""
        counter, entry = self._item_names(item_id)
        sealed = self._attempt(lambda client: client.get(entry), None)
        item_name = None if sealed is None else self._opened_text(ITEM_ENTRY, entry, sealed)
        if item_name is not None and not item_name.startswith(f"{NAME_PREFIX}{Kind.ITEM}:"):
            item_name = None
        ttl = _milliseconds(ttl_seconds)

        def change(client: redis.Redis) -> int:
            pipe = client.pipeline(transaction=True)
            pipe.incr(counter)
            pipe.pexpire(counter, ttl)
            if item_name is not None:
                pipe.delete(item_name)
            return int(pipe.execute()[0])

        return self._attempt(change, None, adds_data=True)

    def item_versions(self, item_ids: Sequence[str]) -> tuple[int, ...] | None:
        """The webhook version of each item (0 for one no webhook changed); None when Redis
        could not be asked."""
        if not item_ids:
            return ()
        names = [self._keys.name(ITEM_VERSION, item_id) for item_id in item_ids]
        found = self._attempt(lambda client: client.mget(names), None)
        return None if found is None else tuple(_count(value) for value in found)

    def note_news(self, item_id: str, kind: str, since: datetime, ttl_seconds: float) -> bool:
        """Keep one piece of webhook news about the item (a kind word and when, sealed) for
        every replica; False when Redis could not be asked."""
        name = self._keys.name(ITEM_NEWS, item_id)
        sealed = self._keys.seal(f"{name}:{kind}", since.astimezone(UTC).isoformat().encode())
        ttl = _milliseconds(ttl_seconds)

        def write(client: redis.Redis) -> bool:
            pipe = client.pipeline(transaction=True)
            pipe.hset(name, kind, sealed)
            pipe.pexpire(name, ttl)
            pipe.execute()
            return True

        return self._attempt(write, False, adds_data=True)

    def clear_news(self, item_id: str) -> bool:
        """The item's news goes for every replica (LOGIN_REPAIRED)."""
        name = self._keys.name(ITEM_NEWS, item_id)
        return self._attempt(lambda client: client.delete(name) >= 0, False)

    def drop_news(self, item_id: str, kinds: Sequence[str]) -> bool:
        """These kinds of the item's news go for every replica (the person answered them in
        Link's update mode); False when Redis could not be asked."""
        name = self._keys.name(ITEM_NEWS, item_id)
        if not kinds:
            return True
        return self._attempt(lambda client: client.hdel(name, *kinds) >= 0, False)

    def news(self, item_ids: Sequence[str]) -> dict[str, dict[str, datetime]] | None:
        """Per item the news kept for it (kind -> when); None when Redis could not be asked.
        A piece that does not open is left out."""
        names = [self._keys.name(ITEM_NEWS, item_id) for item_id in item_ids]
        if not names:
            return {}

        def read(client: redis.Redis) -> list[dict[bytes, bytes]]:
            pipe = client.pipeline(transaction=False)
            for name in names:
                pipe.hgetall(name)
            return pipe.execute()

        found = self._attempt(read, None)
        if found is None:
            return None
        news: dict[str, dict[str, datetime]] = {}
        for item_id, name, fields in zip(item_ids, names, found, strict=True):
            for raw_kind, sealed in fields.items():
                kind = raw_kind.decode("ascii", "replace")
                text = self._opened_text(ITEM_NEWS, f"{name}:{kind}", sealed)
                with suppress(TypeError, ValueError):
                    since = datetime.fromisoformat(text or "")
                    if since.tzinfo is not None:
                        news.setdefault(item_id, {})[kind] = since
        return news

    def claim_webhook(self, digest: str, ttl_seconds: float) -> bool | None:
        """Whether this replica is the first to accept the webhook whose signed text has this
        SHA-256 (``SET NX``, for as long as the call could still be replayed); None when Redis
        could not be asked: the verifier's own memory decides."""
        name = self._keys.name(WEBHOOK_SEEN, digest)
        ttl = _milliseconds(ttl_seconds)
        answer = self._attempt(
            lambda client: client.set(name, b"1", nx=True, px=ttl), _NO_ANSWER, adds_data=True
        )
        return None if answer is _NO_ANSWER else bool(answer)

    # --- Health ------------------------------------------------------------------------------

    def status(self) -> SharedCacheStatus:
        """Whether Redis is in use now, for the sidebar and Setup to say."""
        with self._guard:
            trouble = self._trouble
        if trouble is None:
            return SharedCacheStatus()
        return SharedCacheStatus(trouble.health, trouble.since)

    def answers_ping(self) -> bool:
        """Whether Redis answers PING now (the readiness check): asked directly, whatever the
        back-off says, within the same short timeouts; never raises."""
        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False

    def _attempt(
        self, operation: Callable[[redis.Redis], T], fallback: T, *, adds_data: bool = False
    ) -> T:
        """Run one Redis operation, or answer ``fallback`` while Redis is in trouble."""
        if self._skips(adds_data):
            return fallback
        try:
            result = operation(self._client)
        except Exception as error:  # a cache is an optimisation: whatever fails, pages go on
            self._troubled(error)
            return fallback
        self._answered(adds_data)
        return result

    def _skips(self, adds_data: bool) -> bool:
        """Whether to leave Redis alone now. Once per back-off period one caller is let
        through to see whether it is back; the others keep skipping meanwhile."""
        with self._guard:
            trouble = self._trouble
            if trouble is None or (trouble.health == "refusing writes" and not adds_data):
                return False
            now = self._clock()
            if now < trouble.retry_at:
                return True
            trouble.retry_at = now + trouble.wait
            return False

    def _troubled(self, error: BaseException) -> None:
        health: Health = "refusing writes" if _refuses_writes(error) else "unavailable"
        with self._guard:
            trouble = self._trouble
            if trouble is not None and trouble.health == health:
                trouble.wait = min(trouble.wait * 2, MAX_RETRY_SECONDS)
                trouble.retry_at = self._clock() + trouble.wait
                return
            retry_at = self._clock() + FIRST_RETRY_SECONDS
            self._trouble = _Trouble(health, self._now(), retry_at, FIRST_RETRY_SECONDS)
        # The exception's type only: its text can name the server, and this runs once.
        _log.warning("shared cache %s (%s); %s", health, type(error).__name__, _CONSEQUENCE[health])

    def _answered(self, adds_data: bool) -> None:
        with self._guard:
            trouble = self._trouble
            if trouble is None or (trouble.health == "refusing writes" and not adds_data):
                return
            self._trouble = None
            pending = list(self._pending_forgets.items())
        _log.info("shared cache back (%s since %s)", trouble.health, f"{trouble.since:%H:%M}")
        for tombstone, names in pending:
            if not self._forget_names(tombstone, names):
                break
            with self._guard:
                self._pending_forgets.pop(tombstone, None)

    # --- Helpers -----------------------------------------------------------------------------

    def _item_names(self, item_id: str) -> tuple[str, str]:
        """The item's version counter and the note of its ITEM entry's name."""
        return self._keys.name(ITEM_VERSION, item_id), self._keys.name(ITEM_ENTRY, item_id)

    def _lock_name(self, kind: Kind, identity: str) -> str:
        return self._keys.name(f"lock-{kind}", identity)

    def _tombstone(self, identity: str) -> str:
        return self._keys.name("forgotten", identity)

    def _forget_names(self, tombstone: str, names: tuple[str, ...]) -> bool:
        def delete(client: redis.Redis) -> bool:
            # The tombstone first, so no put lands between the two. Redis refusing it (full)
            # refuses any put too, so only the deletion must succeed.
            pipe = client.pipeline(transaction=False)
            pipe.set(tombstone, b"1", px=_milliseconds(FORGET_GUARD_SECONDS))
            pipe.delete(*names)
            _tombstoned, deleted = pipe.execute(raise_on_error=False)
            if isinstance(deleted, Exception):
                raise deleted
            return True

        return self._attempt(delete, False)

    def _opened_text(self, kind: str, name: str, sealed: bytes) -> str | None:
        opened = self._opened(kind, name, sealed, lambda payload: payload.decode("utf-8"))
        return cast(str | None, opened)

    def _opened(
        self, kind: str, name: str, sealed: bytes, decode: Callable[[bytes], Any] | None
    ) -> Any:
        try:
            payload = self._keys.open(name, sealed)
            return payload if decode is None else decode(payload)
        except Exception as problem:  # whatever a decoder raises, the value is a miss
            # Tampered with, sealed under another key or written by another format. Our own
            # words, or another exception's type only, never the value; deleted, so said once.
            ours = isinstance(problem, ValueRejected | CodecError)
            reason = str(problem) if ours else type(problem).__name__
            _log.warning("shared cache entry of kind %s dropped: %s", kind, reason)
            self._attempt(lambda client: client.delete(name), 0)
            return None


# --- The process's store ---------------------------------------------------------------------


@st.cache_resource(max_entries=2, show_spinner=False)
def _shared_store(configuration: str, _url: Secret, _key: Secret) -> SharedStore:
    return SharedStore.connect(_url.reveal(), _key.reveal())


def shared_store(settings: Settings) -> SharedStore | None:
    """This process's store for ``REDIS_URL``, or None without it: the stateless app. Keyed by
    a keyed hash of the URL and key it was built from, never by them."""
    if settings.redis_url is None or not settings.token_encryption_keys:
        return None
    url, key = settings.redis_url, settings.token_encryption_keys[0]
    configuration = keyed_hash("shared-store", json.dumps([url.reveal(), key.reveal()]))
    return _shared_store(configuration, url, key)
