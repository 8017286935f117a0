"""The cards page on demo data in AppTest: the table, overall figures, chart, paydown plan and
payoff order against an independent derivation from the raw demo bodies."""

from __future__ import annotations

import copy
import csv
import io
import re
from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from integrations.demo.plaid import DemoPlaidItem, plaid_demo_items
from services.views.export import to_csv_bytes
from tests.support import demo_expectations as expect
from tests.support import demo_ledger as ledger
from tests.support.apps import app_on_page, app_test
from tests.support.clock import TODAY
from tests.support.plaid_double import PlaidDouble


def money(amount: float) -> str:
    return f"-${abs(amount):,.2f}" if round(amount, 2) < 0 else f"${amount:,.2f}"


def open_cards() -> AppTest:
    at = app_on_page("pages/cards.py")
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Something went wrong" in e.value]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_every_card_with_its_numbers_from_the_demo_bodies(
    downloads: dict[str, pd.DataFrame],
) -> None:
    today = TODAY
    at = open_cards()
    table = at.dataframe[0].value.set_index("mask")
    liabilities = {li["account_id"]: li for li in expect.raw_liabilities(today)}
    assert len(table) == len(expect.raw_cards(today)) == 3
    for card in expect.raw_cards(today):
        row = table.loc[card["mask"]]
        balances = card["balances"]
        li = liabilities[card["account_id"]]
        assert row["card"] == card["name"]
        assert row["balance"] == balances["current"]
        assert _same(row["limit"], balances["limit"])
        assert _same(row["available"], balances["available"])
        if balances["limit"]:
            assert row["utilization"] == pytest.approx(
                max(balances["current"], 0) / balances["limit"]
            )
        else:
            assert pd.isna(row["utilization"])  # unknown, not zero
            assert row["band"] == "Unknown"
        assert row["statement_balance"] == li["last_statement_balance"]
        assert row["minimum_payment"] == li["minimum_payment_amount"]
        due = date.fromisoformat(li["next_payment_due_date"])
        assert row["due_date"] == due
        assert row["days_left"] == (due - today).days
        assert bool(row["overdue"]) == li["is_overdue"]
        assert row["status"] == _status(li)
        assert row["last_payment_amount"] == li["last_payment_amount"]
        assert row["last_payment_date"] == date.fromisoformat(li["last_payment_date"])
        aprs = {a["apr_type"]: a["apr_percentage"] for a in li["aprs"]}
        for apr_type in ("purchase_apr", "cash_apr", "balance_transfer_apr", "penalty_apr"):
            assert _same(row[apr_type], aprs.get(apr_type))

    exported = list(csv.DictReader(io.StringIO(to_csv_bytes(downloads["cards_csv"]).decode())))
    assert sorted(r["mask"] for r in exported) == sorted(table.index)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["due_date"]) for r in exported)
    assert "account_id" not in exported[0]  # the table's columns, not internal ids


def _same(shown: object, raw: float | None) -> bool:
    return pd.isna(shown) if raw is None else shown == raw


def _status(li: dict) -> str:  # type: ignore[type-arg]
    """A demo card's standing from its raw liability (every demo due date is on or after
    today unless the issuer calls it overdue)."""
    if li["is_overdue"]:
        return "Overdue"
    statement = date.fromisoformat(li["last_statement_issue_date"])
    paid_after = date.fromisoformat(li["last_payment_date"]) >= statement
    paid = paid_after and li["last_payment_amount"] >= li["minimum_payment_amount"]
    return "Paid this cycle" if paid else "Payment due"


def _with_due_dates_passed(item: DemoPlaidItem, due: dict[str, date]) -> DemoPlaidItem:
    """``item`` whose cards in ``due`` have that due date, not called overdue."""
    body = copy.deepcopy(item.liabilities_get)
    assert body is not None
    for li in body["liabilities"]["credit"] or []:
        if li["account_id"] in due:
            li.update(next_payment_due_date=due[li["account_id"]].isoformat(), is_overdue=False)
    return replace(item, liabilities_get=body)


def test_a_due_date_passed_the_issuer_does_not_call_overdue_reads_the_same_everywhere(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Everyday Rewards ••4821: due Nov 27 (three days ago), not called overdue, its last
    # payment (Nov 1) before its Nov 9 statement: Bills ahead counts its 5,537.78 statement
    # today. Juniper Cash Back ••0374: due Nov 29, not overdue, 701.42 paid Nov 28 after its
    # Nov 26 statement (at least the 25.00 minimum): it looks paid. Voyager ••7710 stays
    # overdue, as its issuer says.
    rewards, juniper = (
        "35qOT8o3YeniI5orsToUYRfET8BNrLmsl3oY5",
        "eYW56HpmK4OlgSMpVX9FoFbbhiKB3xbhkIgrb",
    )
    due = {rewards: TODAY - timedelta(days=3), juniper: TODAY - timedelta(days=1)}
    for item in plaid_demo_items(TODAY):
        plaid_env.add_item(item.access_token, _with_due_dates_passed(item, due))
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(plaid_env.demo_tokens()))
    words = "due date passed; waiting for the issuer's update"

    at = app_test().run()
    assert not at.exception, [e.value for e in at.exception]
    # As a person reads them: without Markdown escapes and the word joiners after colons.
    infos = [re.sub(r"\\(.)", r"\1", i.value).replace("\u2060", "") for i in at.info]
    assert any(
        f"Everyday Rewards Card ••4821: {words}" in i
        and "No payment of at least the minimum since the statement of Nov 09" in i
        for i in infos
    ), infos
    assert any(
        f"Juniper Cash Back ••0374: {words}" in i
        and "A $701.42 payment on Nov 28 is reported, so it looks paid." in i
        for i in infos
    ), infos
    errors = [e.value for e in at.error]
    overdue = [e for e in errors if "payment is overdue" in e]
    assert len(overdue) == 1
    assert "Voyager Charge Card" in overdue[0]

    at.switch_page("pages/cards.py").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value.set_index("mask")
    assert dict(table["status"]) == {
        "4821": words.capitalize(),
        "0374": f"{words.capitalize()} (looks paid)",
        "7710": "Overdue",
    }
    assert [m for m in table.index if table.loc[m, "overdue"]] == ["7710"]

    at.switch_page("pages/bills.py").run()
    assert not at.exception, [e.value for e in at.exception]
    listed = next(d.value for d in at.dataframe if "note" in d.value.columns)
    cards = listed[listed["kind"] == "Card payment"]
    got = {
        account[-4:]: (d.date(), amount, counted)
        for account, d, amount, counted in cards[
            ["account", "date", "amount", "counted_in_cash"]
        ].values
    }
    assert got == {"4821": (TODAY, 5_537.78, True), "7710": (TODAY, 943.78, True)}
    note = cards[cards["account"].str.endswith("4821")]["note"].iloc[0]
    assert note.startswith(f"due on 2026-11-27: {words}")


def test_overall_utilization_and_the_bands_explained() -> None:
    owed, limit, ratio = expect.overall_utilization(TODAY)
    at = open_cards()
    assert metric(at, "Overall utilization (USD)") == f"{ratio * 100:.1f}%"
    assert metric(at, "Owed (USD)") == money(owed)
    assert metric(at, "Total limit (USD)") == money(limit)
    assert any(":red[**Very high**]" in m.value for m in at.markdown)  # 66%: very high
    legend = next(c.value for c in at.caption if "Excellent" in c.value)
    for words in ("under 10%", "10%–30%", "30%–50%", "50% or more"):
        assert words in legend
    assert any("without a reported limit" in c.value for c in at.caption)


def test_utilization_chart_has_a_bar_per_card_with_a_limit() -> None:
    today = TODAY
    at = open_cards()
    (chart,) = at.get("vega_lite_chart")
    bars = next(
        pa.ipc.open_stream(d.data.data).read_all().to_pandas()
        for d in chart.proto.datasets
        if b"utilization" in d.data.data
    )
    expected = {
        f"{c['name']} ••{c['mask']}": max(c["balances"]["current"], 0) / c["balances"]["limit"]
        for c in expect.raw_cards(today)
        if c["balances"]["limit"]
    }
    assert dict(zip(bars["card"], bars["utilization"], strict=True)) == pytest.approx(expected)


@pytest.mark.parametrize("target", [9, 29, 1])
def test_paydown_plan_says_how_much_on_which_card_by_when(
    downloads: dict[str, pd.DataFrame], target: int
) -> None:
    today = TODAY
    at = open_cards()
    if target != 9:
        at.select_slider(key="cards_target").set_value(target / 100).run()
    plan = at.dataframe[1].value.set_index("mask")
    expected = {p.mask: p for p in ledger.card_plans(today, target)}
    for mask, want in expected.items():
        row = plan.loc[mask]
        if want.payment_cents is None:
            assert pd.isna(row["payment"])  # no limit: no target to pay down to
        else:
            assert round(row["payment"] * 100) == want.payment_cents
        assert row["pay_by"] == want.pay_by
    total = sum(p.payment_cents or 0 for p in expected.values())
    assert metric(at, "Pay in total (USD)") == money(total / 100)
    assert downloads["cards_plan_csv"]["mask"].tolist() == plan.index.tolist()


def test_payoff_order_by_apr_with_monthly_interest() -> None:
    today = TODAY
    at = open_cards()
    order = at.dataframe[2].value
    owing = [p for p in ledger.card_plans(today, 9) if p.owed_cents > 0]
    owing.sort(key=lambda p: (-(p.purchase_apr or 0.0), -p.owed_cents))
    assert order["mask"].tolist() == [p.mask for p in owing]
    interest = [p.owed_cents / 100 * (p.purchase_apr or 0.0) / 100 / 12 for p in owing]
    assert order["monthly_interest"].tolist() == pytest.approx(interest)
    assert metric(at, "Interest a month if carried (USD)") == money(sum(interest))


def test_institution_filter_narrows_the_table_and_its_csv(
    downloads: dict[str, pd.DataFrame],
) -> None:
    at = open_cards()
    at.multiselect(key="cards_inst").set_value(["Juniper Card Services"]).run()
    assert at.dataframe[0].value["mask"].tolist() == ["0374"]
    assert downloads["cards_csv"]["mask"].tolist() == ["0374"]
