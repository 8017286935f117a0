"""What the pages share: rendering helpers, the per-session memo of what they computed
(`derived`, `analyses`), figures shared by every session of the same fetched data
(`from_snapshot`), and charts drawn from specs converted once (`draw_chart`)."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import fields, is_dataclass
from datetime import date
from typing import Any, TypeVar, cast

import altair as alt
import pandas as pd
import streamlit as st

from integrations.common.errors import Action
from integrations.models import CreditReport
from services.analytics.history import SnapshotAnalyses, snapshot_analyses
from services.analytics.snapshot import FinancialSnapshot, ItemProblem
from services.runtime import bank_data, credit_file, state
from services.runtime import loaders as data
from services.runtime.cache_keys import keyed_hash
from services.runtime.settings import Settings, current_settings
from services.runtime.streamlit_private import (
    keep_clicks_over_timers,
    rerun_this_page_unless_asked,
    use_navigation_mode,
    vega_lite_spec,
)
from services.runtime.timezone import shown_time
from services.views.export import to_csv_bytes
from services.views.format import plain


def csv_download(
    frame: pd.DataFrame,
    file_name: str,
    key: str,
    label: str = "Download CSV",
    columns: Sequence[str] | None = None,
) -> None:
    """A download button whose CSV (of ``columns``, or every column) is built only when
    clicked: neither the CSV nor the narrowed frame costs anything on a rerun."""

    def build() -> bytes:
        return to_csv_bytes(frame[list(columns)] if columns else frame)

    st.download_button(
        label,
        data=build,
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
        disabled=frame.empty,
    )


def shown_table(frame: pd.DataFrame, columns: Mapping[str, Any], key: str, **options: Any) -> None:
    """A table of ``frame``'s ``columns`` (name -> column config), in that order, and of
    nothing else: a column the person does not see is not sent to the browser either (a
    ``column_order`` would only hide it there). A configured column the frame lacks is left
    out."""
    shown = [column for column in columns if column in frame.columns]
    st.dataframe(frame[shown], hide_index=True, column_config=dict(columns), key=key, **options)


def choose_among(label: str, options: list[str], key: str) -> list[str]:
    """A multiselect of every option at first. When the options change (another horizon
    brings an account or a kind), what the person took out stays out and the new ones are in:
    a widget with a key would otherwise keep its old choice and hide the newcomers."""
    offered = f"{key}_offered"
    before = st.session_state.get(offered)
    if before is None or key not in st.session_state:
        st.session_state[key] = list(options)
    elif before != options:
        dropped = set(before) - set(st.session_state[key])
        st.session_state[key] = [option for option in options if option not in dropped]
    st.session_state[offered] = list(options)
    return st.multiselect(label, options, key=key)


def zip_download(build: Callable[[], bytes], file_name: str, key: str, label: str) -> None:
    """A download button for a zip built only when clicked (``your_data``'s copy, whose CSV
    files go through the same export as every table's)."""
    st.download_button(
        label,
        data=build,
        file_name=file_name,
        mime="application/zip",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


CHART_SPECS = state.CHART_SPECS  # id(chart) -> (chart, its Vega-Lite spec)
SPECS_KEPT = 16  # more than every page's charts together: older ones belong to older figures


def draw_chart(chart: alt.TopLevelMixin, **options: Any) -> None:
    """``st.altair_chart`` for a chart kept in a page's figures: Altair turns it into a
    Vega-Lite spec (its data to Arrow, the whole spec checked against the schema) once, not on
    every rerun. The spec is Streamlit's own conversion, so what reaches the browser is the
    same as ``st.altair_chart`` sends."""
    specs: dict[int, tuple[object, dict[str, Any]]] = st.session_state.setdefault(CHART_SPECS, {})
    held = specs.get(id(chart))
    if held is None or held[0] is not chart:  # the chart itself is kept, so ids are not reused
        held = (chart, vega_lite_spec(chart))
        specs[id(chart)] = held
        while len(specs) > SPECS_KEPT:
            del specs[next(iter(specs))]
    st.vega_lite_chart(spec=held[1], **options)


CONSENT_TIME = "%b %d, %Y at %H:%M"


def fetching(settings: Settings, message: str, live: bool) -> AbstractContextManager[object]:
    """A spinner while a live upstream may be asked (the services never draw one); shown
    only when the call takes longer than half a second, so a held copy shows none."""
    return st.spinner(message) if live else nullcontext()


def snapshot(settings: Settings, *, early: bool = False) -> FinancialSnapshot | None:
    """This session's bank data (``bank_data.snapshot``), with a spinner while banks are
    asked. ``early``: cards and balances first, while transactions sync (``syncing``)."""
    live = state.active_source(settings) == "plaid"
    with fetching(settings, "Fetching from your banks…", live):
        return bank_data.snapshot(settings, early=early)


SYNC_POLL_SECONDS = 0.25  # how soon figures fill in after a bank's transactions arrive


@st.fragment(run_every=SYNC_POLL_SECONDS)
def _rerun_when_moved(seen: tuple[tuple[str, int], ...]) -> None:
    """The page again, whole, as soon as a syncing bank moved on in a way that shows (its
    cards, a problem, or every bank's history in: ``bank_data.worth_redrawing``)."""
    keys = tuple(key for key, _ in seen)
    drawn = tuple(stage for _, stage in seen)
    if bank_data.worth_redrawing(drawn, bank_data.progress(keys), bank_data.troubled(keys)):
        rerun_this_page_unless_asked()


def render_syncing(snap: FinancialSnapshot, waiting: str) -> None:
    """While transactions sync: a visible progress state in place of the figures that need
    them (``waiting`` names them), filled in within the same visit without a click."""
    if not snap.syncing:
        return
    total = len(state.connections()) or len(snap.syncing)
    answered = total - sum(1 for _, stage in snap.syncing if stage == 0)
    with st.status("Syncing transaction history…", state="running"):
        st.write(
            f"Balances and cards are in from {answered} of {total} bank"
            f"{'s' if total > 1 else ''}; {waiting} fill in when the transactions arrive."
        )
    keep_clicks_over_timers()
    _rerun_when_moved(snap.syncing)


def credit_report(settings: Settings) -> CreditReport | None:
    """This session's credit report (``credit_file.credit_report``), with a spinner while
    Experian is asked."""
    live = credit_file.credit_status(settings) == "ready"
    with fetching(settings, "Fetching your credit report…", live):
        return credit_file.credit_report(settings)


def nothing_connected(what: str) -> None:
    st.info(f"No {what} connected yet. Choose demo data or connect on the Setup page.")
    st.page_link("pages/setup.py", label="Go to Setup", icon=":material/settings:")


RELINK_ITEM = "relink_item"
RELINK_MODE = "relink_mode"  # "login" (sign in again) or "accounts" (choose accounts to share)
RELINK_TOKEN = "setup_relink"  # noqa: S105 - a session key, not a secret
# Bank news that Link's update mode answers: the mode it opens in, and the button's words.
UPDATE_OFFERS = {
    "new_accounts": ("accounts", "Add new accounts at {bank}"),
    "login_required": ("login", "Sign in to {bank} again"),
}


def _start_relink(item_key: str, mode: str = "login") -> None:
    st.session_state[RELINK_ITEM] = item_key
    st.session_state[RELINK_MODE] = mode
    st.session_state.pop(RELINK_TOKEN, None)  # a token made for another item or mode


def offer_update(item_key: str, kind: str, *, key: str, go_to_setup: bool = True) -> None:
    """A button that opens Link's update mode for news it answers (new accounts, a new login
    needed), on Setup where Link opens. Only for a connection this session holds: another
    person's bank is never offered."""
    offer = UPDATE_OFFERS.get(kind)
    if offer is None or item_key not in {c.item_key for c in state.connections()}:
        return
    mode, words = offer
    label = words.format(bank=plain(state.connection_label(item_key)))
    clicked = st.button(
        label, key=f"{key}-{mode}-{item_key}", on_click=_start_relink, args=(item_key, mode)
    )
    if clicked and go_to_setup:
        st.switch_page("pages/setup.py")


def render_problem(heading: str, problem: ItemProblem, kept: str) -> None:
    """A failed fetch: what happened, how old the data still shown is, and what to do.
    ``heading`` is ours (already escaped); ``kept`` names what is still on screen."""
    stale = (
        f" Showing {kept} fetched at {shown_time(problem.stale_since)}."
        if problem.stale_since
        else ""
    )
    st.warning(f"{heading} {plain(problem.message)}{stale}")
    reference = f" · request {plain(problem.request_id)}" if problem.request_id else ""
    st.caption(f"{problem.action.label}. Code {plain(problem.code)}{reference}.")


def render_connection_problems(snap: FinancialSnapshot) -> None:
    """One "needs attention" card per item that failed; every other item still shows."""
    for problem in snap.problems:
        label = state.connection_label(problem.item_key)
        with st.container(border=True, key=f"problem-{problem.item_key}"):
            render_problem(f"**{plain(label)} needs attention.**", problem, "what was")
            if problem.action is Action.RELINK:
                if st.button(
                    f"Sign in to {plain(label)} again",
                    key=f"relink-{problem.item_key}",
                    on_click=_start_relink,
                    args=(problem.item_key,),
                ):
                    st.switch_page("pages/setup.py")
            elif problem.action is Action.RECONNECT:
                st.page_link("pages/setup.py", label="Reconnect on the Setup page")
    for institution, note in snap.notes:
        st.caption(f"{plain(institution)}: {plain(note)}")


def relink_offered(snap: FinancialSnapshot) -> set[str]:
    """The banks whose problem card already offers to sign in again."""
    return {p.item_key for p in snap.problems if p.action is Action.RELINK}


def connected_snapshot(what: str, *, early: bool = False) -> FinancialSnapshot | None:
    """This session's bank data with any connection problems shown above it, or None (after
    saying that nothing is connected yet, naming ``what`` the page would show)."""
    snap = snapshot(current_settings(), early=early)
    if snap is None:
        nothing_connected(what)
        return None
    render_connection_problems(snap)
    return snap


def render_credit_status(settings: Settings) -> None:
    """Above the report: the consent on record, or what is missing, and any failed pull."""
    status = credit_file.credit_status(settings)
    if status == "not_configured":
        st.info(
            "The credit report needs Experian credentials (EXPERIAN_* settings); "
            "until then you can look at the demo report by choosing demo data on Setup."
        )
        st.page_link("pages/setup.py", label="Go to Setup", icon=":material/settings:")
        return
    if status in ("needs_details", "needs_consent"):
        st.info("To pull your credit report, give your consent and details on the Setup page.")
        st.page_link("pages/setup.py", label="Go to Setup", icon=":material/settings:")
        return
    given = credit_file.consent()
    if given is not None:
        st.caption(
            f"Consent given {shown_time(given.given_at, CONSENT_TIME)}, on {given.purpose}, "
            f"for {given.scope}. Applicant: {credit_file.applicant_summary()}."
        )
    problem = credit_file.credit_report_problem()
    if problem is not None:
        render_problem("**Experian:**", problem, "the report")


def require_entry() -> None:
    """Make sure app.py ran: page config, settings check, session bootstrap, navigation.

    A folder named ``pages/`` makes Streamlit start in its legacy multipage mode until the
    first st.navigation call in the process. So on a freshly started server whose first
    request is a deep link (``/transactions?...``), Streamlit runs the page file alone. The
    page then switches the process to st.navigation mode and reruns, which runs app.py."""
    if st.session_state.get(state.BOOTSTRAPPED):
        return
    use_navigation_mode()
    st.rerun()


T = TypeVar("T")
DERIVED = state.FIGURES  # name -> (key, value): what a page computed from its data


def derived(name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per ``key``, kept in this session only (never shared between people).

    A rerun whose data and choices are unchanged (a click elsewhere, a download, a rerun after
    a widget that does not touch these figures) only renders. One entry per name, so a session
    holds one set of figures per page, whatever it was shown before. Disconnect and "Remove
    my details" drop them all (``connections.remove_connection``,
    ``credit_file.forget_applicant``)."""
    memo: dict[str, tuple[Hashable, object]] = st.session_state.setdefault(DERIVED, {})
    held = memo.get(name)
    if held is None or held[0] != key:
        held = (key, compute())
        memo[name] = held
    return cast(T, held[1])


def snapshot_key(snap: FinancialSnapshot) -> Hashable:
    """Changes whenever data behind the snapshot is fetched again. A snapshot built outside
    the loaders has no version: then only the very same frame counts as unchanged."""
    return snap.version or id(snap.transactions)


def analyses(snap: FinancialSnapshot, today: date) -> SnapshotAnalyses:
    """What the whole history gives (filter options, recurring payments, unusual activity):
    once per fetched snapshot for every session of it, then kept in this session."""

    def compute() -> SnapshotAnalyses:
        if snap.version:
            return data.analyse_snapshot(snap.version, today, snap)
        return snapshot_analyses(snap.transactions, today, snap.recurring, snap.recurring_items)

    return derived("analyses", (snapshot_key(snap), today), compute)


Specs = dict[str, dict[str, Any]]


def _charts(figures: object) -> dict[str, alt.TopLevelMixin]:
    """The Altair charts among a figures dataclass's fields, by field name."""
    if not is_dataclass(figures):
        return {}
    found = {f.name: getattr(figures, f.name) for f in fields(figures)}
    return {name: chart for name, chart in found.items() if isinstance(chart, alt.TopLevelMixin)}


def _with_specs(compute: Callable[[], T]) -> Callable[[], tuple[T, Specs]]:
    """``compute`` and the Vega-Lite spec of each chart it made, so a session served a copy
    does not convert its charts again (4-15 ms each)."""

    def build() -> tuple[T, Specs]:
        figures = compute()
        return figures, {name: vega_lite_spec(chart) for name, chart in _charts(figures).items()}

    return build


def _hold_specs(figures: object, specs: Specs) -> None:
    """Let ``draw_chart`` find the specs of this copy's charts (it looks them up by the chart
    object, which is this session's own copy)."""
    held: dict[int, tuple[object, dict[str, Any]]] = st.session_state.setdefault(CHART_SPECS, {})
    for name, chart in _charts(figures).items():
        if name in specs:
            held[id(chart)] = (chart, specs[name])


# The repr of each large immutable object keyed by from_snapshot (the credit report, shared by
# every session as one object): worked out once per object, not once per new session.
_descriptions: dict[int, tuple[weakref.ref[object], str]] = {}


def _described(thing: object) -> str:
    """``repr(thing)``, remembered while ``thing`` lives when it can be weakly referenced
    (frozen dataclasses; a string or a zone is cheap to describe anew)."""
    found = _descriptions.get(id(thing))
    if found is not None and found[0]() is thing:
        return found[1]
    described = repr(thing)
    try:
        ref = weakref.ref(thing, lambda _: _descriptions.pop(key, None))
    except TypeError:
        return described
    key = id(thing)
    _descriptions[key] = (ref, described)
    return described


def from_snapshot(
    name: str, snap: FinancialSnapshot | None, today: date, compute: Callable[[], T], *also: object
) -> T:
    """``compute()``, for figures that depend on the snapshot, the day and ``also`` alone
    (never on something a person types or picks freely; a page's default choice may be
    ``also``): the first session to show a fetched snapshot computes them, and every other
    session showing the same fetch gets the very same object (``loaders.snapshot_figures``),
    which no page may change in place. ``also`` (the credit report, the time zone, the
    default target) enters the key only as a keyed hash. A snapshot without a version (built
    outside the loaders) is not shared, nor is a partial one (still syncing). Call it inside
    ``derived``, which keeps the result in the session."""
    if snap is None or not snap.version or snap.syncing:
        return compute()
    detail = keyed_hash("figures", "\0".join(_described(thing) for thing in also)) if also else ""
    figures, specs = data.snapshot_figures(name, snap.version, today, detail, _with_specs(compute))
    _hold_specs(figures, specs)
    return figures
