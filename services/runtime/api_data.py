"""The JSON API's data, without a Streamlit session: what the operator's token reads.

The operator's data is what their own sessions load: the demo when the app runs on demo data,
else the banks of ``PLAID_ACCESS_TOKEN``, fetched through the same cached loaders as the
pages (an item a page fetched within ``CACHE_TTL_SECONDS`` is not asked again, and the other
way round). A credit report is never pulled here: every pull is billed, so the API's score
comes only from a report already held (the demo's, or the operator's applicant's report that
a session pulled and hybrid mode's shared store still holds).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

from integrations.models import CreditReport
from services.analytics.snapshot import FinancialSnapshot
from services.runtime import loaders
from services.runtime.bank_data import MAX_PARALLEL_ITEMS, fetch_within_ttl
from services.runtime.cache_keys import item_key
from services.runtime.codec import decode_report, unstamped
from services.runtime.last_good import remember
from services.runtime.settings import Settings
from services.runtime.shared_store import Kind


def api_today(settings: Settings) -> date:
    """The day figures are computed for: AS_OF_DATE, else today in UTC (a request carries
    no time zone, unlike a browser's session)."""
    return settings.as_of_date or datetime.now(UTC).date()


def operator_item(settings: Settings, token: str) -> loaders.ItemFetch:
    """One of the operator's items, through the pages' cache; a failed fetch is stood in for
    by the last good one, as on the pages. Nothing is kept in a history store from here."""
    return remember(fetch_within_ttl(settings, item_key(token), token, keeper=None))


def _operator_plaid_snapshot(settings: Settings) -> FinancialSnapshot | None:
    tokens = [secret.reveal() for secret in settings.plaid_access_tokens]
    if not tokens or not settings.plaid_configured:
        return None
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_ITEMS, len(tokens))) as pool:
        fetches = list(pool.map(lambda token: operator_item(settings, token), tokens))
    stamps = tuple(
        (f.item_key, f"{f.fetched_at.isoformat()}|{f.problem.code if f.problem else ''}")
        for f in fetches
    )
    return loaders.assemble_plaid_snapshot(stamps, tuple(fetches))


def operator_snapshot(settings: Settings, today: date) -> FinancialSnapshot | None:
    """The operator's bank and card data, or None when they configured no bank."""
    if settings.effective_source == "demo":
        return loaders.load_demo_snapshot(today)
    return _operator_plaid_snapshot(settings)


def _shared_report(settings: Settings) -> CreditReport | None:
    """The operator's applicant's report if the shared store holds one (hybrid mode), named
    as the loaders name it: by the applicant's canonical JSON, hashed by the store."""
    shared = loaders.Shared.of(settings)
    if shared is None or settings.experian_applicant is None:
        return None

    def opened(blob: bytes) -> CreditReport:
        return decode_report(unstamped(blob)[1])

    # A value that does not open or decode is a miss (the store says None).
    return shared.store.get(Kind.REPORT, settings.experian_applicant.reveal(), opened)


def held_report(settings: Settings, today: date) -> CreditReport | None:
    """A credit report already at hand, never a new pull: the demo's on demo data, else the
    operator's report held in the shared store, else None."""
    if settings.effective_source == "demo":
        return loaders.load_demo_credit_report(today)[0]
    return _shared_report(settings)
