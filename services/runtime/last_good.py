"""The last good fetch of each Plaid item, kept process-wide, so that a failed refresh keeps
showing what was already shown (for no longer than the cache would have kept it)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timedelta

from integrations.common.errors import Action
from services.analytics.snapshot import ItemProblem
from services.runtime import loaders as data

# The last good fetch of each item, so that a failed refresh keeps what was already shown,
# but no longer than the cache itself would have kept it: CACHE_TTL_SECONDS from when it was
# fetched. Keyed by the item's keyed hash: only a session holding the token can compute the
# key. A problem saying the connection is gone drops it at once, so a revoked item's data
# is not shown again, in this session or any other.
_LAST_GOOD_LIMIT = 256


_last_good: OrderedDict[str, data.ItemFetch] = OrderedDict()


_last_good_lock = threading.Lock()


# Plaid's codes for an item that no longer exists or no longer grants access, whatever action
# they map to; any problem asking to reconnect from scratch (Action.RECONNECT) counts too.
CONNECTION_GONE = frozenset(
    {
        "INVALID_ACCESS_TOKEN",
        "ITEM_NOT_FOUND",
        "ACCESS_NOT_GRANTED",
        "USER_PERMISSION_REVOKED",
        "NO_ACCOUNTS",
    }
)


def _connection_gone(problem: ItemProblem) -> bool:
    return problem.action is Action.RECONNECT or problem.code in CONNECTION_GONE


def _within_ttl(fetched_at: datetime, now: datetime) -> bool:
    return now - fetched_at < timedelta(seconds=data.CACHE_TTL_SECONDS)


def remember(fetch: data.ItemFetch) -> data.ItemFetch:
    """Keep a good fetch; for a failed one, fall back to the last good data while it is
    within the TTL and the problem does not say the connection is gone."""
    now = data.now()
    with _last_good_lock:
        for key in [k for k, kept in _last_good.items() if not _within_ttl(kept.fetched_at, now)]:
            del _last_good[key]
        # A fetch with a problem is not good even with data (cards without transactions).
        if fetch.data is not None and fetch.problem is None:
            _last_good[fetch.item_key] = fetch
            _last_good.move_to_end(fetch.item_key)
            while len(_last_good) > _LAST_GOOD_LIMIT:
                _last_good.popitem(last=False)
            return fetch
        if fetch.problem is not None and _connection_gone(fetch.problem):
            _last_good.pop(fetch.item_key, None)
            return fetch
        previous = _last_good.get(fetch.item_key)
    if previous is None or fetch.problem is None:
        return fetch
    return replace(previous, problem=replace(fetch.problem, stale_since=previous.fetched_at))


def recalled(item_key: str) -> data.ItemFetch | None:
    """The item's last good fetch while within the TTL, else None."""
    with _last_good_lock:
        kept = _last_good.get(item_key)
    return kept if kept is not None and _within_ttl(kept.fetched_at, data.now()) else None


def forget(item_key: str) -> None:
    with _last_good_lock:
        _last_good.pop(item_key, None)


def forget_all_items() -> None:
    """Drop every remembered fetch (tests, and an operator's full reset)."""
    with _last_good_lock:
        _last_good.clear()
