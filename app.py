"""Entry point: page config, session bootstrap, sidebar, navigation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from integrations.common.logs import configure_logging, get_logger
from services.runtime import (
    clients,
    connections,
    identity,
    keeping,
    sharing,
    state,
    streamlit_private,
    webhook_events,
)
from services.runtime.identity import Visitor
from services.runtime.settings import Settings, SettingsError, current_settings
from services.runtime.timezone import person_timezone, shown_time
from services.views.format import plain, relative_time

st.set_page_config(page_title="Credit Monitor", page_icon="💳", layout="wide")
log = configure_logging()

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/cards.py", title="Cards", icon=":material/credit_card:"),
    st.Page("pages/accounts.py", title="Accounts", icon=":material/account_balance:"),
    st.Page("pages/transactions.py", title="Transactions", icon=":material/receipt_long:"),
    st.Page("pages/bills.py", title="Bills ahead", icon=":material/event_upcoming:"),
    st.Page("pages/credit_report.py", title="Credit report", icon=":material/fact_check:"),
    st.Page("pages/history.py", title="History", icon=":material/timeline:"),
    st.Page("pages/setup.py", title="Setup", icon=":material/settings:"),
]


def load_settings_or_stop() -> Settings:
    try:
        return current_settings()
    except SettingsError as problem:
        # The problems name settings and what they expect, never a value.
        log.error("configuration rejected: %s", " ".join(problem.problems))
        message = "The app's configuration has problems, so it cannot start:\n\n" + "\n".join(
            f"- {p}" for p in problem.problems
        )
        only_page(lambda: st.error(message), "Configuration")
        st.stop()
        raise  # unreachable: st.stop() ends the run


# The addresses of the pages after the first (Streamlit names a page by its file's stem).
PAGE_PATHS = ("cards", "accounts", "transactions", "bills", "credit_report", "history", "setup")


def only_page(render: Callable[[], None], title: str) -> None:
    """Show one page and nothing else: no navigation to the app's pages, no data. Every
    address of the app leads to it, so a deep link shows it rather than "page not found"."""
    pages = [st.Page(render, title=title, default=True)]
    pages += [st.Page(render, title=title, url_path=path) for path in PAGE_PATHS]
    st.navigation(pages, position="hidden").run()


SIGN_IN_REASON = (
    "This app shows a person's own bank accounts, cards and credit report, so it needs to "
    "know who you are."
)


def render_sign_in(settings: Settings) -> None:
    st.title("Credit Monitor")
    st.write(SIGN_IN_REASON)
    providers = settings.sign_in.providers if settings.sign_in else ()
    for provider in providers or (None,):
        label = f"Sign in with {provider.title()}" if provider else "Sign in"
        if st.button(label, key=f"sign_in_{provider or 'default'}", type="primary"):
            if provider:
                st.login(provider)
            else:
                st.login()


def render_refusal(settings: Settings, visitor: Visitor) -> None:
    st.title("Credit Monitor")
    if visitor.refused == "email_unverified":
        st.warning(
            f"Your sign-in provider has not verified the address {plain(visitor.email or '')}, "
            "so this app cannot tell whose data to show. Verify it with your provider, then "
            "sign in again."
        )
    else:
        st.warning(
            f"You are signed in as {plain(visitor.email or '')}, but this app is not open to "
            "that account. Ask the person who runs it to add you, or sign in with another "
            "account."
        )
    if st.button("Sign out", key="sign_out"):
        sign_out(settings)


def sign_out(settings: Settings) -> None:
    """Everything the session held goes before the sign-in cookie does.

    Nothing may run after st.logout(): its redirect (which clears the identity cookie) only
    waits in the outgoing queue, and a rerun, such as the one a page asks for on finding the
    session emptied, clears that queue first. The page then looked signed out while a reload
    signed the person in again."""
    connections.let_go_of_session(settings)
    st.logout()
    st.stop()


def let_in_or_stop(settings: Settings) -> Visitor:
    """Who may go past the front door; everyone else sees why not, and nothing else."""
    visitor = identity.current_visitor(settings)
    if visitor.allowed:
        return visitor
    if visitor.refused != "sign_in_needed":
        log.warning("sign-in refused: %s who=%s", visitor.refused, visitor.key)
        only_page(lambda: render_refusal(settings, visitor), "Not allowed")
    else:
        only_page(lambda: render_sign_in(settings), "Sign in")
    st.stop()
    raise AssertionError("unreachable: st.stop() ends the run")


@st.cache_resource(show_spinner=False)
def warn_at_start(holds_operator_credentials: bool, sign_in: bool) -> None:
    """Once per process: a deployment holding the operator's credentials without sign-in."""
    if holds_operator_credentials and not sign_in:
        log.warning(OPERATOR_WITHOUT_SIGN_IN)


OPERATOR_WITHOUT_SIGN_IN = (
    "PLAID_ACCESS_TOKEN or EXPERIAN_APPLICANT is set but sign-in is not configured: they are "
    "loaded only for visitors on this machine. To use them from elsewhere, configure sign-in "
    "([auth] in the secrets, ALLOWED_USERS and OWNER_EMAILS; see docs/DEPLOYMENT.md)."
)


def render_access_warning(settings: Settings, visitor: Visitor) -> None:
    """On every page, for a visitor from elsewhere of a deployment that should have sign-in."""
    if settings.operator_credentials and visitor.mode == "local" and not visitor.on_this_machine:
        st.warning(
            "This app holds its operator's bank and credit credentials but has no sign-in, so "
            "they are not loaded for visitors from other machines. Operator: configure sign-in "
            "(see docs/DEPLOYMENT.md), or open the app only on your own machine.",
            icon=":material/lock:",
        )


def render_sidebar_person(settings: Settings, visitor: Visitor) -> None:
    if visitor.mode != "sign_in":
        return
    with st.sidebar:
        st.caption(f"Signed in as {plain(visitor.email or '')}")
        if st.button("Sign out", key="sign_out", icon=":material/logout:", width="stretch"):
            sign_out(settings)


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
        if sharing.storage_mode(settings) == "hybrid":
            st.caption("Shared cache: Redis")
            trouble = sharing.shared_cache_trouble(settings)
            if trouble is not None:
                st.warning(trouble[:1].upper() + trouble[1:] + ".", icon=":material/cloud_off:")
        if keeping.keeps_history(settings):
            st.caption("History kept: database")
            down = keeping.store_trouble()
            if down is not None:
                st.warning(
                    f"History store unavailable since {down.astimezone(person_timezone()):%H:%M}; "
                    "pages go on without it.",
                    icon=":material/database_off:",
                )


def render_refresh_refused() -> None:
    """A refresh asked for too soon: said once, where the person looks (a toast) and where
    the button is."""
    wait = st.session_state.pop(state.REFRESH_REFUSED, None)
    if wait is None:
        return
    refused = f"Refreshed a moment ago: the next refresh is possible in {wait} seconds."
    st.toast(refused, icon=":material/timer:")
    st.sidebar.warning(refused, icon=":material/timer:")


def render_sidebar_freshness() -> None:
    fetched = state.fetched_at()
    with st.sidebar:
        if fetched is None:
            st.caption("Data not fetched yet.")
        else:
            now = datetime.now(UTC)
            st.caption(f"Data fetched {shown_time(fetched)} ({relative_time(fetched, now)}).")


WEBHOOK_POLL_SECONDS = 5


def watch_for_bank_news(settings: Settings) -> None:
    """With webhooks configured, a quiet check every few seconds: when a webhook changed one
    of this session's banks, the page runs again and shows it without a Refresh. The check
    reads a counter in memory; no call upstream."""
    items = tuple(connection.item_key for connection in state.connections())
    if not settings.plaid_webhook_url or not items:
        return
    seen = webhook_events.versions(items, settings)
    # The browser's tick of this check, or its rerun, must not undo a click on another page.
    streamlit_private.keep_clicks_over_timers()

    @st.fragment(run_every=WEBHOOK_POLL_SECONDS)
    def bank_news_check() -> None:
        if webhook_events.versions(items, settings) != seen:
            streamlit_private.rerun_this_page_unless_asked()

    with st.sidebar:
        bank_news_check()


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
    settings = load_settings_or_stop()
    warn_at_start(settings.operator_credentials, settings.sign_in is not None)
    visitor = let_in_or_stop(settings)
    page = st.navigation(PAGES)
    connections.bootstrap(settings, visitor)
    render_sidebar_person(settings, visitor)
    render_sidebar_header(settings)
    render_access_warning(settings, visitor)
    if state.active_source(settings) == "demo":
        st.info(
            "You are looking at **demo data**: a fictional person, generated fresh each day. "
            "Connect your own accounts on the Setup page.",
            icon=":material/science:",
        )
    run_page(page)
    render_refresh_refused()
    render_sidebar_freshness()
    watch_for_bank_news(settings)


main()
