"""What one browser session holds and how pages reach its data.

Session state keeps the chosen data source, the Plaid connections (each access token sealed
by the vault, next to its keyed hash and a label) and when data was last fetched. Nothing here
is written to disk; a reload starts a new, empty session.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Literal, cast

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from integrations.errors import Action, UpstreamError
from integrations.experian_client import Applicant, ExperianClient
from integrations.models import CreditReport
from integrations.plaid_client import PlaidClient, Timeouts
from integrations.retry import RetryPolicy
from services import data
from services.cache_keys import item_key as keyed_item
from services.cache_keys import keyed_hash
from services.logs import register_secret
from services.settings import Secret, Settings, applicant_json
from services.snapshot import FinancialSnapshot, ItemProblem, problem_from
from services.vault import ReconnectRequired, TokenVault

SOURCE = "data_source"
PLAID_ITEMS = "plaid_items"
FETCHED_AT = "fetched_at"
BOOTSTRAPPED = "bootstrapped"
CLIENT_USER_ID = "client_user_id"
MAX_PARALLEL_ITEMS = 8

Source = Literal["demo", "plaid"]


@dataclass(frozen=True)
class PlaidConnection:
    """One connected item as the session keeps it: never the token in clear."""

    item_key: str
    sealed: bytes
    label: str = "Bank connection"


# --- process-wide helpers -------------------------------------------------------------------

_vaults: dict[tuple[Secret, ...], TokenVault] = {}
_vault_lock = threading.Lock()


def vault(settings: Settings) -> TokenVault:
    """The process-wide vault for the configured keys. Without TOKEN_ENCRYPTION_KEY its key
    lives only in memory, so sealed tokens do not survive a restart."""
    keys = settings.token_encryption_keys
    with _vault_lock:
        if keys not in _vaults:
            _vaults[keys] = TokenVault([k.reveal() for k in keys])
        return _vaults[keys]


@lru_cache(maxsize=4)
def plaid_client(settings: Settings) -> PlaidClient:
    """One client per configuration; plaid-python's pool is shared by every session."""
    return PlaidClient(
        host=settings.plaid_host,
        client_id=settings.plaid_client_id.reveal() if settings.plaid_client_id else "",
        secret=settings.plaid_secret.reveal() if settings.plaid_secret else "",
        country_codes=settings.plaid_country_codes,
        products=settings.plaid_products,
        redirect_uri=settings.plaid_redirect_uri,
        timeouts=Timeouts(settings.connect_timeout_seconds, settings.read_timeout_seconds),
        policy=RetryPolicy(budget_seconds=settings.call_budget_seconds),
    )


# The last good fetch of each item, so that a failed refresh keeps what was already shown,
# but no longer than the cache itself would have kept it: CACHE_TTL_SECONDS from when it was
# fetched. Keyed by the item's keyed hash: only a session holding the token can compute the
# key. A problem saying the connection is gone drops it at once, so a revoked item's data
# is not shown again, in this session or any other.
_LAST_GOOD_LIMIT = 256
_last_good: OrderedDict[str, data.ItemFetch] = OrderedDict()
_last_good_lock = threading.Lock()
# Plaid's codes for an item that no longer exists or no longer grants access, whatever action
# they map to; any problem asking to reconnect from scratch (Action.RECONNECT) counts too.
CONNECTION_GONE = frozenset(
    {
        "INVALID_ACCESS_TOKEN",
        "ITEM_NOT_FOUND",
        "ACCESS_NOT_GRANTED",
        "USER_PERMISSION_REVOKED",
        "NO_ACCOUNTS",
    }
)


def _connection_gone(problem: ItemProblem) -> bool:
    return problem.action is Action.RECONNECT or problem.code in CONNECTION_GONE


def _within_ttl(fetched_at: datetime, now: datetime) -> bool:
    return now - fetched_at < timedelta(seconds=data.CACHE_TTL_SECONDS)


def _remember(fetch: data.ItemFetch) -> data.ItemFetch:
    """Keep a good fetch; for a failed one, fall back to the last good data while it is
    within the TTL and the problem does not say the connection is gone."""
    now = data.now()
    with _last_good_lock:
        for key in [k for k, kept in _last_good.items() if not _within_ttl(kept.fetched_at, now)]:
            del _last_good[key]
        if fetch.data is not None:
            _last_good[fetch.item_key] = fetch
            _last_good.move_to_end(fetch.item_key)
            while len(_last_good) > _LAST_GOOD_LIMIT:
                _last_good.popitem(last=False)
            return fetch
        if fetch.problem is not None and _connection_gone(fetch.problem):
            _last_good.pop(fetch.item_key, None)
            return fetch
        previous = _last_good.get(fetch.item_key)
    if previous is None or fetch.problem is None:
        return fetch
    return replace(previous, problem=replace(fetch.problem, stale_since=previous.fetched_at))


def _forget(item_key: str) -> None:
    with _last_good_lock:
        _last_good.pop(item_key, None)


def forget_all_items() -> None:
    """Drop every remembered fetch (tests, and an operator's full reset)."""
    with _last_good_lock:
        _last_good.clear()


def today(settings: Settings) -> date:
    """The day every figure is computed for: AS_OF_DATE when set (reproducible demos,
    screenshots and tests), else the server's calendar date."""
    return settings.as_of_date or date.today()


# --- session state --------------------------------------------------------------------------


def bootstrap(settings: Settings) -> None:
    """First visit of a session: pick the data source and seal any configured tokens. Only
    the operator's secrets are registered for log redaction (a person's are masked by shape)."""
    for value in settings.secret_values():
        register_secret(value)
    if st.session_state.get(BOOTSTRAPPED):
        return
    st.session_state[SOURCE] = settings.effective_source
    st.session_state[CLIENT_USER_ID] = f"session-{uuid.uuid4().hex}"
    st.session_state[PLAID_ITEMS] = []
    for token in settings.plaid_access_tokens:
        add_connection(settings, token.reveal())
    _applicant_from_settings(settings)
    st.session_state[BOOTSTRAPPED] = True


def active_source(settings: Settings) -> Source:
    return st.session_state.get(SOURCE, settings.effective_source)


def choose_source(source: Source) -> None:
    st.session_state[SOURCE] = source
    st.session_state.pop(FETCHED_AT, None)
    let_go_of_data()


def source_label(settings: Settings) -> str:
    if active_source(settings) == "demo":
        return "Demo data"
    parts = [f"Plaid {settings.plaid_env}"] if settings.plaid_configured else []
    if settings.experian_configured:
        parts.append(f"Experian {settings.experian_env}")
    return " · ".join(parts)


def client_user_id() -> str:
    """A random id for this session, sent to Plaid as Link's client_user_id."""
    return st.session_state.setdefault(CLIENT_USER_ID, f"session-{uuid.uuid4().hex}")


def connections() -> list[PlaidConnection]:
    return list(st.session_state.get(PLAID_ITEMS, ()))


def connected_item_count() -> int:
    return len(connections())


def add_connection(
    settings: Settings, access_token: str, label: str | None = None
) -> PlaidConnection:
    """Seal a new access token into the session; the same item twice is kept once. Logs mask
    it by its shape (services.logs): nothing of it is kept outside the session."""
    key = keyed_item(access_token)
    kept = [c for c in connections() if c.item_key != key]
    label = label or f"Bank connection {len(kept) + 1}"
    connection = PlaidConnection(key, vault(settings).seal(access_token), label)
    st.session_state[PLAID_ITEMS] = [*kept, connection]
    return connection


def remove_connection(item_key: str) -> None:
    """Everything held of the item goes: the session's copy and figures, the shared cache
    entries holding its data, and the last good fetch."""
    st.session_state[PLAID_ITEMS] = [c for c in connections() if c.item_key != item_key]
    data.forget_plaid_item(item_key)
    _forget(item_key)
    let_go_of_data()
    _drop_figures()


def connection_label(item_key: str) -> str:
    return next((c.label for c in connections() if c.item_key == item_key), "Bank connection")


def _bank_name(fetch: data.ItemFetch) -> str | None:
    """From the item's data, or from its problem: a bank that needs a new login is named."""
    if fetch.data:
        return fetch.data.item.institution.name
    return fetch.problem.institution if fetch.problem else None


def _relabel(fetches: list[data.ItemFetch]) -> None:
    names = {f.item_key: name for f in fetches if (name := _bank_name(f))}
    if names:
        st.session_state[PLAID_ITEMS] = [
            replace(c, label=names.get(c.item_key, c.label)) for c in connections()
        ]


def _record_fetch(kind: str, fetched_at: datetime) -> None:
    st.session_state.setdefault(FETCHED_AT, {})[kind] = fetched_at


def fetched_at() -> datetime | None:
    """When the oldest piece of data on screen was fetched."""
    return min(st.session_state.get(FETCHED_AT, {}).values(), default=None)


def _unreadable(connection: PlaidConnection) -> data.ItemFetch:
    problem = ItemProblem(
        item_key=connection.item_key,
        code="TOKEN_UNREADABLE",
        error_type="SESSION",
        message="This connection can no longer be read (the app's key changed).",
        action=Action.RECONNECT,
    )
    return data.ItemFetch(connection.item_key, None, problem, datetime.now(UTC))


def _fetch_one(settings: Settings, connection: PlaidConnection) -> data.ItemFetch:
    try:
        with vault(settings).revealed(connection.sealed) as token:
            fetched = data.fetch_plaid_item(connection.item_key, token, plaid_client(settings))
    except ReconnectRequired:
        return _unreadable(connection)
    return _remember(fetched)


def _fetch_all(settings: Settings, items: list[PlaidConnection]) -> list[data.ItemFetch]:
    """Fetch every item at once: one slow bank must not hold up the others."""
    if len(items) == 1:
        return [_fetch_one(settings, items[0])]
    context = get_script_run_ctx()

    def fetch(connection: PlaidConnection) -> data.ItemFetch:
        add_script_run_ctx(threading.current_thread(), context)
        return _fetch_one(settings, connection)

    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_ITEMS, len(items))) as pool:
        return list(pool.map(fetch, items))


def _plaid_snapshot(settings: Settings) -> FinancialSnapshot | None:
    items = connections()
    if not items:
        return None
    with st.spinner("Fetching from your banks…"):
        fetches = _fetch_all(settings, items)
    _relabel(fetches)
    stamps = tuple(
        (f.item_key, f"{f.fetched_at.isoformat()}|{f.problem.code if f.problem else ''}")
        for f in fetches
    )
    return data.assemble_plaid_snapshot(stamps, tuple(fetches))


HELD = "held_data"  # what this session last got from the cache, while the cache holds it


@dataclass(frozen=True)
class _Held:
    key: tuple[object, ...]  # what it was fetched for
    value: object
    until: datetime  # the earliest its cache entries can expire


def _held(name: str, key: tuple[object, ...]) -> tuple[bool, object]:
    """Each cache hit unpickles the cached value (20 to 40 ms for one Plaid item, more for
    long histories), so a session keeps what it got while the cache would serve the same."""
    held: _Held | None = st.session_state.get(HELD, {}).get(name)
    if held is not None and held.key == key and data.now() < held.until:
        return True, held.value
    return False, None


def _hold(name: str, key: tuple[object, ...], value: object, fetched_at: datetime) -> None:
    until = fetched_at + timedelta(seconds=data.CACHE_TTL_SECONDS)
    st.session_state.setdefault(HELD, {})[name] = _Held(key, value, until)


def let_go_of_data() -> None:
    """The next run asks the cache (and the upstreams, where the cache was cleared) again."""
    st.session_state.pop(HELD, None)


# What the pages computed from this session's data (pages/_shared): figures and chart specs
# hold names and amounts of whatever they were drawn from.
FIGURES = "derived_figures"
CHART_SPECS = "chart_specs"


def _drop_figures() -> None:
    """Figures go with the item or applicant they were drawn from (the next run redraws
    what is still connected)."""
    for key in (FIGURES, CHART_SPECS):
        st.session_state.pop(key, None)


def _fresh_snapshot(settings: Settings) -> FinancialSnapshot | None:
    if active_source(settings) == "demo":
        return data.load_demo_snapshot(today(settings))
    return _plaid_snapshot(settings)


def snapshot(settings: Settings) -> FinancialSnapshot | None:
    """This session's bank and card data, or None when nothing is connected yet. Kept in the
    session until the oldest of its cache entries may have expired; Refresh, a new or removed
    connection or another source lets go of it."""
    key = (active_source(settings), today(settings), tuple(c.item_key for c in connections()))
    found, value = _held("snapshot", key)
    result = cast(FinancialSnapshot | None, value) if found else _fresh_snapshot(settings)
    if result is not None:
        if not found:
            _hold("snapshot", key, result, result.fetched_at)
        _record_fetch("accounts", result.fetched_at)
    return result


# --- the credit report (Experian) -----------------------------------------------------------

APPLICANT = "experian_applicant"
CONSENT = "experian_consent"
REPORT_PROBLEM = "experian_problem"
LAST_REPORT = "experian_last_report"
CONSENT_PURPOSE = "your own written instruction to obtain your report (permissible purpose 3F)"
CONSENT_SCOPE = (
    "one Experian credit report about you (score, score factors, accounts, inquiries, "
    "public records and the personal details on file), fetched again at most every "
    "{ttl} seconds while this browser session lasts"
)
CreditStatus = Literal["demo", "not_configured", "needs_details", "needs_consent", "ready"]


@dataclass(frozen=True)
class Consent:
    given_at: datetime
    scope: str
    purpose: str


@dataclass(frozen=True)
class SealedApplicant:
    """The applicant as the session keeps it: every field sealed, plus a masked summary."""

    key: str
    sealed: bytes
    summary: str


@lru_cache(maxsize=4)
def experian_client(settings: Settings) -> ExperianClient:
    return ExperianClient.from_settings(settings)


def _masked_summary(applicant: Applicant) -> str:
    initials = f"{applicant.first_name[:1]}. {applicant.last_name[:1]}."
    ssn_tail = applicant.ssn.reveal()[-4:]
    return f"{initials}, {applicant.city} {applicant.state}, SSN ending {ssn_tail}"


def _seal_applicant(settings: Settings, applicant: Applicant) -> None:
    canonical = applicant_json(applicant)  # logs mask the SSN and birth date by their shape
    previous = st.session_state.get(APPLICANT)
    if previous is not None:
        data.clear_credit_report(previous.key)
    let_go_of_data()
    st.session_state[APPLICANT] = SealedApplicant(
        key=keyed_hash("applicant", canonical),
        sealed=vault(settings).seal(canonical),
        summary=_masked_summary(applicant),
    )


def consent_scope() -> str:
    """What the person consents to, with the TTL the cache really uses: the one read at start,
    not a CACHE_TTL_SECONDS changed since (that takes a restart)."""
    return CONSENT_SCOPE.format(ttl=data.CACHE_TTL_SECONDS)


def give_consent(settings: Settings) -> None:
    """Record the person's instruction: when, for what purpose, in what scope."""
    st.session_state[CONSENT] = Consent(
        given_at=datetime.now(UTC),
        scope=consent_scope(),
        purpose=CONSENT_PURPOSE,
    )
    st.session_state.pop(REPORT_PROBLEM, None)


def save_applicant(settings: Settings, applicant: Applicant) -> None:
    """Keep who the report is for, sealed like an access token, with the consent given."""
    _seal_applicant(settings, applicant)
    give_consent(settings)


def _applicant_from_settings(settings: Settings) -> None:
    """A single-user deployment names its person in EXPERIAN_APPLICANT; consent is still
    asked for on Setup before the first pull."""
    if settings.experian_applicant is None or APPLICANT in st.session_state:
        return
    fields = json.loads(settings.experian_applicant.reveal())
    _seal_applicant(settings, Applicant.create(**fields))


def forget_applicant() -> None:
    """Remove my details: who they are, their consent, their report (cached, held or kept
    as the last good one) and the figures drawn from it."""
    let_go_of_data()
    _drop_figures()
    sealed = st.session_state.pop(APPLICANT, None)
    if sealed is not None:
        data.clear_credit_report(sealed.key)
    for key in (CONSENT, REPORT_PROBLEM, LAST_REPORT):
        st.session_state.pop(key, None)
    if FETCHED_AT in st.session_state:
        st.session_state[FETCHED_AT].pop("credit_report", None)


def consent() -> Consent | None:
    return st.session_state.get(CONSENT)


def applicant_summary() -> str | None:
    sealed = st.session_state.get(APPLICANT)
    return sealed.summary if sealed else None


def credit_status(settings: Settings) -> CreditStatus:
    if active_source(settings) == "demo":
        return "demo"
    if not settings.experian_configured:
        return "not_configured"
    if APPLICANT not in st.session_state:
        return "needs_details"
    if CONSENT not in st.session_state:
        return "needs_consent"
    return "ready"


def credit_report_problem() -> ItemProblem | None:
    """Why the last pull failed, if it did (the page shows it next to any older report)."""
    return st.session_state.get(REPORT_PROBLEM)


def _live_report(settings: Settings) -> tuple[CreditReport, datetime] | None:
    sealed: SealedApplicant = st.session_state[APPLICANT]
    try:
        with vault(settings).revealed(sealed.sealed) as canonical:
            applicant = Applicant.create(**json.loads(canonical))
        with st.spinner("Fetching your credit report…"):
            fetched = data.fetch_credit_report(sealed.key, applicant, experian_client(settings))
    except ReconnectRequired:
        forget_applicant()
        return None
    except UpstreamError as error:  # NOT_CONFIGURED from the client factory
        fetched = data.ReportFetch(
            sealed.key, None, problem_from(sealed.key, error), datetime.now(UTC)
        )
    if fetched.problem is not None:
        st.session_state[REPORT_PROBLEM] = fetched.problem
        previous = st.session_state.get(LAST_REPORT)
        if previous is not None and previous.applicant_key == sealed.key:
            stale = replace(fetched.problem, stale_since=previous.fetched_at)
            st.session_state[REPORT_PROBLEM] = stale
            fetched = previous
    else:
        st.session_state.pop(REPORT_PROBLEM, None)
        st.session_state[LAST_REPORT] = fetched
    if fetched.report is None:
        return None
    _record_fetch("credit_report", fetched.fetched_at)
    return fetched.report, fetched.fetched_at


def credit_report(settings: Settings) -> CreditReport | None:
    """This session's credit report, or None when none can be shown (see credit_status).
    Kept in the session like the snapshot."""
    status = credit_status(settings)
    if status not in ("demo", "ready"):
        return None
    sealed: SealedApplicant | None = st.session_state.get(APPLICANT)
    key = (status, today(settings), sealed.key if sealed and status == "ready" else None)
    found, value = _held("credit_report", key)
    if found:
        report, fetched = cast(tuple[CreditReport, datetime], value)
        _record_fetch("credit_report", fetched)
        return report
    if status == "demo":
        report, fetched = data.load_demo_credit_report(today(settings))
        _record_fetch("credit_report", fetched)
    else:
        live = _live_report(settings)
        if live is None:
            return None
        report, fetched = live
    _hold("credit_report", key, (report, fetched), fetched)
    return report


def refresh(settings: Settings) -> None:
    """Drop this session's cached entries so the next run fetches again."""
    if active_source(settings) == "demo":
        data.clear_demo(today(settings))
    for connection in connections():
        data.clear_plaid_item(connection.item_key)
    sealed = st.session_state.get(APPLICANT)
    if sealed is not None:
        data.clear_credit_report(sealed.key)
    st.session_state.pop(FETCHED_AT, None)
    let_go_of_data()


# --- connecting and disconnecting -----------------------------------------------------------

ACCESS_TOKEN_SHAPE = re.compile(r"access-(sandbox|development|production)-[A-Za-z0-9-]{8,}")


def _connected(settings: Settings, access_token: str) -> PlaidConnection:
    """Store a new connection and show it: fetch it now so its name is known."""
    connection = add_connection(settings, access_token)
    choose_source("plaid")
    fetched = _fetch_one(settings, connection)
    _relabel([fetched])
    return next(c for c in connections() if c.item_key == connection.item_key)


def link_token(settings: Settings, item_key: str | None = None) -> str:
    """A Link token for a new connection, or for signing in again to an existing item."""
    client = plaid_client(settings)
    if item_key is None:
        return client.create_link_token(client_user_id())
    connection = next(c for c in connections() if c.item_key == item_key)
    with vault(settings).revealed(connection.sealed) as token:
        return client.create_link_token(client_user_id(), access_token=token)


def connect_public_token(settings: Settings, public_token: str) -> PlaidConnection:
    access_token = plaid_client(settings).exchange_public_token(public_token)
    return _connected(settings, access_token)


def connect_sandbox(
    settings: Settings, institution_id: str, username: str, password: str
) -> PlaidConnection:
    client = plaid_client(settings)
    public_token = client.create_sandbox_public_token(institution_id, username, password)
    return _connected(settings, client.exchange_public_token(public_token))


def access_token_problem(settings: Settings, access_token: str) -> str | None:
    """Why a pasted access token cannot be right, before asking Plaid."""
    match = ACCESS_TOKEN_SHAPE.fullmatch(access_token.strip())
    if match is None:
        return "That is not a Plaid access token (access-sandbox-… or access-production-…)."
    if match.group(1) != settings.plaid_env:
        env = settings.plaid_env
        return f"That token is for Plaid {match.group(1)}, but the app uses Plaid {env}."
    return None


def connect_access_token(settings: Settings, access_token: str) -> PlaidConnection:
    token = access_token.strip()
    plaid_client(settings).get_item(token)  # proves the token works before it is kept
    return _connected(settings, token)


def relinked(item_key: str) -> None:
    """After Link update mode succeeded: the token is unchanged, the data is fetched again."""
    data.clear_plaid_item(item_key)
    _forget(item_key)
    let_go_of_data()


def disconnect(settings: Settings, item_key: str) -> bool:
    """Remove the item at Plaid and everything this session holds of it.

    Returns False when Plaid could not be told (the local copy is wiped regardless)."""
    connection = next((c for c in connections() if c.item_key == item_key), None)
    removed_at_plaid = False
    if connection is not None:
        try:
            with vault(settings).revealed(connection.sealed) as token:
                plaid_client(settings).remove_item(token)
            removed_at_plaid = True
        except (UpstreamError, ReconnectRequired):
            removed_at_plaid = False
    remove_connection(item_key)
    return removed_at_plaid
