"""A person's rights over what the history keeps: a copy of every row ("Download my data"),
deletion of every row ("Delete everything"), and the history dropped once it is older than
HISTORY_RETENTION_MONTHS. And what anyone reading the database sees: no token, SSN, date of
birth, address or name on the credit file, and no one's address."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from cryptography.fernet import Fernet

from integrations.demo.parsed import demo_credit_report
from integrations.models import ConsumerIdentity, CreditReport
from services.runtime.vault import TokenVault
from services.storage.export import SEALED_COLUMNS
from services.storage.store import HistoryStore, retention_cutoff
from tests.support.database_rows import all_rows, rows_of_person
from tests.support.databases import HISTORY_KEY
from tests.support.history_data import (
    CARD,
    CHECKING,
    FIRST_SYNC,
    INSTITUTION,
    ITEM,
    PULLED_AT,
    SECOND_SYNC,
    account_day,
    readings,
)

ANN, BOB = "ann.canary@example.com", "bob.other@example.com"
TOKEN = "access-sandbox-canary-9f8e7d6c-0000"
API_TOKEN = "cmk_api-token-canary-0123456789abcdefghijklmnopq"
SSN, DOB = "666123987", "07041980"
NAME_ON_FILE = "CANARY Q PERSON"
STREET = "1 Canary Lane"
VAULT = TokenVault([HISTORY_KEY])


def report_of(identity_name: str) -> CreditReport:
    """The demo report with canaries in what a report may hold of a person."""
    report = demo_credit_report(date(2026, 11, 28))
    addresses = tuple(replace(address, street=STREET) for address in report.identity.addresses)
    identity = ConsumerIdentity(names=(identity_name,), addresses=addresses)
    return replace(report, identity=identity, messages=(f"SSN on file {SSN}, DOB {DOB}",))


def report_json(report: CreditReport) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(report), default=str))


def open_report(sealed: bytes) -> Mapping[str, Any]:
    return json.loads(VAULT.open(sealed))


def keep_a_history(store: HistoryStore, identity: str) -> str:
    """Everything the store keeps, once each: a bank, two syncs, two days, a report, audit."""
    person = store.person_key(identity)
    store.save_item(person, ITEM, VAULT.seal(TOKEN), INSTITUTION.institution_id, INSTITUTION.name)
    store.apply_sync(person, ITEM, None, FIRST_SYNC, [CARD, CHECKING])
    store.apply_sync(person, ITEM, store.kept_sync(person, ITEM), SECOND_SYNC, [CARD, CHECKING])
    store.record_day(person, [account_day(CARD, date(2026, 11, 27), 480.0),
                              account_day(CHECKING, date(2026, 11, 27), 2100.0),
                              account_day(CARD, date(2026, 11, 28), 512.25)])  # fmt: skip
    report = report_of(NAME_ON_FILE)
    sealed = VAULT.seal(json.dumps(report_json(report)))
    store.save_report(person, PULLED_AT, sealed, readings(date(2026, 11, 28), 712))
    store.audit(person, "pulled", "ok", PULLED_AT)
    store.add_api_token(person, "spreadsheet", api_token_hash(identity))
    return person


def api_token_hash(identity: str) -> str:
    """The hash of the person's API token (the token is ``API_TOKEN`` and their address)."""
    return hashlib.sha256(f"{API_TOKEN}{identity}".encode()).hexdigest()


def plain(value: Any) -> Any:
    """A database value as the export's JSON writes it."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def zip_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_delete_everything_leaves_no_row_of_the_person_and_another_person_intact(
    history_store: HistoryStore, history_url: str
) -> None:
    ann = keep_a_history(history_store, ANN)
    bob = keep_a_history(history_store, BOB)
    bobs_rows = rows_of_person(history_url, bob)

    tokens = history_store.delete_person(ann)

    assert [VAULT.open(token) for token in tokens] == [TOKEN]  # for /item/remove
    left = rows_of_person(history_url, ann)
    assert {table: rows for table, rows in left.items() if table != "audit"} == {
        table: [] for table in left if table != "audit"
    }
    # One audit line remains: that the deletion happened, under the person key only.
    assert [(row["event"], row["outcome"]) for row in left["audit"]] == [("person_deleted", "ok")]
    assert rows_of_person(history_url, bob) == bobs_rows
    assert history_store.items(ann) == []
    assert history_store.kept_sync(ann, ITEM) is None


def test_download_my_data_holds_every_row_of_theirs_and_nothing_of_anyone_else(
    history_store: HistoryStore, history_url: str
) -> None:
    ann = keep_a_history(history_store, ANN)
    keep_a_history(history_store, BOB)
    files = zip_files(history_store.export(ann, open_report))

    for table, rows in rows_of_person(history_url, ann).items():
        assert rows, f"nothing of the person in {table}: the round trip would prove nothing"
        expected = [{k: plain(v) for k, v in row.items() if k not in SEALED_COLUMNS}
                    for row in rows]  # fmt: skip
        exported = json.loads(files[f"{table}.json"])
        assert sorted(map(json.dumps, exported)) == sorted(map(json.dumps, expected)), table
        with_csv = list(csv.DictReader(io.StringIO(files[f"{table}.csv"].decode())))
        assert len(with_csv) == len(rows), table
    (report_id,) = (row["report_id"] for row in json.loads(files["reports.json"]))
    report = json.loads(files[f"credit_reports/report-{report_id}.json"])
    assert report == report_json(report_of(NAME_ON_FILE))
    readme = files["README.txt"].decode()
    assert "access tokens are not included" in readme
    for name in files:
        assert name.split("/")[0] in readme or name == "README.txt", name
    everything = b"".join(files.values())
    assert TOKEN.encode() not in everything
    assert API_TOKEN.encode() not in everything
    assert api_token_hash(ANN).encode() not in everything
    (listed,) = json.loads(files["api_tokens.json"])
    assert listed["name"] == "spreadsheet"
    assert "token_hash" not in listed
    assert history_store.person_key(BOB).encode() not in everything


def test_a_report_that_no_longer_opens_is_named_in_the_readme_not_hidden(
    history_store: HistoryStore,
) -> None:
    ann = keep_a_history(history_store, ANN)
    other_vault = TokenVault([Fernet.generate_key().decode()])  # the key was changed since
    exported = history_store.export(ann, lambda sealed: json.loads(other_vault.open(sealed)))
    files = zip_files(exported)
    assert not [name for name in files if name.startswith("credit_reports/")]
    assert "could not be opened" in files["README.txt"].decode()


def test_formula_like_names_open_as_text_in_the_exported_spreadsheet(
    history_store: HistoryStore,
) -> None:
    ann = keep_a_history(history_store, ANN)
    files = zip_files(history_store.export(ann, open_report))
    rows = list(csv.DictReader(io.StringIO(files["transactions.csv"].decode())))
    refund = next(row for row in rows if row["transaction_id"] == "tx-refund")
    assert refund["name"] == "'=HYPERLINK(refund)"
    assert refund["amount"] == "-19.99"  # a negative amount stays a number
    exact = {row["transaction_id"]: row for row in json.loads(files["transactions.json"])}
    assert exact["tx-refund"]["name"] == "=HYPERLINK(refund)"  # the JSON keeps it exact


def test_history_older_than_the_retention_is_dropped_for_everyone(
    history_store: HistoryStore,
) -> None:
    ann = keep_a_history(history_store, ANN)
    bob = keep_a_history(history_store, BOB)
    cutoff = retention_cutoff(date(2026, 11, 28), 0)
    assert cutoff is None  # 0 keeps everything
    cutoff = retention_cutoff(date(2027, 11, 28), 12)
    assert cutoff == date(2026, 11, 28)

    dropped = history_store.drop_older_than(cutoff)

    for person in (ann, bob):
        assert [d.day for d in history_store.account_days(person)] == [date(2026, 11, 28)]
        assert [t.transaction_id for t in history_store.transactions(person)] == []
        assert history_store.reports(person)  # pulled at 15:30 on the 28th: kept
        assert history_store.audit_lines(person)
        assert history_store.items(person)  # connections are not history
        assert history_store.api_tokens(person)  # nor are live API tokens
    assert dropped == 2 * (2 + 4)  # per person: two days, four transactions


def test_the_history_reads_back_in_day_order(history_store: HistoryStore) -> None:
    ann = keep_a_history(history_store, ANN)
    days = history_store.account_days(ann)
    assert [(d.day, d.account_id) for d in days] == [
        (date(2026, 11, 27), "acc-card"), (date(2026, 11, 27), "acc-checking"),
        (date(2026, 11, 28), "acc-card"),
    ]  # fmt: skip
    assert days[0] == account_day(CARD, date(2026, 11, 27), 480.0)
    assert history_store.account_days(ann, since=date(2026, 11, 28)) == [
        account_day(CARD, date(2026, 11, 28), 512.25)
    ]
    assert history_store.scores(ann) == sorted(readings(date(2026, 11, 28), 712),
                                               key=lambda r: r.model)  # fmt: skip
    # The same day fetched again: the later fetch wins, still one row.
    history_store.record_day(ann, [account_day(CARD, date(2026, 11, 28), 530.0)])
    assert history_store.account_days(ann, since=date(2026, 11, 28))[0].balance == 530.0
    assert [t.date for t in history_store.transactions(ann, since=date(2026, 11, 21))] == [
        date(2026, 11, 21), date(2026, 11, 25)
    ]  # fmt: skip


def test_the_same_report_saved_again_replaces_it(history_store: HistoryStore) -> None:
    ann = keep_a_history(history_store, ANN)
    (first,) = history_store.reports(ann)
    again = history_store.save_report(ann, PULLED_AT, b"resealed", readings(PULLED_AT.date(), 700))
    assert again == first.report_id
    assert [r.sealed_report for r in history_store.reports(ann)] == [b"resealed"]
    assert {r.score for r in history_store.scores(ann)} == {700, 709}


CANARIES = {
    "access token": TOKEN,
    "API token": API_TOKEN,
    "SSN": SSN,
    "date of birth": DOB,
    "name on the credit file": NAME_ON_FILE,
    "street on the credit file": STREET,
    "Ann's address": ANN,
    "Bob's address": BOB,
}


def test_no_token_ssn_birth_date_address_or_name_on_file_is_in_the_database(
    history_store: HistoryStore, history_url: str
) -> None:
    keep_a_history(history_store, ANN)
    keep_a_history(history_store, BOB)
    cells = [value for rows in all_rows(history_url).values() for row in rows
             for value in row.values()]  # fmt: skip
    texts = [v.encode() if isinstance(v, str) else bytes(v) for v in cells
             if isinstance(v, str | bytes | memoryview)]  # fmt: skip
    assert len(texts) > 50
    for what, canary in CANARIES.items():
        assert not [t for t in texts if canary.encode() in t], what
        assert not [t for t in texts if canary.lower().encode() in t.lower()], what


def test_a_person_is_the_same_key_on_every_replica_and_never_who_they_are(
    history_url: str,
) -> None:
    replicas = [HistoryStore.open(history_url, [HISTORY_KEY]) for _ in range(2)]
    rotated = HistoryStore.open(history_url, [Fernet.generate_key().decode(), HISTORY_KEY])
    keys = {store.person_key(ANN) for store in replicas}
    assert len(keys) == 1
    (key,) = keys
    assert len(key) == 64
    assert ANN not in key
    assert replicas[0].person_key(BOB) != key
    assert rotated.person_key(ANN) != key  # a new key in front names everyone anew
    with pytest.raises(ValueError, match="not by identity"):
        replicas[0].items(ANN)  # an address where a key belongs never reaches a column
    for store in (*replicas, rotated):
        store.close()
