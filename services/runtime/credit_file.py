"""A session's credit report: who it is for (sealed like an access token), the consent on
record, the pull through the cache and the last good report kept for a failed one."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal, cast

import streamlit as st

from integrations.common.errors import UpstreamError
from integrations.experian.client import Applicant
from integrations.models import CreditReport
from services.analytics.snapshot import ItemProblem, problem_from
from services.runtime import keeping, limits, state
from services.runtime import loaders as data
from services.runtime.cache_keys import keyed_hash
from services.runtime.clients import experian_client, vault
from services.runtime.identity import names_match
from services.runtime.settings import Settings, applicant_json
from services.runtime.shared_store import shared_store
from services.runtime.vault import ReconnectRequired

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
    spent: bool = False  # each consent allows one pull; the report is then reused in its TTL


@dataclass(frozen=True)
class SealedApplicant:
    """The applicant as the session keeps it: every field sealed, plus a masked summary."""

    key: str
    sealed: bytes
    summary: str
    operators: bool = False  # EXPERIAN_APPLICANT, loaded only for its owner


def _masked_summary(applicant: Applicant) -> str:
    initials = f"{applicant.first_name[:1]}. {applicant.last_name[:1]}."
    ssn_tail = applicant.ssn.reveal()[-4:]
    return f"{initials}, {applicant.city} {applicant.state}, SSN ending {ssn_tail}"


def _seal_applicant(settings: Settings, applicant: Applicant, operators: bool = False) -> None:
    canonical = applicant_json(applicant)  # logs mask the SSN and birth date by their shape
    previous = st.session_state.get(state.APPLICANT)
    if previous is not None:
        data.forget_credit_report(previous.key)
    state.let_go_of_data()
    st.session_state[state.APPLICANT] = SealedApplicant(
        key=keyed_hash("applicant", canonical),
        sealed=vault(settings).seal(canonical),
        summary=_masked_summary(applicant),
        operators=operators,
    )


def consent_scope() -> str:
    """What the person consents to, with the TTL the cache really uses: the one read at start,
    not a CACHE_TTL_SECONDS changed since (that takes a restart)."""
    return CONSENT_SCOPE.format(ttl=data.CACHE_TTL_SECONDS)


def consent_statement() -> str:
    """What the person ticks: the purpose and the scope, with the TTL the cache uses."""
    return (
        "I instruct the app to obtain my Experian credit report for my own review "
        f"({CONSENT_PURPOSE}): {consent_scope()}."
    )


def new_pull_needs_consent() -> bool:
    """The consent on record was used by a pull: the next pull needs it given again."""
    given = consent()
    return given is not None and given.spent


def give_consent(settings: Settings) -> None:
    """Record the person's instruction: when, for what purpose, in what scope. It allows
    one pull: a report already pulled is dropped from the cache, so the pull happens."""
    sealed = st.session_state.get(state.APPLICANT)
    if sealed is not None and consent() is not None:
        data.clear_credit_report(sealed.key)
        state.let_go_of_data()
    st.session_state[state.CONSENT] = Consent(
        given_at=datetime.now(UTC),
        scope=consent_scope(),
        purpose=CONSENT_PURPOSE,
    )
    st.session_state.pop(state.REPORT_PROBLEM, None)


def applicant_refusal(applicant: Applicant) -> str | None:
    """Why these details may not be used by this visitor, if they may not: a report is only
    ever pulled for the person who signed in (the operator's applicant for its owner)."""
    visitor = state.visitor()
    if not visitor.may_pull_credit:
        return (
            "Credit reports are pulled only for a person signed in to this app, or for the "
            "owner of a run on their own machine."
        )
    if visitor.mode == "sign_in" and not names_match(
        visitor.name, applicant.first_name, applicant.last_name
    ):
        return (
            "A report can only be pulled for the person signed in: the first and last name "
            "must be those on the account you signed in with."
        )
    return None


def new_applicant(**fields: Any) -> Applicant:
    """The applicant a person typed on Setup, validated: a ValueError names the field that is
    wrong, never its value."""
    return Applicant.create(**fields)


def save_applicant(settings: Settings, applicant: Applicant) -> None:
    """Keep who the report is for, sealed like an access token, with the consent given."""
    _seal_applicant(settings, applicant)
    give_consent(settings)


def applicant_from_settings(settings: Settings) -> None:
    """A single-user deployment names its person in EXPERIAN_APPLICANT; consent is still
    asked for on Setup before the first pull."""
    if settings.experian_applicant is None or state.APPLICANT in st.session_state:
        return
    fields = json.loads(settings.experian_applicant.reveal())
    _seal_applicant(settings, Applicant.create(**fields), operators=True)


def _forget_shared(settings: Settings, sealed: SealedApplicant) -> None:
    """The applicant's report goes from the shared store too, for every replica (hybrid)."""
    store = shared_store(settings)
    if store is None:
        return
    try:
        with vault(settings).revealed(sealed.sealed) as canonical:
            store.forget(applicant_json(Applicant.create(**json.loads(canonical))))
    except (ReconnectRequired, ValueError, TypeError):
        return  # details that no longer open or read cannot be named: their entry expires


def forget_applicant(settings: Settings) -> None:
    """Remove my details: who they are, their consent, their report (cached, shared, held or
    kept as the last good one) and the figures drawn from it."""
    state.let_go_of_data()
    state.drop_figures()
    sealed = st.session_state.pop(state.APPLICANT, None)
    if sealed is not None:
        data.forget_credit_report(sealed.key)
        _forget_shared(settings, sealed)
    for key in (state.CONSENT, state.REPORT_PROBLEM, state.LAST_REPORT):
        st.session_state.pop(key, None)
    if state.FETCHED_AT in st.session_state:
        st.session_state[state.FETCHED_AT].pop("credit_report", None)


def consent() -> Consent | None:
    return st.session_state.get(state.CONSENT)


def applicant_summary() -> str | None:
    sealed = st.session_state.get(state.APPLICANT)
    return sealed.summary if sealed else None


def credit_status(settings: Settings) -> CreditStatus:
    if state.active_source(settings) == "demo":
        return "demo"
    if not settings.experian_configured:
        return "not_configured"
    if state.APPLICANT not in st.session_state:
        return "needs_details"
    if state.CONSENT not in st.session_state:
        return "needs_consent"
    return "ready"


def credit_report_problem() -> ItemProblem | None:
    """Why the last pull failed, if it did (the page shows it next to any older report)."""
    return st.session_state.get(state.REPORT_PROBLEM)


class _Permit:
    """Asked by the cached loader only when a pull would really reach Experian (a cache miss):
    a report in the cache is reused without asking."""

    def __init__(self, settings: Settings, sealed: SealedApplicant, applicant: Applicant) -> None:
        self.settings, self.sealed, self.applicant = settings, sealed, applicant
        self.person = state.visitor().key
        self.consent = consent()
        self.owner = state.visitor().owner

    def ask(self) -> str | None:
        refusal = self._refusal()
        if refusal is not None:
            self.record("refused")
        return refusal

    def _refusal(self) -> str | None:
        if self.consent is None or self.consent.spent:
            return "A new report needs your consent again: give it on the Setup page."
        if not (self.sealed.operators and self.owner):
            problem = applicant_refusal(self.applicant)
            if problem is not None:
                return problem
        return limits.take_pull(self.settings, self.person, state.today(self.settings))

    def record(self, outcome: str) -> None:
        limits.audit("credit_pull", self.person, outcome, applicant=self.sealed.key)


def _spend_consent() -> None:
    given = consent()
    if given is not None and not given.spent:
        st.session_state[state.CONSENT] = replace(given, spent=True)


def _live_report(settings: Settings) -> tuple[CreditReport, datetime] | None:
    sealed: SealedApplicant = st.session_state[state.APPLICANT]
    try:
        with vault(settings).revealed(sealed.sealed) as canonical:
            applicant = Applicant.create(**json.loads(canonical))
        permit = _Permit(settings, sealed, applicant)
        fetched = data.fetch_credit_report(
            sealed.key, applicant, experian_client(settings), permit, data.Shared.of(settings)
        )
    except ReconnectRequired:
        forget_applicant(settings)
        return None
    except UpstreamError as error:  # NOT_CONFIGURED from the client factory
        fetched = data.ReportFetch(
            sealed.key, None, problem_from(sealed.key, error), datetime.now(UTC)
        )
    if fetched.refused:
        data.clear_credit_report(sealed.key)  # a refusal is not a result to keep
    else:
        _spend_consent()
    if fetched.problem is not None:
        st.session_state[state.REPORT_PROBLEM] = fetched.problem
        previous = st.session_state.get(state.LAST_REPORT)
        if previous is not None and previous.applicant_key == sealed.key:
            stale = replace(fetched.problem, stale_since=previous.fetched_at)
            st.session_state[state.REPORT_PROBLEM] = stale
            fetched = previous
    else:
        st.session_state.pop(state.REPORT_PROBLEM, None)
        st.session_state[state.LAST_REPORT] = fetched
        if fetched.report is not None:
            keeping.keep_report(settings, fetched.report, fetched.fetched_at)
    if fetched.report is None:
        return None
    state.record_fetch("credit_report", fetched.fetched_at)
    return fetched.report, fetched.fetched_at


def credit_report(settings: Settings) -> CreditReport | None:
    """This session's credit report, or None when none can be shown (see credit_status).
    Kept in the session like the snapshot."""
    status = credit_status(settings)
    if status not in ("demo", "ready"):
        return None
    sealed: SealedApplicant | None = st.session_state.get(state.APPLICANT)
    key = (status, state.today(settings), sealed.key if sealed and status == "ready" else None)
    found, value = state.held("credit_report", key)
    if found:
        report, fetched = cast(tuple[CreditReport, datetime], value)
        state.record_fetch("credit_report", fetched)
        return report
    if status == "demo":
        report, fetched = data.load_demo_credit_report(state.today(settings))
        state.record_fetch("credit_report", fetched)
    else:
        live = _live_report(settings)
        if live is None:
            return None
        report, fetched = live
    state.hold("credit_report", key, (report, fetched), fetched)
    return report
