"""Traditional mode end to end in AppTest, on SQLite and PostgreSQL: a fetch is kept, the
History page draws what was kept, a new process syncs on from the kept cursor, "Delete
everything" leaves no row of the person and tells Plaid, and a store that is down changes
nothing else a person sees."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import pages._shared as shared_pages
from integrations.models import SyncState
from services.analytics.trends import AccountDay
from services.runtime import history, keeping, last_good
from services.runtime.cache_keys import item_key as keyed_item
from services.runtime.identity import local_visitor
from services.runtime.settings import parse_settings
from services.storage.store import HistoryStore
from tests.support.apps import app_on_page, app_test
from tests.support.clock import TODAY
from tests.support.database_rows import all_rows, rows_of_person
from tests.support.databases import HISTORY_KEY
from tests.support.plaid_double import PlaidDouble
from tests.support.setup_page import connect_pasted

SYNC = "/transactions/sync"


@pytest.fixture
def kept(
    plaid_env: PlaidDouble, history_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The operator's two demo banks on a run of this machine, kept in ``history_url``."""
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(plaid_env.demo_tokens()))
    monkeypatch.setenv("DATABASE_URL", history_url)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", HISTORY_KEY)
    yield history_url
    assert keeping.await_retention(30)  # its worker is done with the database
    st.cache_resource.clear()  # the store's engine, before its database goes


def person() -> str:
    """The key the store gives the owner of a run on this machine (AppTest is one)."""
    visitor = local_visitor(parse_settings({"TOKEN_ENCRYPTION_KEY": HISTORY_KEY}), None, None)
    return HistoryStore.open("sqlite:///unused.db", [HISTORY_KEY]).person_key(visitor.key)


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(t.value for t in at.dataframe if column in t.value.columns)


def another_process() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()
    last_good.forget_all_items()


def started(page: str | None = None) -> AppTest:
    at = app_on_page(page)
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_fetch_is_kept_and_the_history_page_draws_it(kept: str, plaid_env: PlaidDouble) -> None:
    started()
    rows = rows_of_person(kept, person())
    assert len(rows["items"]) == 2
    assert len(rows["transactions"]) > 100
    assert {row["day"] for row in rows["account_days"]} == {TODAY}

    at = started("pages/history.py")
    assert any("Kept in this app's database since" in c.value for c in at.caption)
    setup = started("pages/setup.py")
    assert any("Storage mode: **traditional**" in c.value for c in setup.caption)
    assert any(s.value == "What this app keeps about you" for s in setup.subheader)
    utilization = table_with(at, "utilization")
    assert set(utilization["day"].dt.date) == {TODAY}
    assert "Overall" in set(utilization["card"])
    assert not table_with(at, "spent").empty  # monthly spending from the kept transactions
    assert any("No score" in i.value for i in at.info)  # no report pulled yet


def test_a_new_process_syncs_on_from_the_kept_cursor(kept: str, plaid_env: PlaidDouble) -> None:
    started()
    full = len(plaid_env.calls(SYNC))
    token = plaid_env.demo_tokens()[0]
    first = plaid_env.sync_pages(token)[0]["added"][0]
    plaid_env.post_update(token, added=[{**first, "transaction_id": "kept-new", "amount": 3.5}])

    another_process()
    started()

    assert len(plaid_env.calls(SYNC)) == full + 2  # one request per bank, from its cursor
    ids = [row["transaction_id"] for row in rows_of_person(kept, person())["transactions"]]
    assert "kept-new" in ids
    assert len(ids) == len(set(ids))


def test_delete_everything_leaves_no_row_of_the_person_and_tells_plaid(
    kept: str, plaid_env: PlaidDouble
) -> None:
    client = plaid_env.client()
    mine = client.exchange_public_token(client.create_sandbox_public_token("ins_109508"))
    at = app_test().run()
    connect_pasted(at, mine)
    at.switch_page("pages/overview.py").run()
    assert len(rows_of_person(kept, person())["items"]) == 3

    at.switch_page("pages/setup.py").run()
    at.button(key="delete_everything").click().run()
    at.button(key="confirm_delete_everything").click().run()
    assert not at.exception, [e.value for e in at.exception]

    left = rows_of_person(kept, person())
    assert [row["event"] for row in left.pop("audit")] == ["person_deleted"]
    assert all(rows == [] for rows in left.values()), left
    assert any(table for name, table in all_rows(kept).items() if name == "audit")
    removed = [call.body["access_token"] for call in plaid_env.calls("/item/remove")]
    assert removed == [mine]  # the operator's banks stay connected at Plaid
    assert at.session_state["plaid_items"] == []

    # The operator's banks come back in a new session, but nothing is kept until asked.
    another_process()
    again = started("pages/setup.py")
    assert rows_of_person(kept, person())["items"] == []
    assert any("nothing is kept" in i.value for i in again.info)
    again.button(key="keep_history_again").click().run()
    again.switch_page("pages/overview.py").run()
    assert len(rows_of_person(kept, person())["items"]) == 2


def test_a_store_that_is_down_changes_nothing_else(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(plaid_env.demo_tokens()))
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres:pw@127.0.0.1:9/none")
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", HISTORY_KEY)
    try:
        overview = started()
        assert any(m.label == "Overall utilization" for m in overview.metric)
        at = started("pages/history.py")
        said = [w.value for w in at.warning]
        assert any("history store is not answering" in text for text in said), said
        # AppTest draws app.py's sidebar on a session's first run only: a new session's.
        sidebar = [w.value for w in started().sidebar.warning]
        assert any("History store unavailable since" in text for text in sidebar), sidebar
        assert not any("pw" in text for text in said)
    finally:
        st.cache_resource.clear()


def test_history_older_than_the_retention_goes_when_the_app_opens(
    kept: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HISTORY_RETENTION_MONTHS", "12")
    store = HistoryStore.open(kept, [HISTORY_KEY])
    store.migrate()
    old = AccountDay(
        TODAY - timedelta(days=800), "acct-old", "item-old", "Old Bank", "Old card", "1234",
        "card", "USD", 100.0, 1000.0,
    )  # fmt: skip
    store.record_day(person(), [old])
    store.close()

    started()
    assert keeping.await_retention(30)  # applied on a worker, not in the visitor's run

    days = {row["day"] for row in rows_of_person(kept, person())["account_days"]}
    assert days == {TODAY}


def test_the_first_visit_of_the_day_does_not_wait_for_the_retention_to_be_applied(
    kept: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HISTORY_RETENTION_MONTHS", "12")
    gate, deletes = threading.Event(), []
    delete = HistoryStore.drop_older_than

    def slow_delete(store: HistoryStore, cutoff: object) -> int:
        deletes.append(cutoff)
        gate.wait(10)  # a delete over everyone's long history
        return delete(store, cutoff)  # type: ignore[arg-type]

    monkeypatch.setattr(HistoryStore, "drop_older_than", slow_delete)
    started()  # drawn while the delete still runs
    assert not keeping.await_retention(0.05)
    started("pages/history.py")  # another run the same day starts no second delete
    gate.set()
    assert keeping.await_retention(30)
    assert len(deletes) == 1


def test_a_kept_history_is_read_again_only_once_the_store_changed(
    kept: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    read = HistoryStore.transactions

    def counted(store: HistoryStore, person: str, since: object = None) -> object:
        reads.append(person)
        return read(store, person, since)  # type: ignore[arg-type]

    monkeypatch.setattr(HistoryStore, "transactions", counted)
    at = started("pages/history.py")
    assert reads
    read_first = len(reads)
    history._change_stamp.clear()  # a minute later, nothing changed in the store
    at.run()
    assert len(reads) == read_first  # the history already read is drawn again as it was

    store = HistoryStore.open(kept, [HISTORY_KEY])  # another replica keeps a new day
    another = AccountDay(
        TODAY, "acct-other", "item-other", "Other Bank", "Other card", "9876",
        "card", "USD", 50.0, 500.0,
    )  # fmt: skip
    store.record_day(person(), [another])
    store.close()
    at.run()
    assert len(reads) == read_first  # within the minute: not asked yet
    history._change_stamp.clear()
    at.run()
    assert not at.exception
    assert len(reads) == read_first + 1  # the store moved: read once more


def test_download_my_data_builds_the_persons_zip_on_the_thread_streamlit_uses(
    kept: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    builders: list[Callable[[], bytes]] = []

    def keep_builder(build: Callable[[], bytes], *_: object) -> None:
        builders.append(build)

    monkeypatch.setattr(shared_pages, "zip_download", keep_builder)
    started()
    started("pages/setup.py")
    assert builders
    # Streamlit runs a deferred download on a worker thread with no session of its own.
    built: list[bytes] = []
    worker = threading.Thread(target=lambda: built.append(builders[-1]()))
    worker.start()
    worker.join()

    with zipfile.ZipFile(io.BytesIO(built[0])) as archive:
        names = archive.namelist()
        transactions = archive.read(next(n for n in names if n.endswith("transactions.csv")))
    assert "README.txt" in names
    kept_rows = rows_of_person(kept, person())["transactions"]
    assert transactions.count(b"\n") >= len(kept_rows)  # a header and every row


def test_a_sync_from_the_start_keeps_history_older_than_plaid_serves(
    kept: str, plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HISTORY_RETENTION_MONTHS", "0")  # keep everything: this is not retention
    started()
    store = HistoryStore.open(kept, [HISTORY_KEY])
    item_id = plaid_env.item_id(plaid_env.demo_tokens()[0])
    before = store.kept_sync(person(), item_id)
    assert before is not None
    old = replace(
        before.transactions[0], transaction_id="kept-long-ago", date=TODAY - timedelta(days=900)
    )
    # A cursor Plaid will refuse: the next fetch reads the whole window from the start.
    after = SyncState("a-cursor-plaid-forgot", (*before.transactions, old), before.institution)
    assert store.apply_sync(person(), item_id, before, after).applied
    store.close()

    another_process()
    started()

    ids = {row["transaction_id"] for row in rows_of_person(kept, person())["transactions"]}
    assert "kept-long-ago" in ids
    assert {t.transaction_id for t in before.transactions} <= ids


def test_disconnecting_a_bank_forgets_its_kept_transactions_but_not_the_operators(
    kept: str, plaid_env: PlaidDouble
) -> None:
    client = plaid_env.client()
    mine = client.exchange_public_token(client.create_sandbox_public_token("ins_109508"))
    at = app_test().run()
    connect_pasted(at, mine)
    at.switch_page("pages/overview.py").run()
    before = rows_of_person(kept, person())
    assert len(before["items"]) == 3

    at.switch_page("pages/setup.py").run()
    mine_key = keyed_item(mine)
    at.button(key=f"disconnect-{mine_key}").click().run()
    at.button(key="confirm_disconnect").click().run()
    assert not at.exception, [e.value for e in at.exception]

    after = rows_of_person(kept, person())
    assert len(after["items"]) == 2  # the operator's two banks are still kept
    gone = {row["item_id"] for row in before["items"]} - {row["item_id"] for row in after["items"]}
    assert len(gone) == 1
    assert not [row for row in after["transactions"] if row["item_id"] in gone]
    assert after["transactions"]  # the operator's are untouched
