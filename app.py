"""Entry point: page config, session bootstrap, sidebar, navigation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from integrations.common.logs import configure_logging, get_logger
from services.runtime import clients, connections, state
from services.runtime.settings import Settings, SettingsError, current_settings
from services.runtime.timezone import shown_time
from services.views.format import relative_time

st.set_page_config(page_title="Credit Monitor", page_icon="💳", layout="wide")
log = configure_logging()

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/cards.py", title="Cards", icon=":material/credit_card:"),
    st.Page("pages/transactions.py", title="Transactions", icon=":material/receipt_long:"),
    st.Page("pages/credit_report.py", title="Credit report", icon=":material/fact_check:"),
    st.Page("pages/setup.py", title="Setup", icon=":material/settings:"),
]


def load_settings_or_stop() -> Settings:
    try:
        return current_settings()
    except SettingsError as problem:
        # The problems name settings and what they expect, never a value.
        log.error("configuration rejected: %s", " ".join(problem.problems))
        st.error(
            "The app's configuration has problems, so it cannot start:\n\n"
            + "\n".join(f"- {p}" for p in problem.problems)
        )
        st.stop()
        raise  # unreachable: st.stop() ends the run


def render_sidebar_header(settings: Settings) -> None:
    with st.sidebar:
        st.caption("Data source")
        st.markdown(f"**{state.source_label(settings)}**")
        if state.active_source(settings) == "plaid" and clients.vault(settings).ephemeral:
            st.warning(
                "No TOKEN_ENCRYPTION_KEY is set: bank connections will not survive a restart.",
                icon=":material/key_off:",
            )
        st.button(
            "Refresh data",
            key="refresh_data",
            icon=":material/refresh:",
            on_click=state.refresh,
            args=(settings,),
            help="Fetch your data again now instead of waiting for the cache to expire.",
            width="stretch",
        )


def render_sidebar_freshness() -> None:
    fetched = state.fetched_at()
    with st.sidebar:
        if fetched is None:
            st.caption("Data not fetched yet.")
        else:
            now = datetime.now(UTC)
            st.caption(f"Data fetched {shown_time(fetched)} ({relative_time(fetched, now)}).")


def run_page(page: StreamlitPage) -> None:
    try:
        page.run()
    except Exception as failure:
        reference = uuid.uuid4().hex[:8]
        get_logger("app").error(
            "page %s failed (reference %s): %s", page.title, reference, type(failure).__name__
        )
        st.error(
            f"Something went wrong on this page. What was already shown is unaffected. "
            f"Reference: {reference}."
        )


def main() -> None:
    page = st.navigation(PAGES)
    settings = load_settings_or_stop()
    connections.bootstrap(settings)
    render_sidebar_header(settings)
    if state.active_source(settings) == "demo":
        st.info(
            "You are looking at **demo data**: a fictional person, generated fresh each day. "
            "Connect your own accounts on the Setup page.",
            icon=":material/science:",
        )
    run_page(page)
    render_sidebar_freshness()


main()
