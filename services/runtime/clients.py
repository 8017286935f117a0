"""Process-wide objects shared by every session: the token vault and the upstream clients.

Each is a ``st.cache_resource`` keyed by a keyed hash of the configuration it was built from
(never the secrets themselves), so a changed configuration gets its own, and
``st.cache_resource.clear()`` starts over (tests, an operator's full reset).
"""

from __future__ import annotations

import json
from dataclasses import fields

import streamlit as st

from integrations.common.retry import RetryPolicy
from integrations.common.secret import Secret
from integrations.experian.client import ExperianClient
from integrations.plaid.client import PlaidClient, Timeouts
from services.runtime.cache_keys import keyed_hash
from services.runtime.settings import Settings
from services.runtime.vault import TokenVault


def _plain(value: object) -> object:
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value if isinstance(value, str | int | float | bool | None) else str(value)


def configuration_key(settings: Settings) -> str:
    """Which configuration an object was built from, as a keyed hash: equal settings give
    equal keys within this process, and the key reveals none of their secrets."""
    plain = {f.name: _plain(getattr(settings, f.name)) for f in fields(settings)}
    return keyed_hash("settings", json.dumps(plain, sort_keys=True))


@st.cache_resource(show_spinner=False)
def _vault(keys_key: str, _keys: tuple[Secret, ...]) -> TokenVault:
    return TokenVault([k.reveal() for k in _keys])


def vault(settings: Settings) -> TokenVault:
    """The process-wide vault for the configured keys. Without TOKEN_ENCRYPTION_KEY its key
    lives only in memory, so sealed tokens do not survive a restart."""
    keys = settings.token_encryption_keys
    return _vault(keyed_hash("vault", json.dumps([k.reveal() for k in keys])), keys)


@st.cache_resource(max_entries=4, show_spinner=False)
def _plaid_client(settings_key: str, _settings: Settings) -> PlaidClient:
    settings = _settings
    return PlaidClient(
        host=settings.plaid_host,
        client_id=settings.plaid_client_id.reveal() if settings.plaid_client_id else "",
        secret=settings.plaid_secret.reveal() if settings.plaid_secret else "",
        country_codes=settings.plaid_country_codes,
        products=settings.plaid_products,
        redirect_uri=settings.plaid_redirect_uri,
        webhook_url=settings.plaid_webhook_url,
        timeouts=Timeouts(settings.connect_timeout_seconds, settings.read_timeout_seconds),
        policy=RetryPolicy(budget_seconds=settings.call_budget_seconds),
    )


def plaid_client(settings: Settings) -> PlaidClient:
    """One client per configuration; plaid-python's pool is shared by every session."""
    return _plaid_client(configuration_key(settings), settings)


@st.cache_resource(max_entries=4, show_spinner=False)
def _experian_client(settings_key: str, _settings: Settings) -> ExperianClient:
    return ExperianClient.from_settings(_settings)


def experian_client(settings: Settings) -> ExperianClient:
    """One client per configuration, so its OAuth token is reused by every session."""
    return _experian_client(configuration_key(settings), settings)
