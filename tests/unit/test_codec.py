"""The shared cache's codec: domain objects to data-only bytes and back, exactly; anything
else it is given to decode is refused with one exception type."""

from __future__ import annotations

import ast
import dataclasses
import json
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.demo.parsed import demo_credit_report, demo_item_data, parse_demo_item
from integrations.experian.parse import parse_credit_report
from integrations.models import (
    Account,
    Institution,
    Item,
    ItemData,
    RecurringStream,
    SyncState,
    Transaction,
)
from services.runtime.codec import (
    FORMAT_VERSION,
    TRANSACTION_SCHEMA,
    CodecError,
    decode_item,
    decode_report,
    decode_sync_state,
    encode_item,
    encode_report,
    encode_sync_state,
    stamped,
    unstamped,
)
from tests.support.apps import ROOT
from tests.support.clock import TODAY
from tests.support.hostile_text import hostile_experian_report, hostile_plaid_items


def many_transactions(count: int, template: ItemData) -> tuple[Transaction, ...]:
    """``count`` transactions shaped like the template's, over two years of days."""
    shapes = template.transactions
    return tuple(
        dataclasses.replace(
            shapes[i % len(shapes)],
            transaction_id=f"tx-{i}",
            amount=round((i % 9973) * 0.37 - 1000, 2),
            date=TODAY - timedelta(days=i % 730),
        )
        for i in range(count)
    )


# --- Round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("index", [0, 1], ids=["bank", "cards"])
def test_a_demo_item_comes_back_equal(index: int) -> None:
    item = demo_item_data(TODAY)[index]
    assert item.transactions
    assert item.accounts
    assert decode_item(encode_item(item)) == item


def test_the_demo_report_comes_back_equal() -> None:
    report = demo_credit_report(TODAY)
    assert report.tradelines
    assert report.inquiries
    assert decode_report(encode_report(report)) == report


def test_hostile_text_comes_back_as_it_went() -> None:
    for body in hostile_plaid_items(TODAY):
        item = parse_demo_item(body)
        assert decode_item(encode_item(item)) == item
    report = parse_credit_report(hostile_experian_report(TODAY))
    assert decode_report(encode_report(report)) == report


def item_with_plaids_streams() -> ItemData:
    """The demo bank as fetched from the Plaid double when billed for recurring streams."""
    from tests.support.plaid_double import PlaidDouble

    with PlaidDouble() as double:
        token = double.demo_tokens()[0]
        double.bill_recurring(token)
        return double.client().fetch_item(token)


def test_plaids_recurring_streams_come_back_equal() -> None:
    item = item_with_plaids_streams()
    assert item.recurring_from_plaid
    assert item.recurring
    assert {s.direction for s in item.recurring} == {"inflow", "outflow"}
    back = decode_item(encode_item(item))
    assert back == item
    assert back.recurring_from_plaid


def test_a_stream_direction_outside_its_words_is_refused() -> None:
    stream = RecurringStream(
        stream_id="s", direction="inflow", account_id="a", description="PAYROLL",
        merchant_name=None, category="INCOME", category_detailed="INCOME_WAGES",
        first_date=date(2026, 1, 15), last_date=date(2026, 11, 30),
        predicted_next_date=date(2026, 12, 15), frequency="SEMI_MONTHLY", status="MATURE",
        is_active=True, average_amount=-3200.0, last_amount=-3326.84, currency="USD",
    )  # fmt: skip
    blob = encode_item(dataclasses.replace(small_item(), recurring=(stream,)))

    def sideways(document: dict) -> dict:
        document["recurring"][0]["direction"] = "sideways"
        return document

    with pytest.raises(CodecError, match="expected words"):
        decode_item(with_json(blob, sideways))


def test_a_banks_consent_expiry_comes_back_as_the_same_moment() -> None:
    bank = demo_item_data(TODAY)[1]  # the demo's OAuth bank, whose consent lapses
    assert bank.item.consent_expires_at is not None
    assert decode_item(encode_item(bank)).item.consent_expires_at == bank.item.consent_expires_at


def test_a_moment_without_its_offset_is_neither_written_nor_read() -> None:
    bank = small_item()
    naive = dataclasses.replace(bank.item, consent_expires_at=datetime(2026, 12, 10, 12))
    with pytest.raises(CodecError, match="time zone"):
        encode_item(dataclasses.replace(bank, item=naive))

    def strip_offset(document: dict) -> dict:
        document["item"]["consent_expires_at"] = "2026-12-10T12:00:00"
        return document

    with pytest.raises(CodecError, match="offset"):
        decode_item(with_json(encode_item(bank), strip_offset))


def test_a_sync_state_keeps_its_cursor_and_transactions() -> None:
    item = demo_item_data(TODAY)[0]
    state = SyncState("cursor-\u00e9-42", item.transactions, item.item.institution)
    assert decode_sync_state(encode_sync_state(state)) == state
    assert decode_sync_state(encode_sync_state(SyncState("", ()))) == SyncState("", ())


def test_a_hundred_thousand_transactions_come_back_equal() -> None:
    item = demo_item_data(TODAY)[0]
    big = dataclasses.replace(item, transactions=many_transactions(100_000, item))
    blob = encode_item(big)
    assert decode_item(blob) == big
    assert len(blob) < 100 * len(big.transactions)  # columnar and compressed: ~30 bytes a row


def test_a_lone_surrogate_survives_in_json_but_not_in_the_columns() -> None:
    """JSON from an upstream can hold half a surrogate pair; Arrow text must be UTF-8."""
    item = demo_item_data(TODAY)[1]
    odd = "name \ud800 half"
    account = dataclasses.replace(item.accounts[0], name=odd)
    renamed = dataclasses.replace(item, accounts=(account, *item.accounts[1:]))
    assert decode_item(encode_item(renamed)).accounts[0].name == odd
    transaction = dataclasses.replace(item.transactions[0], merchant_name=odd)
    with pytest.raises(CodecError):
        encode_item(dataclasses.replace(item, transactions=(transaction,)))


def test_a_transaction_missing_a_required_value_is_not_written() -> None:
    item = demo_item_data(TODAY)[1]
    broken = dataclasses.replace(item.transactions[0], name=None)
    with pytest.raises(CodecError):
        encode_item(dataclasses.replace(item, transactions=(broken,)))


text = st.text(max_size=40)
maybe_text = st.none() | text
amounts = st.floats(allow_nan=False, width=64)
days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
offsets = st.sampled_from([UTC, timezone(timedelta(hours=-8)), timezone(timedelta(hours=5.5))])
moments = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31),
                       timezones=offsets)  # fmt: skip
transactions = st.builds(
    Transaction,
    transaction_id=text,
    account_id=text,
    amount=amounts,
    currency=text,
    date=days,
    authorized_date=st.none() | days,
    name=text,
    merchant_name=maybe_text,
    pending=st.booleans(),
    pending_transaction_id=maybe_text,
    category=maybe_text,
    category_detailed=maybe_text,
    payment_channel=maybe_text,
)
accounts = st.builds(
    Account,
    account_id=text,
    item_id=text,
    name=text,
    official_name=maybe_text,
    mask=maybe_text,
    type=text,
    subtype=maybe_text,
    current=st.none() | amounts,
    available=st.none() | amounts,
    limit=st.none() | amounts,
    currency=text,
    currency_is_official=st.booleans(),
)
items = st.builds(
    ItemData,
    item=st.builds(Item, item_id=text, institution=st.builds(Institution, text, text),
                   available_products=st.lists(text, max_size=3).map(tuple),
                   billed_products=st.lists(text, max_size=3).map(tuple), error_code=maybe_text,
                   consent_expires_at=st.none() | moments),
    accounts=st.lists(accounts, max_size=3).map(tuple),
    transactions=st.lists(transactions, max_size=20).map(tuple),
    liabilities=st.just(()),
    notes=st.lists(text, max_size=2).map(tuple),
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=items)
def test_any_item_comes_back_equal(item: ItemData) -> None:
    """Unicode, control characters, empty strings, None, extreme floats and far dates."""
    assert decode_item(encode_item(item)) == item


# --- Refusals --------------------------------------------------------------------------------


@cache
def small_item() -> ItemData:
    item = demo_item_data(TODAY)[1]
    return dataclasses.replace(item, transactions=item.transactions[:20])


def with_json(blob: bytes, change: object) -> bytes:
    """An item's bytes with its JSON part replaced by what ``change`` makes of it."""
    length = int.from_bytes(blob[2:6], "big")
    document = json.loads(blob[6 : 6 + length])
    changed = json.dumps(change(document)).encode()  # type: ignore[operator]
    return blob[:2] + len(changed).to_bytes(4, "big") + changed + blob[6 + length :]


def test_another_format_version_or_kind_is_refused() -> None:
    blob = encode_item(small_item())
    with pytest.raises(CodecError, match="format version"):
        decode_item(bytes([FORMAT_VERSION + 1]) + blob[1:])
    with pytest.raises(CodecError, match="another kind"):
        decode_report(blob)
    with pytest.raises(CodecError, match="another kind"):
        decode_item(encode_report(demo_credit_report(TODAY)))


def set_in_first_account(field: str, value: object) -> object:
    def change(document: dict) -> dict:
        document["accounts"][0][field] = value
        return document

    return change


@pytest.mark.parametrize(
    "change",
    [
        set_in_first_account("current", "12.50"),  # text where a number belongs
        set_in_first_account("currency_is_official", 1),  # a number where a bool belongs
        set_in_first_account("name", None),  # None where text is required
        set_in_first_account("surprise", "x"),  # a field the type does not have
        lambda d: {k: v for k, v in d.items() if k != "notes"},  # a field missing
        lambda d: {**d, "transactions": []},  # transactions belong to the columns
        lambda d: {**d, "notes": "not a list"},
        lambda d: [d],
    ],
    ids=["text-for-float", "int-for-bool", "none-for-text", "extra-field", "missing-field",
         "transactions-in-json", "text-for-list", "list-for-object"],
)  # fmt: skip
def test_a_value_of_the_wrong_shape_is_refused(change: object) -> None:
    with pytest.raises(CodecError):
        decode_item(with_json(encode_item(small_item()), change))


@pytest.mark.parametrize("written", ["2026-02-30", "20261130", "2026-11-30T00:00", "", 20261130])
def test_a_date_not_written_by_the_codec_is_refused(written: object) -> None:
    report = demo_credit_report(TODAY)
    document = json.loads(encode_report(report)[2:])
    document["report_date"] = written
    with pytest.raises(CodecError, match="date"):
        decode_report(bytes([FORMAT_VERSION]) + b"R" + json.dumps(document).encode())


def test_a_literal_outside_its_words_is_refused() -> None:
    document = json.loads(encode_report(demo_credit_report(TODAY))[2:])
    document["inquiries"][0]["kind"] = "hostile"
    with pytest.raises(CodecError, match="expected words"):
        decode_report(bytes([FORMAT_VERSION]) + b"R" + json.dumps(document).encode())


def arrow_stream(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def test_columns_of_another_shape_are_refused() -> None:
    blob = encode_item(small_item())
    length = int.from_bytes(blob[2:6], "big")
    head = blob[: 6 + length]
    renamed = pa.table({"transaction_id": ["a"], "amount": [1.0]})
    with pytest.raises(CodecError, match="another shape"):
        decode_item(head + arrow_stream(renamed))
    loose = pa.schema([f.with_nullable(True) for f in TRANSACTION_SCHEMA])
    nulls = pa.table({f.name: pa.nulls(1, f.type) for f in loose}, schema=loose)
    with pytest.raises(CodecError):
        decode_item(head + arrow_stream(nulls))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_damaged_bytes_decode_to_an_item_or_a_codec_error(data: st.DataObject) -> None:
    """Whatever the damage (flipped bytes, a cut), nothing but CodecError escapes."""
    blob = bytearray(encode_item(small_item()))
    for _ in range(data.draw(st.integers(1, 4))):
        blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(blob)))
    try:
        decoded = decode_item(bytes(blob[:cut]))
    except CodecError:
        return
    assert isinstance(decoded, ItemData)


@settings(max_examples=100, deadline=None)
@given(blob=st.binary(max_size=200))
def test_random_bytes_are_a_codec_error(blob: bytes) -> None:
    for decode in (decode_item, decode_report, decode_sync_state):
        with pytest.raises(CodecError):
            decode(blob)


def imported_modules(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_shared_cache_modules_never_use_pickle() -> None:
    """A value from Redis is data: a tampered cache must not become code execution."""
    unpicklers = {"pickle", "cloudpickle", "dill", "marshal", "shelve", "joblib"}
    for module in ("codec", "shared_keys", "shared_store"):
        source = (ROOT / f"services/runtime/{module}.py").read_text()
        assert not imported_modules(source) & unpicklers, module


# --- Fetch time ------------------------------------------------------------------------------


def test_a_stamped_value_keeps_when_it_was_fetched() -> None:
    fetched_at = datetime(2026, 11, 30, 14, 5, 7, 123456, tzinfo=UTC)
    blob = encode_report(demo_credit_report(TODAY))
    assert unstamped(stamped(fetched_at, blob)) == (fetched_at, blob)
    assert decode_report(unstamped(stamped(fetched_at, blob))[1]) == demo_credit_report(TODAY)


@pytest.mark.parametrize(
    "blob", [b"", b"no newline", b"not a time\nvalue", b"2026-11-30T14:05:07\nvalue", b"x" * 99]
)
def test_a_value_without_a_readable_fetch_time_is_refused(blob: bytes) -> None:
    with pytest.raises(CodecError):
        unstamped(blob)


def test_a_fetch_time_without_a_zone_is_not_written() -> None:
    with pytest.raises(CodecError):
        stamped(datetime(2026, 11, 30, 14, 5), b"value")  # no time zone: the point
