"""Setup: what is configured, and where the data comes from."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services import session
from services.settings import SETTINGS, Settings, current_settings

SECRET_SETTINGS = frozenset(
    {
        "PLAID_CLIENT_ID",
        "PLAID_SECRET",
        "PLAID_ACCESS_TOKEN",
        "EXPERIAN_CLIENT_ID",
        "EXPERIAN_CLIENT_SECRET",
        "EXPERIAN_USERNAME",
        "EXPERIAN_PASSWORD",
        "EXPERIAN_SUBSCRIBER_CODE",
        "TOKEN_ENCRYPTION_KEY",
    }
)
SOURCE_LABELS = {"demo": "Demo data", "plaid": "My banks and cards (Plaid)"}


def setting_status(settings: Settings, name: str) -> str:
    """Whether a setting is set, and its value only when it is not a secret."""
    value = getattr(settings, SETTINGS[name][0])
    if name in SECRET_SETTINGS:
        if isinstance(value, tuple):
            return f"set ({len(value)})" if value else "not set"
        return "set" if value else "not set"
    if isinstance(value, tuple):
        return ", ".join(value)
    return "not set" if value is None else str(value)


def render_source(settings: Settings) -> None:
    st.subheader("Data source")
    current = session.active_source(settings)
    options = ["demo", "plaid"] if settings.plaid_configured else ["demo"]
    choice = st.radio(
        "Show",
        options,
        index=options.index(current) if current in options else 0,
        format_func=SOURCE_LABELS.__getitem__,
        key="setup_source",
    )
    if choice != current:
        session.choose_source(choice)
        st.rerun()
    if not settings.plaid_configured:
        st.caption(
            "To see your own accounts, set PLAID_CLIENT_ID and PLAID_SECRET (see the README), "
            "then restart the app."
        )
    elif current == "plaid":
        count = session.connected_item_count()
        st.write(f"Connected institutions in this session: {count}.")


def render_configuration(settings: Settings) -> None:
    st.subheader("Configuration")
    st.caption("Secrets are shown only as set or not set.")
    frame = pd.DataFrame(
        [(name, setting_status(settings, name)) for name in SETTINGS], columns=["setting", "status"]
    )
    st.dataframe(frame, hide_index=True, key="setup_settings")
    if session.vault(settings).ephemeral:
        st.warning(
            "No TOKEN_ENCRYPTION_KEY: a temporary key protects this session's connections, "
            "so they will not survive a restart of the app."
        )


def render() -> None:
    st.title("Setup")
    settings = current_settings()
    render_source(settings)
    render_configuration(settings)


render()
