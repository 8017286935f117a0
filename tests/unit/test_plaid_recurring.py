"""Plaid's recurring streams (/transactions/recurring/get), through the real client against the
local Plaid double: asked only of an item billed for them, and a refusal never costs the item."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from integrations.common.retry import RetryPolicy
from integrations.plaid.client import RECURRING_REFUSED_NOTE, PlaidClient, Timeouts
from tests.support.plaid_double import RECURRING_PATH, Fault, PlaidDouble

pytestmark = pytest.mark.usefixtures("plaid_double")


def client_of(double: PlaidDouble) -> PlaidClient:
    return PlaidClient(
        host=double.url,
        client_id=PlaidDouble.CLIENT_ID,
        secret=PlaidDouble.SECRET,
        timeouts=Timeouts(connect=1.0, read=5.0),
        policy=RetryPolicy(sleep=lambda _: None, base_delay=0.01, budget_seconds=30.0),
        poll_delay=0.01,
    )


@pytest.fixture
def bank(plaid_double: PlaidDouble) -> str:
    """The demo's bank (checking with the paycheck, two cards), billed for recurring streams."""
    token = plaid_double.demo_tokens()[0]
    plaid_double.bill_recurring(token)
    return token


def test_an_item_billed_for_recurring_gets_plaids_streams(
    plaid_double: PlaidDouble, bank: str
) -> None:
    data = client_of(plaid_double).fetch_item(bank)
    assert data.recurring_from_plaid
    assert data.notes == ()
    assert len(plaid_double.calls(RECURRING_PATH)) == 1
    payroll = next(s for s in data.recurring if s.description == "NORTHWIND ANALYT PAYROLL PPD")
    # The demo pays on the 15th and the last day of the month (a weekday before, at a
    # weekend): TODAY, 2026-11-30, is a Monday and a payday.
    assert payroll.direction == "inflow"
    assert payroll.frequency == "SEMI_MONTHLY"
    assert payroll.last_date == date(2026, 11, 30)
    assert payroll.last_amount == -3326.84  # Plaid's sign: money in is negative
    assert payroll.currency == "USD"
    assert payroll.category == "INCOME"
    rent = next(s for s in data.recurring if s.description == "CEDAR COURT APTS ACH PMT")
    assert (rent.direction, rent.frequency, rent.last_amount) == ("outflow", "MONTHLY", 2150.0)


def test_a_delta_fetch_asks_for_the_streams_again(plaid_double: PlaidDouble, bank: str) -> None:
    client = client_of(plaid_double)
    _, kept = client.fetch_item_since(bank, None)
    data, _ = client.fetch_item_since(bank, kept)
    assert data.recurring_from_plaid
    assert data.recurring
    assert len(plaid_double.calls(RECURRING_PATH)) == 2


def test_an_item_not_billed_for_recurring_is_never_asked(plaid_double: PlaidDouble) -> None:
    """The demo items list the product as available only: asking would start billing it."""
    client = client_of(plaid_double)
    for token in plaid_double.demo_tokens():
        data = client.fetch_item(token)
        assert not data.recurring_from_plaid
        assert data.recurring == ()
    assert plaid_double.calls(RECURRING_PATH) == []


@pytest.mark.parametrize(
    "fault",
    [
        Fault("plaid_error", error_type="ITEM_ERROR", error_code="PRODUCTS_NOT_SUPPORTED"),
        Fault("plaid_error", error_type="ITEM_ERROR", error_code="PRODUCT_NOT_READY"),
        Fault("plaid_error", error_type="ITEM_ERROR", error_code="ADDITIONAL_CONSENT_REQUIRED"),
        Fault("http_status", status=500),
        Fault("malformed_json"),
        Fault("missing_field", missing="inflow_streams"),
    ],
    ids=["not-supported", "not-ready", "consent", "server-error", "malformed", "missing"],
)
def test_a_refusal_keeps_the_item_and_falls_back_with_a_note(
    plaid_double: PlaidDouble, bank: str, fault: Fault, caplog: pytest.LogCaptureFixture
) -> None:
    plaid_double.inject(RECURRING_PATH, fault)
    with caplog.at_level(logging.INFO, logger="credit_monitor.plaid"):
        data = client_of(plaid_double).fetch_item(bank)
    assert data.transactions
    assert data.accounts
    assert not data.recurring_from_plaid
    assert data.recurring == ()
    assert data.notes.count(RECURRING_REFUSED_NOTE) == 1
    # Tried once: the app's own detection stands in, and the next fetch asks again.
    assert len(plaid_double.calls(RECURRING_PATH)) == 1
    assert any("recurring/get refused" in r.getMessage() for r in caplog.records)


def test_the_next_fetch_after_a_refusal_gets_the_streams(
    plaid_double: PlaidDouble, bank: str
) -> None:
    plaid_double.inject(
        RECURRING_PATH,
        Fault("plaid_error", error_type="ITEM_ERROR", error_code="PRODUCT_NOT_READY"),
    )
    client = client_of(plaid_double)
    assert not client.fetch_item(bank).recurring_from_plaid
    again = client.fetch_item(bank)
    assert again.recurring_from_plaid
    assert again.notes == ()


def _odd_streams(body: dict) -> dict:
    """Plaid's answer with a null category on the payroll (plaid-python's model refuses it)
    and a rent stream without its account_id (which nothing can be shown on)."""
    for stream in body["inflow_streams"]:
        if stream["description"] == "NORTHWIND ANALYT PAYROLL PPD":
            stream["personal_finance_category"] = None
    for stream in body["outflow_streams"]:
        if stream["description"] == "CEDAR COURT APTS ACH PMT":
            stream["account_id"] = None
    return body


def test_an_odd_stream_is_left_out_not_the_whole_list(
    plaid_double: PlaidDouble, bank: str, caplog: pytest.LogCaptureFixture
) -> None:
    whole = client_of(plaid_double).fetch_item(bank).recurring
    plaid_double.edit_recurring(bank, _odd_streams)
    with caplog.at_level(logging.INFO, logger="credit_monitor.plaid"):
        data = client_of(plaid_double).fetch_item(bank)
    assert data.recurring_from_plaid
    assert RECURRING_REFUSED_NOTE not in data.notes
    descriptions = [s.description for s in data.recurring]
    assert "CEDAR COURT APTS ACH PMT" not in descriptions
    assert len(data.recurring) == len(whole) - 1
    payroll = next(s for s in data.recurring if s.description == "NORTHWIND ANALYT PAYROLL PPD")
    assert (payroll.category, payroll.last_amount) == (None, -3326.84)
    assert any("1 streams could not be read" in r.getMessage() for r in caplog.records)
