"""What one browser session holds and how pages reach its data.

Session state keeps the chosen data source, the encrypted Plaid access tokens and when data
was last fetched. Nothing here is written to disk; a reload starts a new, empty session.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Literal

import streamlit as st

from integrations.models import CreditReport
from services import data
from services.logs import register_secret
from services.settings import Settings
from services.snapshot import FinancialSnapshot
from services.vault import TokenVault

SOURCE = "data_source"
PLAID_ITEMS = "plaid_items"  # list of Fernet ciphertexts, one per connected item
FETCHED_AT = "fetched_at"
BOOTSTRAPPED = "bootstrapped"

Source = Literal["demo", "plaid"]

_vault: TokenVault | None = None
_vault_lock = threading.Lock()


def vault(settings: Settings) -> TokenVault:
    """The process-wide vault. Without TOKEN_ENCRYPTION_KEY its key lives only in memory."""
    global _vault
    with _vault_lock:
        if _vault is None:
            _vault = TokenVault([k.reveal() for k in settings.token_encryption_keys])
        return _vault


def today() -> date:
    return date.today()


def bootstrap(settings: Settings) -> None:
    """First visit of a session: pick the data source and seal any configured tokens."""
    for secret in (
        settings.plaid_secret,
        settings.experian_client_secret,
        settings.experian_password,
    ):
        register_secret(secret.reveal() if secret else None)
    if st.session_state.get(BOOTSTRAPPED):
        return
    st.session_state[SOURCE] = settings.effective_source
    box = vault(settings)
    st.session_state[PLAID_ITEMS] = [box.seal(t.reveal()) for t in settings.plaid_access_tokens]
    st.session_state[BOOTSTRAPPED] = True


def active_source(settings: Settings) -> Source:
    return st.session_state.get(SOURCE, settings.effective_source)


def choose_source(source: Source) -> None:
    st.session_state[SOURCE] = source
    st.session_state.pop(FETCHED_AT, None)


def source_label(settings: Settings) -> str:
    if active_source(settings) == "demo":
        return "Demo data"
    return f"Plaid {settings.plaid_env}"


def connected_item_count() -> int:
    return len(st.session_state.get(PLAID_ITEMS, ()))


def _record_fetch(kind: str, fetched_at: datetime) -> None:
    st.session_state.setdefault(FETCHED_AT, {})[kind] = fetched_at


def fetched_at() -> datetime | None:
    """When the oldest piece of data on screen was fetched."""
    return min(st.session_state.get(FETCHED_AT, {}).values(), default=None)


def snapshot(settings: Settings) -> FinancialSnapshot | None:
    """This session's bank and card data, or None when nothing is connected yet."""
    if active_source(settings) != "demo":
        return None
    result = data.load_demo_snapshot(today())
    _record_fetch("accounts", result.fetched_at)
    return result


def credit_report(settings: Settings) -> CreditReport | None:
    """This session's credit report, or None when no bureau is connected."""
    if active_source(settings) != "demo":
        return None
    report, fetched = data.load_demo_credit_report(today())
    _record_fetch("credit_report", fetched)
    return report


def refresh(settings: Settings) -> None:
    """Drop this session's cached entries so the next run fetches again."""
    if active_source(settings) == "demo":
        data.clear_demo(today())
    st.session_state.pop(FETCHED_AT, None)
