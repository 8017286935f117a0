"""Letting go of what hybrid mode shares: a bank's or an applicant's entries in the shared
store, named by the token or details the session keeps sealed. Each is revealed only for the
call; without REDIS_URL nothing happens."""

from __future__ import annotations

from typing import Literal

from services.runtime.clients import vault
from services.runtime.settings import Settings
from services.runtime.shared_store import Kind, shared_store
from services.runtime.timezone import person_timezone
from services.runtime.vault import ReconnectRequired

StorageMode = Literal["stateless", "hybrid"]


def storage_mode(settings: Settings) -> StorageMode:
    """Hybrid with REDIS_URL (and the key it needs), else stateless: each process its own."""
    return "stateless" if shared_store(settings) is None else "hybrid"


def shared_cache_trouble(settings: Settings) -> str | None:
    """What a page says while the shared cache is not in use, in the person's time zone;
    None when all is well or there is no shared cache."""
    store = shared_store(settings)
    return None if store is None else store.status().describe(person_timezone())


def forget(settings: Settings, sealed: bytes) -> None:
    """Every entry of this token or applicant goes, for every replica (Disconnect, sign-out,
    "Remove my details"). Sealed under a key the app no longer has, it cannot be named: its
    entries expire."""
    store = shared_store(settings)
    if store is None:
        return
    try:
        with vault(settings).revealed(sealed) as identity:
            store.forget(identity)
    except ReconnectRequired:
        return


def drop_item(settings: Settings, sealed: bytes) -> None:
    """A bank's shared data goes (Refresh, a new login); its sync state stays."""
    store = shared_store(settings)
    if store is None:
        return
    try:
        with vault(settings).revealed(sealed) as token:
            store.delete(Kind.ITEM, token)
    except ReconnectRequired:
        return
