"""A person's control over what traditional mode keeps about them: a copy of all of it, and
"Delete everything" (every row of theirs, every cache entry, their connections removed at
Plaid; the operator's own connections stay at Plaid)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integrations.common.errors import UpstreamError
from services.runtime import connections, credit_file, history, keeping, limits, sharing, state
from services.runtime import loaders as data
from services.runtime.cache_keys import item_key
from services.runtime.clients import plaid_client, vault
from services.runtime.settings import Settings
from services.runtime.vault import ReconnectRequired
from services.storage.errors import StoreError


@dataclass(frozen=True)
class Deleted:
    """What "Delete everything" did at Plaid, for the person to read."""

    removed_at_plaid: int = 0
    not_told: int = 0  # Plaid could not be told: the person ends it at their bank or Plaid
    kept_for_operator: int = 0
    rows_deleted: bool = True  # False: the store stopped answering half-way


STORE_DOWN_README = (
    "The history store did not answer, so nothing could be copied this time.\n"
    'Nothing was changed. Try "Download my data" again in a minute.\n'
)


def copy_builder(settings: Settings) -> Callable[[], bytes] | None:
    """What builds the zip of everything kept about the person (reports opened, access
    tokens never) when they click, or None when nothing is kept for them. Decided now, in
    the page's run: Streamlit builds a download on another thread, with no session there to
    say who is asking."""
    found = keeping.keeper(settings)
    if found is None:
        return None

    def opened(sealed: bytes) -> dict[str, Any]:
        return json.loads(found.vault.open(sealed))

    def build() -> bytes:
        try:
            return found.store.export(found.person, open_report=opened)
        except StoreError as error:
            keeping.failed(error)
            return _zip_of_readme(STORE_DOWN_README)

    return build


def _zip_of_readme(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", text)
    return buffer.getvalue()


def delete_everything(settings: Settings) -> Deleted | None:
    """Every row of the person's in every table, their connections (this session's and the
    kept ones) removed at Plaid, every cache entry of them forgotten, their details and
    report let go of. None when the store could not be asked: nothing was deleted there."""
    found = keeping.keeper(settings)
    if found is None:
        return None
    try:
        # Read first, removed at Plaid next, deleted last: a token deleted before Plaid was
        # told would leave a live connection no one can end from here.
        sealed_tokens = [item.sealed_token for item in found.store.items(found.person)]
    except StoreError as error:
        keeping.failed(error)
        return None
    done: dict[connections.Disconnected, int] = dict.fromkeys(DISCONNECTED, 0)
    in_session = {c.item_key for c in state.connections()}
    for key in in_session:
        done[connections.disconnect(settings, key)] += 1
    for sealed in sealed_tokens:
        outcome = _remove_kept_item(settings, sealed, in_session)
        if outcome is not None:
            done[outcome] += 1
    try:
        found.store.delete_person(found.person)
    except StoreError as error:
        keeping.failed(error)
        return Deleted(*_counts(done), rows_deleted=False)
    credit_file.forget_applicant(settings)
    keeping.wrote(found.person)
    history.forget_kept()
    limits.audit("delete_everything", state.visitor().key, "deleted")
    return Deleted(*_counts(done))


def _counts(done: dict[connections.Disconnected, int]) -> tuple[int, int, int]:
    return done["removed_at_plaid"], done["plaid_not_told"], done["kept_for_operator"]


DISCONNECTED: tuple[connections.Disconnected, ...] = (
    "removed_at_plaid",
    "plaid_not_told",
    "kept_for_operator",
)


def _remove_kept_item(
    settings: Settings, sealed: bytes, in_session: set[str]
) -> connections.Disconnected | None:
    """A connection kept from an earlier session: removed at Plaid (unless the operator's),
    its cache entries forgotten; None for one this session already disconnected."""
    try:
        token = vault(settings).open(sealed)
    except ReconnectRequired:  # sealed under a key this app no longer has
        return "plaid_not_told"
    key = item_key(token)
    if key in in_session:
        return None
    sharing.forget(settings, sealed)
    data.forget_plaid_item(key)
    if connections.is_operator_item(settings, key):
        return "kept_for_operator"
    try:
        plaid_client(settings).remove_item(token)
    except UpstreamError:
        return "plaid_not_told"
    return "removed_at_plaid"


def deleted_since(settings: Settings) -> datetime | None:
    """When this person deleted everything, while nothing is kept for them since."""
    found = keeping.keeper(settings)
    if found is None:
        return None
    try:
        return found.store.deleted_since(found.person)
    except StoreError as error:
        keeping.failed(error)
        return None


def keep_again(settings: Settings) -> None:
    found = keeping.keeper(settings)
    if found is None:
        return
    try:
        found.store.keep_again(found.person)
    except StoreError as error:
        keeping.failed(error)
        return
    # Fetched again on the next run, so what the session shows is kept from now on.
    for connection in state.connections():
        data.clear_plaid_item(connection.item_key)
    state.let_go_of_data()
    keeping.wrote(found.person)
