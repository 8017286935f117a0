"""Starting a session and connecting or disconnecting a bank: Link tokens, token exchange,
a pasted access token, re-linking, and removing an item with everything held of it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import streamlit as st

from integrations.common.errors import UpstreamError
from integrations.common.logs import register_secret
from services.runtime import (
    bank_data,
    credit_file,
    keeping,
    limits,
    sharing,
    state,
    webhook_events,
)
from services.runtime import loaders as data
from services.runtime.cache_keys import item_key as keyed_item
from services.runtime.clients import plaid_client, vault
from services.runtime.identity import Visitor
from services.runtime.last_good import forget
from services.runtime.settings import Settings
from services.runtime.vault import ReconnectRequired


def bootstrap(settings: Settings, visitor: Visitor) -> None:
    """First visit of a session: pick the data source and seal any configured tokens. Only
    the operator's secrets are registered for log redaction (a person's are masked by shape).

    The operator's bank and applicant load only into a session of their owner. A session is
    bound to the person it was started for: should another person ever arrive in it, it
    starts over empty rather than show them anything of the first."""
    for value in settings.secret_values():
        register_secret(value)
    webhook_events.point_operator_items(settings)
    if st.session_state.get(state.VISITOR, visitor).key != visitor.key:
        let_go_of_session(settings)
    st.session_state[state.VISITOR] = visitor
    if st.session_state.get(state.BOOTSTRAPPED):
        return
    st.session_state[state.SOURCE] = settings.effective_source
    st.session_state[state.CLIENT_USER_ID] = f"session-{uuid.uuid4().hex}"
    st.session_state[state.PLAID_ITEMS] = []
    if visitor.owner:
        for token in settings.plaid_access_tokens:
            state.add_connection(settings, token.reveal())
        credit_file.applicant_from_settings(settings)
    st.session_state[state.BOOTSTRAPPED] = True


def let_go_of_session(settings: Settings) -> None:
    """Sign-out: everything the session held goes, and so do the shared cache entries (this
    process's and, in hybrid mode, every replica's) and last good fetches of its banks and
    report (another session of the same person fetches them again)."""
    for connection in state.connections():
        data.forget_plaid_item(connection.item_key)
        forget(connection.item_key)
        sharing.forget(settings, connection.sealed)
    credit_file.forget_applicant(settings)
    st.session_state.clear()


def remove_connection(settings: Settings, item_key: str) -> None:
    """Everything held of the item goes: the session's copy and figures, the shared cache
    entries holding its data (every replica's, in hybrid mode), and the last good fetch."""
    for connection in state.connections():
        if connection.item_key == item_key:
            sharing.forget(settings, connection.sealed)
    st.session_state[state.PLAID_ITEMS] = [c for c in state.connections() if c.item_key != item_key]
    data.forget_plaid_item(item_key)
    forget(item_key)
    state.let_go_of_data()
    state.drop_figures()


ACCESS_TOKEN_SHAPE = re.compile(r"access-(sandbox|development|production)-[A-Za-z0-9-]{8,}")


def _connected(settings: Settings, access_token: str) -> state.PlaidConnection:
    """Store a new connection and show it: fetch it now so its name is known."""
    connection = state.add_connection(settings, access_token)
    limits.audit("connect", state.visitor().key, "connected", item=connection.item_key)
    state.choose_source("plaid")
    fetched = bank_data.fetch_one(settings, connection)
    bank_data.relabel([fetched])
    return next(c for c in state.connections() if c.item_key == connection.item_key)


def link_token(
    settings: Settings, item_key: str | None = None, *, account_selection: bool = False
) -> str:
    """A Link token for a new connection, or for update mode on an item of this session:
    signing in again, or (``account_selection``) choosing which of its accounts to share.
    Only a connection this session holds can be updated; its token never leaves the server."""
    client = plaid_client(settings)
    if item_key is None:
        return client.create_link_token(state.client_user_id())
    connection = next(c for c in state.connections() if c.item_key == item_key)
    with vault(settings).revealed(connection.sealed) as token:
        return client.create_link_token(
            state.client_user_id(), access_token=token, account_selection=account_selection
        )


@contextmanager
def _audited_connect() -> Iterator[None]:
    """A connection that fails is audited too, by its error code."""
    try:
        yield
    except UpstreamError as error:
        limits.audit("connect", state.visitor().key, f"failed:{error.code}")
        raise


def connect_public_token(settings: Settings, public_token: str) -> state.PlaidConnection:
    with _audited_connect():
        access_token = plaid_client(settings).exchange_public_token(public_token)
    return _connected(settings, access_token)


def connect_sandbox(
    settings: Settings, institution_id: str, username: str, password: str
) -> state.PlaidConnection:
    client = plaid_client(settings)
    with _audited_connect():
        public_token = client.create_sandbox_public_token(institution_id, username, password)
        access_token = client.exchange_public_token(public_token)
    return _connected(settings, access_token)


def access_token_problem(settings: Settings, access_token: str) -> str | None:
    """Why a pasted access token cannot be right, before asking Plaid."""
    match = ACCESS_TOKEN_SHAPE.fullmatch(access_token.strip())
    if match is None:
        return "That is not a Plaid access token (access-sandbox-… or access-production-…)."
    if match.group(1) != settings.plaid_env:
        env = settings.plaid_env
        return f"That token is for Plaid {match.group(1)}, but the app uses Plaid {env}."
    return None


def connect_access_token(settings: Settings, access_token: str) -> state.PlaidConnection:
    token = access_token.strip()
    with _audited_connect():
        plaid_client(settings).get_item(token)  # proves the token works before it is kept
    return _connected(settings, token)


def relinked(settings: Settings, item_key: str) -> None:
    """After Link update mode succeeded: the token is unchanged, the data is fetched again
    (not taken from the shared store either, in hybrid mode)."""
    for connection in state.connections():
        if connection.item_key == item_key:
            sharing.drop_item(settings, connection.sealed)
    data.clear_plaid_item(item_key)
    forget(item_key)
    state.let_go_of_data()


# What update mode settles, by what it was opened for: a new login also renews a consent
# about to lapse and stops a disconnect coming; choosing accounts answers "new accounts".
SETTLED_BY_UPDATE: dict[str, tuple[webhook_events.NoticeKind, ...]] = {
    "login": ("login_required", "pending_expiration", "pending_disconnect"),
    "accounts": ("new_accounts",),
}


def updated(settings: Settings, item_key: str, mode: str) -> None:
    """After Link update mode succeeded (no token to exchange: the item and its token stay
    the same): the item is fetched again on the next page, with any account the person
    added, and the news it answered goes."""
    relinked(settings, item_key)
    webhook_events.settle(settings, item_key, SETTLED_BY_UPDATE.get(mode, ()))


Disconnected = Literal["removed_at_plaid", "plaid_not_told", "kept_for_operator"]


def is_operator_item(settings: Settings, item_key: str) -> bool:
    """Configured by the operator (PLAID_ACCESS_TOKEN): the operator's, not a visitor's."""
    return any(keyed_item(token.reveal()) == item_key for token in settings.plaid_access_tokens)


def disconnect(settings: Settings, item_key: str) -> Disconnected:
    """Let go of the item and of everything this session holds of it.

    A connection the person made is also removed at Plaid. One the operator configured is
    only let go of in this session: it stays at Plaid and comes back in a new session, since
    whoever opens the app must not be able to end the operator's connection for good."""
    connection = next((c for c in state.connections() if c.item_key == item_key), None)
    outcome: Disconnected = "plaid_not_told"
    if is_operator_item(settings, item_key):
        outcome = "kept_for_operator"
    elif connection is not None:
        try:
            with vault(settings).revealed(connection.sealed) as token:
                plaid_client(settings).remove_item(token)
            outcome = "removed_at_plaid"
        except (UpstreamError, ReconnectRequired):
            outcome = "plaid_not_told"
        keeping.forget_bank(settings, connection.sealed)
    remove_connection(settings, item_key)
    limits.audit("disconnect", state.visitor().key, outcome, item=item_key)
    return outcome
