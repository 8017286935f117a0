"""The JSON API's data, without a Streamlit session: what the operator's token reads, and
what a person's token reads (their kept history, traditional mode).

The operator's data is what their own sessions load: the demo when the app runs on demo data,
else the banks of ``PLAID_ACCESS_TOKEN``, fetched through the same cached loaders as the
pages (an item a page fetched within ``CACHE_TTL_SECONDS`` is not asked again, and the other
way round). A credit report is never pulled here: every pull is billed, so the API's score
comes only from a report already held (the demo's, or the operator's applicant's report that
a session pulled and hybrid mode's shared store still holds).

A person's data is what the history store keeps of them, shaped as a snapshot so that the
same figures answer: each kept bank with its accounts as the last sync named them, the
transactions of its kept sync (what their pages showed after that fetch), each account's
balance, limit and statement of the last day kept, and their newest kept report. Not kept,
so absent: available balances, APRs, last payments and whether a card is overdue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

import streamlit as st

from integrations.models import Account, CardLiability, CreditReport, Institution, Item, ItemData
from services.analytics.snapshot import FinancialSnapshot, build_snapshot
from services.analytics.trends import AccountDay
from services.runtime import keeping, loaders
from services.runtime.bank_data import MAX_PARALLEL_ITEMS, fetch_within_ttl
from services.runtime.cache_keys import item_key
from services.runtime.clients import vault
from services.runtime.codec import decode_report, unstamped
from services.runtime.history import KEPT_READ_TTL_SECONDS
from services.runtime.last_good import remember
from services.runtime.settings import Settings
from services.runtime.shared_store import Kind
from services.storage.store import HistoryStore, KeptItem


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


# --- A person's kept history, for their token ---------------------------------------------------


@dataclass(frozen=True)
class KeptData:
    snapshot: FinancialSnapshot | None  # None before anything of a bank was kept
    report: CreditReport | None


def person_data(settings: Settings, store: HistoryStore, person: str) -> KeptData:
    """What ``person``'s token reads: read again after each write of theirs in this process,
    else once a minute (as the History page reads it). Raises ``StoreError``."""
    return _person_data(person, keeping.generation(person), store, settings)


@st.cache_resource(ttl=KEPT_READ_TTL_SECONDS, max_entries=16, show_spinner=False)
def _person_data(
    person: str, generation: int, _store: HistoryStore, _settings: Settings
) -> KeptData:
    return KeptData(_kept_snapshot(_store, person), _newest_report(_store, person, _settings))


def _kept_snapshot(store: HistoryStore, person: str) -> FinancialSnapshot | None:
    kept_items = store.items(person)
    if not kept_items:
        return None
    accounts = store.accounts(person)
    days = {day.account_id: day for day in store.latest_account_days(person)}
    item_data = [_item_data(store, person, item, accounts, days) for item in kept_items]
    stamps = [item.updated_at for item in kept_items if item.updated_at is not None]
    return build_snapshot(item_data, "plaid", max(stamps, default=datetime.now(UTC)))


def _item_data(
    store: HistoryStore,
    person: str,
    item: KeptItem,
    accounts: Sequence[Account],
    days: Mapping[str, AccountDay],
) -> ItemData:
    institution = item.institution or Institution(item.item_id, "Unknown institution")
    sync = store.kept_sync(person, item.item_id)
    mine = [account for account in accounts if account.item_id == item.item_id]
    return ItemData(
        item=Item(item.item_id, institution),
        accounts=tuple(_as_of(account, days.get(account.account_id)) for account in mine),
        transactions=sync.transactions if sync else (),
        liabilities=tuple(
            _statement(day)
            for account in mine
            if account.is_credit_card and (day := days.get(account.account_id))
        ),
    )


def _as_of(account: Account, day: AccountDay | None) -> Account:
    """The account with the balance and limit of the last day kept."""
    return account if day is None else replace(account, current=day.balance, limit=day.limit)


def _statement(day: AccountDay) -> CardLiability:
    return CardLiability(
        account_id=day.account_id,
        last_statement_balance=day.statement_balance,
        minimum_payment_amount=day.minimum_payment,
        next_payment_due_date=day.next_payment_due,
    )


def _newest_report(store: HistoryStore, person: str, settings: Settings) -> CreditReport | None:
    kept = store.reports(person)
    if not kept:
        return None
    opener = keeping.Keeper(store, person, vault(settings), api_today(settings))
    return opener.open_report(kept[-1].sealed_report)
