"""Setup: where the data comes from, connecting and disconnecting banks, configuration."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from integrations.common.errors import UpstreamError
from integrations.common.logs import get_logger
from pages._plaid_link import (
    LINK_LOAD_FAILED,
    OAUTH_RETURN_LOST,
    LinkExit,
    LinkSuccess,
    plaid_link,
    resume_oauth_link,
)
from pages._shared import (
    CONSENT_TIME,
    RELINK_ITEM,
    RELINK_MODE,
    RELINK_TOKEN,
    derived,
    offer_update,
    require_entry,
    zip_download,
)
from services.runtime import (
    api_tokens,
    bank_data,
    clients,
    connections,
    credit_file,
    keeping,
    sharing,
    state,
    webhook_events,
    your_data,
)
from services.runtime.history import kept_history
from services.runtime.settings import SECRET_SETTINGS, SETTINGS, Settings, current_settings
from services.runtime.timezone import shown_time
from services.views.format import day, plain

SOURCE_LABELS = {"demo": "Demo data", "plaid": "My own data (Plaid and Experian)"}
SANDBOX_INSTITUTIONS = {
    "ins_109508": "First Platypus Bank",
    "ins_109509": "First Gingham Credit Union",
    "ins_109510": "Tattersall Federal Credit Union",
    "ins_109511": "Tartan Bank",
    "ins_109512": "Houndstooth Bank",
}
LINK_TOKEN = "setup_link"  # noqa: S105 - a session key, not a secret
OAUTH_STATE = "oauth_state_id"  # what an OAuth bank adds to PLAID_REDIRECT_URI on the way back


def show_failure(error: UpstreamError) -> None:
    reference = f" (request {plain(error.request_id)})" if error.request_id else ""
    st.error(f"{plain(error.user_message)} {error.action.label}.{reference}")


def setting_status(settings: Settings, name: str) -> str:
    """Whether a setting is set, and its value only when its type is not a Secret."""
    value = getattr(settings, SETTINGS[name][0])
    if name in SECRET_SETTINGS:
        if isinstance(value, tuple):
            return f"set ({len(value)})" if value else "not set"
        return "set" if value else "not set"
    if isinstance(value, tuple):
        return ", ".join(value)
    return "not set" if value is None else str(value)


def render_access(settings: Settings) -> None:
    """Whether sign-in is on, who this is, and what follows for the operator's credentials."""
    st.subheader("Sign-in")
    visitor = state.visitor()
    if settings.sign_in is not None:
        owner = (
            " You own the bank and applicant its operator configured."
            if visitor.owner and settings.operator_credentials
            else ""
        )
        st.success(
            f"Sign-in is on: only the people its operator listed can open this app. You are "
            f"signed in as {plain(visitor.email or '')}.{owner}",
            icon=":material/verified_user:",
        )
        return
    where = "on this machine" if visitor.on_this_machine else "from another machine"
    st.info(
        f"Sign-in is off, so the app runs in local mode and you are visiting {where}. The "
        "operator's bank and applicant load, and credit reports can be pulled, only for "
        "someone on the machine that runs the app. To open it to others, configure sign-in "
        "(docs/DEPLOYMENT.md).",
        icon=":material/lock_open:",
    )


def render_source(settings: Settings) -> None:
    st.subheader("Data source")
    current = state.active_source(settings)
    live = settings.plaid_configured or settings.experian_configured
    options = ["demo", "plaid"] if live else ["demo"]
    choice = st.radio(
        "Show",
        options,
        index=options.index(current) if current in options else 0,
        format_func=SOURCE_LABELS.__getitem__,
        key="setup_source",
    )
    if choice != current:
        state.choose_source(choice)
        st.rerun()
    if not live:
        st.caption(
            "To see your own data, set the Plaid and Experian credentials (see the README), "
            "then restart the app."
        )


OPERATOR_ITEM_HELP = (
    "This bank was configured by whoever runs the app (PLAID_ACCESS_TOKEN): it stays "
    "connected at Plaid and comes back in a new session."
)
DISCONNECTED = {
    "removed_at_plaid": "Disconnected, and Plaid was told to forget the connection.",
    "plaid_not_told": "Disconnected here, but Plaid could not be told; it will expire on its own.",
    "kept_for_operator": "Removed from this session only. " + OPERATOR_ITEM_HELP,
}


def finish_disconnect(settings: Settings, item_key: str) -> None:
    st.session_state.pop(PENDING_DISCONNECT, None)
    # Told in the run after the rerun below: a toast sent before st.rerun() is wiped by it.
    st.session_state[DISCONNECT_OUTCOME] = DISCONNECTED[connections.disconnect(settings, item_key)]
    st.rerun()


PENDING_DISCONNECT = "pending_disconnect"  # the item whose Disconnect awaits confirmation
DISCONNECT_OUTCOME = "disconnect_outcome"  # what the last Disconnect did, until it is told


def _keep_connected() -> None:
    st.session_state.pop(PENDING_DISCONNECT, None)


@st.dialog("Disconnect this bank?", on_dismiss=_keep_connected)
def confirm_disconnect(settings: Settings, item_key: str, label: str) -> None:
    """Disconnecting cannot be undone: say what happens at Plaid before it does. Opened on
    every run while a Disconnect awaits an answer, so closing it is the only way out."""
    st.text(label)
    st.write(
        "Plaid will be told to remove this connection: its access stops working for good, "
        "and seeing this bank again means connecting it anew through your bank's sign-in. "
        "Everything this app holds of it is forgotten."
    )
    confirm, cancel = st.columns(2)
    if confirm.button("Disconnect for good", key="confirm_disconnect", type="primary"):
        finish_disconnect(settings, item_key)
    if cancel.button("Keep it connected", key="cancel_disconnect", on_click=_keep_connected):
        st.rerun()


def render_connections(settings: Settings) -> None:
    st.subheader("Connected banks")
    outcome = st.session_state.pop(DISCONNECT_OUTCOME, None)
    if outcome is not None:
        st.toast(outcome)
    bank_data.name_banks()
    items = state.connections()
    if not items:
        st.caption("No bank connected in this session yet.")
    for connection in items:
        left, right = st.columns([4, 1])
        left.text(connection.label)
        operators = connections.is_operator_item(settings, connection.item_key)
        if operators and right.button(
            "Remove from this session", key=f"disconnect-{connection.item_key}",
            help=OPERATOR_ITEM_HELP,
        ):  # fmt: skip
            finish_disconnect(settings, connection.item_key)
        elif not operators and right.button("Disconnect", key=f"disconnect-{connection.item_key}"):
            st.session_state[PENDING_DISCONNECT] = connection.item_key
        if st.session_state.get(PENDING_DISCONNECT) == connection.item_key and not operators:
            confirm_disconnect(settings, connection.item_key, connection.label)
    st.caption(
        "Connections live only in this browser session: a reload or a restart of the app "
        "forgets them."
    )


def _finish_link(settings: Settings, result: LinkSuccess | LinkExit | None) -> None:
    if isinstance(result, LinkSuccess):
        try:
            connection = connections.connect_public_token(settings, result.public_token)
        except UpstreamError as error:
            show_failure(error)
            return
        st.session_state.pop(LINK_TOKEN, None)
        st.success(f"Connected {plain(connection.label)}.")
    elif isinstance(result, LinkExit) and (result.error_code or result.display_message):
        st.warning(
            plain(result.display_message or "Plaid Link closed before the bank was connected.")
        )


def render_link(settings: Settings) -> None:
    st.caption("Opens Plaid Link to sign in to your bank; the app never sees your password.")
    if LINK_TOKEN not in st.session_state and st.button("Start", key="link_start"):
        try:
            st.session_state[LINK_TOKEN] = connections.link_token(settings)
        except UpstreamError as error:
            show_failure(error)
    if LINK_TOKEN in st.session_state:
        result = plaid_link(st.session_state[LINK_TOKEN], key="link", remember_for_oauth=True)
        _finish_link(settings, result)


def returning_from_bank(settings: Settings) -> bool:
    """Opened by an OAuth bank sending the person back (a new session)."""
    return OAUTH_STATE in st.query_params and settings.plaid_configured


def render_oauth_return(settings: Settings) -> None:
    """Back from an OAuth bank, in a new session: finish the Link session begun before."""
    if not settings.plaid_redirect_uri:
        get_logger("setup").warning("OAuth return ignored: PLAID_REDIRECT_URI is not set")
        st.warning(
            "This looks like a return from a bank's sign-in page, but the app is not set up "
            "for such banks (PLAID_REDIRECT_URI is not set). Please connect the bank again."
        )
        del st.query_params[OAUTH_STATE]
        return
    result = resume_oauth_link(key="link_oauth")
    if result is None:
        return
    code = result.error_code if isinstance(result, LinkExit) else None
    if code == OAUTH_RETURN_LOST:
        get_logger("setup").warning("OAuth return without a stored Link session")
    if code != LINK_LOAD_FAILED:  # when Link did not load, its button tries again
        # Finished either way: a reload must not try it again.
        del st.query_params[OAUTH_STATE]
    _finish_link(settings, result)


RELINK_HEADINGS = {
    "login": "Sign in to {bank} again",
    "accounts": "Add new accounts at {bank}",
}
RELINK_DONE = {
    "login": "{bank} is connected again.",
    "accounts": "{bank}: the accounts you chose are shared now; they show on every page.",
}


def render_relink(settings: Settings) -> None:
    """Link's update mode for one connection of this session: signing in again, or choosing
    the accounts to share. Nothing to exchange afterwards: the item and its token stay."""
    item_key = st.session_state.get(RELINK_ITEM)
    if not item_key or item_key not in {c.item_key for c in state.connections()}:
        return
    mode = st.session_state.get(RELINK_MODE, "login")
    label = plain(state.connection_label(item_key))
    with st.container(border=True):
        st.markdown(f"**{RELINK_HEADINGS[mode].format(bank=label)}**")
        if mode == "accounts":
            st.caption("Plaid Link lists this bank's accounts: tick the ones to share.")
        if RELINK_TOKEN not in st.session_state:
            try:
                st.session_state[RELINK_TOKEN] = connections.link_token(
                    settings, item_key, account_selection=mode == "accounts"
                )
            except UpstreamError as error:
                show_failure(error)
                return
        button = "Choose accounts" if mode == "accounts" else "Sign in"
        result = plaid_link(st.session_state[RELINK_TOKEN], key="relink", button_label=button)
        if isinstance(result, LinkSuccess):
            connections.updated(settings, item_key, mode)
            for key in (RELINK_TOKEN, RELINK_ITEM, RELINK_MODE):
                st.session_state.pop(key, None)
            st.success(RELINK_DONE[mode].format(bank=label))
        elif isinstance(result, LinkExit) and result.display_message:
            st.warning(plain(result.display_message))


def render_update_offers(settings: Settings) -> None:
    """News about this session's banks that Link's update mode answers (new accounts to
    share), each with its button, above the Link it opens."""
    items = [c.item_key for c in state.connections()]
    for item_key, notice in webhook_events.notices(items, settings):
        if notice.kind == "new_accounts" and st.session_state.get(RELINK_ITEM) != item_key:
            offer_update(item_key, notice.kind, key="setup-offer", go_to_setup=False)


def render_sandbox_connect(settings: Settings) -> None:
    st.caption("Connects one of Plaid's test banks without opening Link (sandbox only).")
    with st.form("sandbox_connect"):
        institution = st.selectbox(
            "Test institution",
            list(SANDBOX_INSTITUTIONS),
            format_func=lambda i: f"{SANDBOX_INSTITUTIONS[i]} ({i})",
            key="sandbox_institution",
        )
        username = st.text_input("Test user", value="user_good")
        password = st.text_input("Test password", value="pass_good", type="password")
        submitted = st.form_submit_button("Connect test bank")
    if submitted:
        try:
            connection = connections.connect_sandbox(settings, institution, username, password)
        except UpstreamError as error:
            show_failure(error)
            return
        st.success(f"Connected {plain(connection.label)}.")


def render_token_connect(settings: Settings) -> None:
    st.caption("For an access token you already have; it is encrypted in this session only.")
    with st.form("token_connect", clear_on_submit=True):
        token = st.text_input("Access token", type="password")
        submitted = st.form_submit_button("Connect")
    if not submitted:
        return
    problem = connections.access_token_problem(settings, token)
    if problem:
        st.error(problem)
        return
    try:
        connection = connections.connect_access_token(settings, token)
    except UpstreamError as error:
        show_failure(error)
        return
    st.success(f"Connected {plain(connection.label)}.")


def render_plaid(settings: Settings) -> None:
    render_connections(settings)
    render_update_offers(settings)
    render_relink(settings)
    st.subheader("Connect a bank")
    if returning_from_bank(settings):
        render_oauth_return(settings)
    names = ["Plaid Link", "Paste an access token"]
    if settings.plaid_env == "sandbox":
        names.insert(1, "Sandbox test bank")
    tabs = dict(zip(names, st.tabs(names), strict=True))
    with tabs["Plaid Link"]:
        render_link(settings)
    if "Sandbox test bank" in tabs:
        with tabs["Sandbox test bank"]:
            render_sandbox_connect(settings)
    with tabs["Paste an access token"]:
        render_token_connect(settings)


FIELD_LABELS = {
    "first_name": "First name",
    "middle_name": "Middle name",
    "last_name": "Last name",
    "generation_code": "Suffix",
    "dob": "Date of birth",
    "ssn": "Social Security number",
    "line1": "Street address",
    "line2": "Address line 2",
    "city": "City",
    "state": "State",
    "zip_code": "ZIP code",
}


def _field_problem(problem: ValueError) -> str:
    """The validator names the field by its code name; say it as the form does."""
    text = str(problem)
    for name, label in FIELD_LABELS.items():
        if text.startswith(name + " "):
            return label + text[len(name) :]
    return text


def render_applicant_on_file(settings: Settings, summary: str) -> None:
    given = credit_file.consent()
    st.text(f"Reports are pulled for: {summary}")
    if given is not None:
        st.caption(
            f"Consent given {shown_time(given.given_at, CONSENT_TIME)}, on {given.purpose}, "
            f"for {given.scope}."
        )
    if st.button("Remove my details", key="forget_applicant"):
        credit_file.forget_applicant(settings)
        st.rerun()


def render_consent_only(settings: Settings, summary: str) -> None:
    """Details come from EXPERIAN_APPLICANT; the person still gives consent here."""
    st.text(f"Details from the app's configuration: {summary}")
    with st.form("consent"):
        agreed = st.checkbox(credit_file.consent_statement(), key="consent_given")
        submitted = st.form_submit_button("Give consent and pull my report")
    if submitted and not agreed:
        st.error("Your consent is needed before a report can be pulled.")
    elif submitted:
        credit_file.give_consent(settings)
        st.success("Consent recorded. Your report is on the Credit report page.")
        st.page_link("pages/credit_report.py", label="Open the credit report")


def render_applicant_form(settings: Settings) -> None:
    st.caption(
        "Your details stay encrypted in this browser session only; they are never written "
        "to disk or logged, and a reload forgets them."
    )
    with st.form("applicant"):
        first, middle, last = st.columns([2, 1, 2])
        first_name = first.text_input("First name")
        middle_name = middle.text_input("Middle name")
        last_name = last.text_input("Last name")
        dob_col, ssn_col = st.columns(2)
        dob = dob_col.date_input(
            "Date of birth", value=None, min_value=date(1900, 1, 1), max_value=state.today(settings)
        )
        ssn = ssn_col.text_input("Social Security number", type="password")
        line1 = st.text_input("Street address")
        line2 = st.text_input("Address line 2")
        city_col, state_col, zip_col = st.columns([3, 1, 2])
        city = city_col.text_input("City")
        us_state = state_col.text_input("State", max_chars=2)
        zip_code = zip_col.text_input("ZIP code")
        agreed = st.checkbox(credit_file.consent_statement(), key="applicant_consent")
        submitted = st.form_submit_button("Save and pull my report")
    if not submitted:
        return
    if not agreed:
        st.error("Your consent is needed before a report can be pulled.")
        return
    if dob is None:
        st.error("Date of birth is needed.")
        return
    try:
        applicant = credit_file.new_applicant(
            first_name=first_name, middle_name=middle_name or None, last_name=last_name,
            dob=dob, ssn=ssn, line1=line1, line2=line2 or None, city=city,
            state=us_state.upper(), zip_code=zip_code,
        )  # fmt: skip
    except ValueError as problem:
        st.error(_field_problem(problem))
        return
    refusal = credit_file.applicant_refusal(applicant)
    if refusal is not None:
        st.error(refusal)
        return
    credit_file.save_applicant(settings, applicant)
    st.success("Saved. Your report is on the Credit report page.")
    st.page_link("pages/credit_report.py", label="Open the credit report")


def render_experian(settings: Settings) -> None:
    st.subheader("Credit report (Experian)")
    if not settings.experian_configured:
        st.caption(
            "To pull your own report, set EXPERIAN_CLIENT_ID, EXPERIAN_CLIENT_SECRET, "
            "EXPERIAN_USERNAME and EXPERIAN_PASSWORD (see docs/EXPERIAN.md)."
        )
        return
    summary = credit_file.applicant_summary()
    if summary and credit_file.consent():
        render_applicant_on_file(settings, summary)
    elif summary:
        render_consent_only(settings, summary)
    else:
        render_applicant_form(settings)


SETTINGS_TABLE = ["setting", "status"]


def render_configuration(settings: Settings) -> None:
    st.subheader("Configuration")
    st.caption("Secrets are shown only as set or not set.")
    rows = tuple((name, setting_status(settings, name)) for name in SETTINGS)
    frame = derived("setup_settings", rows, lambda: pd.DataFrame(rows, columns=SETTINGS_TABLE))
    st.dataframe(frame, hide_index=True, key="setup_settings")
    if keeping.keeps_history(settings):
        st.caption(
            "Storage mode: **traditional**. A history of balances, transactions, scores and "
            "reports is kept in a database (DATABASE_URL) for each person the app knows; "
            "access tokens and reports are encrypted in it."
            + (" Bank data is also shared through Redis (REDIS_URL)." if settings.redis_url else "")
        )
    elif sharing.storage_mode(settings) == "hybrid":
        st.caption(
            "Storage mode: **hybrid**. Bank data and credit reports are shared by every "
            "replica through Redis (REDIS_URL), encrypted."
        )
        trouble = sharing.shared_cache_trouble(settings)
        if trouble is not None:
            st.warning(trouble[:1].upper() + trouble[1:] + ".")
    else:
        st.caption(
            "Storage mode: **stateless**. Each process keeps its own cache; nothing is "
            "stored outside it."
        )
    if clients.vault(settings).ephemeral:
        st.warning(
            "No TOKEN_ENCRYPTION_KEY: a temporary key protects this session's connections, "
            "so they will not survive a restart of the app."
        )


PENDING_DELETE = "pending_delete_everything"  # "Delete everything" awaits confirmation
DELETE_OUTCOME = "delete_everything_outcome"  # what it did, told in the next run


def _keep_everything() -> None:
    st.session_state.pop(PENDING_DELETE, None)


def deleted_words(done: your_data.Deleted | None) -> str:
    if done is None:
        return "Nothing was deleted: the history store is not answering. Try again later."
    words = (
        "Everything this app kept about you is deleted."
        if done.rows_deleted
        else "Your banks are disconnected, but the history store stopped answering: what it "
        "keeps is not deleted yet. Try again in a minute."
    )
    if done.removed_at_plaid:
        words += f" {done.removed_at_plaid} bank connection(s) removed at Plaid."
    if done.not_told:
        words += (
            f" Plaid could not be told to remove {done.not_told}: end this app's access at your "
            "bank or at my.plaid.com."
        )
    if done.kept_for_operator:
        words += f" {done.kept_for_operator} belong to this app's operator and stay connected."
    return words


@st.dialog("Delete everything this app keeps about you?", on_dismiss=_keep_everything)
def confirm_delete_everything(settings: Settings) -> None:
    st.write(
        "Every balance, transaction, score and credit report kept about you is deleted for "
        "good, your banks are disconnected (Plaid is told to remove the connections you "
        "made) and your details are forgotten. A line saying that someone's data was deleted "
        "stays in the audit log, without anything about you. This cannot be undone."
    )
    confirm, cancel = st.columns(2)
    if confirm.button("Delete everything", key="confirm_delete_everything", type="primary"):
        st.session_state.pop(PENDING_DELETE, None)
        st.session_state[DELETE_OUTCOME] = deleted_words(your_data.delete_everything(settings))
        st.rerun()
    if cancel.button("Keep it", key="cancel_delete_everything", on_click=_keep_everything):
        st.rerun()


def render_keeping_paused(settings: Settings) -> bool:
    """After "Delete everything" nothing is kept until the person asks again: whether that
    is so (and the way to ask)."""
    since = your_data.deleted_since(settings)
    if since is None:
        return False
    st.info(
        f"You deleted everything this app kept about you on {day(since)}; since then nothing "
        "is kept. Your banks and reports still show while you use the app."
    )
    if st.button("Keep my history again", key="keep_history_again"):
        your_data.keep_again(settings)
        st.rerun()
    return True


def render_kept(settings: Settings) -> None:
    """Traditional mode: what is kept about this person, a copy of it, and deleting it."""
    if not keeping.keeps_history(settings):
        return
    st.subheader("What this app keeps about you")
    outcome = st.session_state.pop(DELETE_OUTCOME, None)
    if outcome is not None:
        st.toast(outcome)
    if not keeping.may_be_kept():
        st.caption(
            "Nothing: this app keeps a history only for people signed in (or the owner of a "
            "run on this machine)."
        )
        return
    if render_keeping_paused(settings):
        return
    kept = kept_history(settings)
    if kept is None:
        st.warning("The history store is not answering; what it keeps shows here when it does.")
        return
    since = f" since {day(kept.first_day)}" if kept.first_day else ""
    retention = settings.history_retention_months
    st.markdown(
        f"Kept in this app's database{since}: your banks (their access tokens encrypted), "
        f"{len({d.account_id for d in kept.days})} accounts with their balances on "
        f"{len({d.day for d in kept.days})} days, {len(kept.transactions):,} transactions, "
        f"{len(kept.reports)} credit reports (encrypted) and their scores, and a log of what "
        "you did (no personal data in it). "
        + (f"Anything older than {retention} months is dropped. " if retention else "")
        + "Never kept: your SSN, your date of birth, full account numbers."
    )
    left, right = st.columns(2)
    build = your_data.copy_builder(settings)
    if build is not None:
        with left:
            zip_download(
                build, "credit-monitor-my-data.zip", "download_my_data", "Download my data"
            )
    if right.button("Delete everything", key="delete_everything", icon=":material/delete:"):
        st.session_state[PENDING_DELETE] = True
    if st.session_state.get(PENDING_DELETE):
        confirm_delete_everything(settings)


TOKENS_EXPLAINED = (
    "A token lets a script of yours read what this app keeps about you through the JSON API "
    "(/api/v1/summary, /cards, /transactions): your kept banks, cards, transactions and newest "
    "credit report, never anyone else's, and only while this app still lets you in. Tokens "
    "exist because this app keeps your history in its database (traditional mode): the API "
    "reads that history, not a live fetch. Only a fingerprint (SHA-256) of each token is "
    "kept, so it is shown once, when it is made. Revoke a token you no longer use, or one "
    "that may have leaked: it stops working at once."
)


def _token_line(token: api_tokens.ApiToken) -> str:
    used = shown_time(token.last_used_at, CONSENT_TIME) if token.last_used_at else "never"
    return f"{token.name} · made {shown_time(token.created_at, CONSENT_TIME)} · last used {used}"


def render_new_token(settings: Settings, name: str) -> None:
    """Make a token and show it, this once: it is in no session state, so the next run has
    nothing of it."""
    try:
        token = api_tokens.create_token(settings, name)
    except api_tokens.TokenRefusedError as refusal:
        st.error(str(refusal))
        return
    if token is None:
        st.warning("The history store is not answering; no token was made. Try again later.")
        return
    st.success("Token made. Copy it now: it will not be shown again.")
    st.code(token, language=None)


def render_api_tokens(settings: Settings) -> None:
    """Traditional mode: the person's API tokens: make one (shown once), list, revoke."""
    if not api_tokens.offers_tokens(settings):
        return
    st.subheader("API tokens")
    st.caption(TOKENS_EXPLAINED)
    with st.form("api_token_new", clear_on_submit=True):
        name = st.text_input(
            "Name", max_chars=40, key="api_token_name", placeholder="e.g. home spreadsheet"
        )
        made = st.form_submit_button("Create token")
    if made:
        render_new_token(settings, name)
    tokens = api_tokens.my_tokens(settings)
    if tokens is None:
        st.warning("The history store is not answering; your tokens show here when it does.")
        return
    if not tokens:
        st.caption("You have no API token.")
    for token in tokens:
        left, right = st.columns([4, 1])
        left.text(_token_line(token))
        if right.button("Revoke", key=f"revoke_api_token-{token.token_id}"):
            api_tokens.revoke_token(settings, token.token_id)
            st.rerun()


def render() -> None:
    require_entry()
    st.title("Setup")
    settings = current_settings()
    if returning_from_bank(settings) and state.active_source(settings) == "demo":
        # The new session started on demo data; the return belongs to the Plaid part.
        state.choose_source("plaid")
    render_access(settings)
    render_source(settings)
    if state.active_source(settings) != "demo":
        if settings.plaid_configured:
            render_plaid(settings)
        render_experian(settings)
    render_kept(settings)
    render_api_tokens(settings)
    render_configuration(settings)


render()
