"""Recurring payments and subscriptions on small frames whose streams are worked out by hand."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from integrations.demo.parsed import demo_item_data
from integrations.models import RecurringStream
from services.analytics.history import snapshot_analyses
from services.analytics.money import CARD_PAYMENT
from services.analytics.recurring import detect_recurring, yearly_cost_by_currency
from services.analytics.snapshot import FinancialSnapshot, build_snapshot
from services.views.bills_figures import bills_figures
from tests.support.clock import TODAY as DEMO_TODAY
from tests.support.frames import frame, tx

TODAY = date(2026, 3, 10)


def charges(
    merchant: str,
    days: list[date],
    amounts: list[float] | float,
    category: str = "ENTERTAINMENT",
    **kwargs: object,
) -> list[dict[str, object]]:
    amounts = amounts if isinstance(amounts, list) else [amounts] * len(days)
    return [
        tx(f"{merchant}-{i}", d.isoformat(), a, category, merchant=merchant, **kwargs)  # type: ignore[arg-type]
        for i, (d, a) in enumerate(zip(days, amounts, strict=True))
    ]


def monthly(first: date, count: int, day_of_month: int | None = None) -> list[date]:
    days = []
    year, month = first.year, first.month
    for _ in range(count):
        days.append(date(year, month, day_of_month or first.day))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def by_merchant(streams: pd.DataFrame) -> dict[str, pd.Series]:
    return {row["merchant"]: row for _, row in streams.iterrows()}


def test_monthly_subscription_with_its_yearly_cost_and_next_date() -> None:
    days = monthly(date(2025, 10, 12), 6)  # Oct 12 to Mar 12
    days[-1] = date(2026, 3, 9)  # the last one came early: a 25-day gap, one in five
    streams = detect_recurring(frame(*charges("Tunewave", days, 10.99)), TODAY)
    (stream,) = streams.itertuples(index=False)
    assert stream.cadence == "Monthly"
    assert stream.charges == 6
    assert stream.typical_amount == 10.99
    assert stream.yearly_cost == pytest.approx(131.88)
    assert stream.last_date == pd.Timestamp("2026-03-09")
    assert stream.next_date == pd.Timestamp("2026-04-09")
    assert not stream.price_rise
    assert not stream.stopped


@pytest.mark.parametrize(
    ("gap", "count", "cadence", "per_year"),
    [(7, 6, "Weekly", 52.18), (14, 5, "Every two weeks", 26.09)],
)
def test_weekly_and_fortnightly_cadences(
    gap: int, count: int, cadence: str, per_year: float
) -> None:
    days = [TODAY - timedelta(days=gap * i) for i in range(count)]
    (stream,) = detect_recurring(frame(*charges("Gym", days, 20.0)), TODAY).itertuples(index=False)
    assert stream.cadence == cadence
    assert stream.yearly_cost == pytest.approx(20.0 * per_year)
    assert stream.next_date == pd.Timestamp(TODAY + timedelta(days=gap))


def test_yearly_renewal_needs_only_two_charges() -> None:
    days = [date(2024, 7, 26), date(2025, 7, 26)]
    (stream,) = detect_recurring(frame(*charges("Harbor Times", days, 99.0)), TODAY).itertuples(
        index=False
    )
    assert (stream.cadence, stream.yearly_cost) == ("Yearly", 99.0)
    assert stream.next_date == pd.Timestamp("2026-07-26")


def test_price_rise_is_flagged_with_the_old_price_and_the_date() -> None:
    days = monthly(date(2025, 5, 12), 10)
    amounts = [15.49] * 6 + [17.99] * 4  # the rise arrives with the November charge
    (stream,) = detect_recurring(frame(*charges("Streamly", days, amounts)), TODAY).itertuples(
        index=False
    )
    assert stream.price_rise
    assert (stream.previous_amount, stream.last_amount) == (15.49, 17.99)
    assert stream.price_rise_since == pd.Timestamp("2025-11-12")
    assert stream.typical_amount == 17.99  # what it costs now
    assert stream.yearly_cost == pytest.approx(17.99 * 12)


def test_a_price_cut_is_not_a_rise() -> None:
    days = monthly(date(2025, 9, 1), 6)
    streams = detect_recurring(frame(*charges("Tunewave", days, [12.0] * 3 + [10.0] * 3)), TODAY)
    assert not streams["price_rise"].iloc[0]


def test_a_stream_that_stopped_is_flagged_and_left_out_of_the_yearly_total() -> None:
    stopped = charges("Oldflix", monthly(date(2025, 3, 3), 6), 9.99)  # last on Aug 3, 2025
    running = charges("Tunewave", monthly(date(2025, 10, 3), 6), 10.99)
    streams = detect_recurring(frame(*stopped, *running), TODAY)
    flags = {s["merchant"]: bool(s["stopped"]) for _, s in streams.iterrows()}
    assert flags == {"Oldflix": True, "Tunewave": False}
    assert list(streams["merchant"]) == ["Tunewave", "Oldflix"]  # running ones first
    assert yearly_cost_by_currency(streams) == {"USD": pytest.approx(131.88)}


def test_a_monthly_bill_whose_amount_moves_is_one_stream_at_its_median() -> None:
    amounts = [178.0, 160.0, 120.0, 80.0, 60.0, 58.0, 62.0, 90.0]  # winter to summer and back
    days = monthly(date(2025, 7, 18), 8)
    (stream,) = detect_recurring(
        frame(*charges("Power", days, amounts, "RENT_AND_UTILITIES")), TODAY
    ).itertuples(index=False)
    assert stream.amount_varies
    assert not stream.price_rise
    assert stream.typical_amount == pytest.approx(85.0)  # median of the eight
    assert stream.charges == 8


def test_subscription_is_found_among_other_purchases_at_the_same_merchant() -> None:
    membership = charges("Marketly", monthly(date(2025, 9, 5), 6), 14.99)
    # Irregular shopping at much larger amounts: another amount band, not a pattern.
    shopping_days = [date(2025, 9, 9), date(2025, 9, 11), date(2025, 10, 30), date(2026, 1, 2)]
    shopping = [
        tx(f"shop-{i}", d.isoformat(), a, "GENERAL_MERCHANDISE", merchant="Marketly")
        for i, (d, a) in enumerate(zip(shopping_days, [45.0, 80.0, 120.0, 62.0], strict=True))
    ]
    streams = detect_recurring(frame(*membership, *shopping), TODAY)
    assert len(streams) == 1
    assert (streams["typical_amount"].iloc[0], streams["charges"].iloc[0]) == (14.99, 6)


def test_irregular_spending_is_not_recurring() -> None:
    days = [TODAY - timedelta(days=d) for d in (1, 2, 4, 9, 10, 25, 26, 27, 60, 61)]
    assert detect_recurring(frame(*charges("Bluebird", days, 4.95)), TODAY).empty


def test_too_few_charges_are_not_yet_a_pattern() -> None:
    days = monthly(date(2026, 1, 5), 2)
    assert detect_recurring(frame(*charges("Newflix", days, 9.99)), TODAY).empty


def test_two_plans_at_one_merchant_are_two_monthly_streams() -> None:
    # Billed on the 5th and the 20th: together they look fortnightly, apart they are monthly.
    basic = charges("Appstore", monthly(date(2025, 9, 5), 6), 0.99)
    family = [
        {**c, "transaction_id": f"family-{i}"}
        for i, c in enumerate(charges("Appstore", monthly(date(2025, 9, 20), 6), 16.99))
    ]
    streams = detect_recurring(frame(*basic, *family), TODAY)
    assert sorted(zip(streams["cadence"], streams["typical_amount"], strict=True)) == [
        ("Monthly", 0.99),
        ("Monthly", 16.99),
    ]


def test_a_bill_that_moves_stays_one_stream_even_when_its_amounts_fall_in_bands() -> None:
    # 10 and 13 are 30% apart, but the merchant is paid monthly as a whole.
    days = monthly(date(2025, 11, 1), 4)
    water = charges("Water", days, [10.0, 13.0, 10.0, 13.0], "RENT_AND_UTILITIES")
    streams = detect_recurring(frame(*water), TODAY)
    assert list(streams["cadence"]) == ["Monthly"]
    assert bool(streams["amount_varies"].iloc[0])


def test_income_transfers_and_card_payments_are_not_subscriptions() -> None:
    days = monthly(date(2025, 9, 15), 6)
    rows = [
        *charges("Employer", days, -3000.0, "INCOME"),
        *charges("Savings", days, 250.0, "TRANSFER_OUT"),
        *charges(
            "Card", days, 500.0, "LOAN_PAYMENTS", detailed="LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"
        ),
    ]
    assert detect_recurring(frame(*rows), TODAY).empty


def test_currencies_are_separate_streams_and_totals() -> None:
    rows = [
        *charges("Cloud", monthly(date(2025, 10, 2), 5), 2.99),
        *[
            tx(
                f"eur-{i}",
                d.isoformat(),
                3.49,
                "GENERAL_SERVICES",
                merchant="Cloud",
                currency="EUR",
            )
            for i, d in enumerate(monthly(date(2025, 10, 20), 5))
        ],
    ]
    streams = detect_recurring(frame(*rows), TODAY)
    assert sorted(streams["currency"]) == ["EUR", "USD"]
    assert yearly_cost_by_currency(streams) == {
        "EUR": pytest.approx(3.49 * 12),
        "USD": pytest.approx(2.99 * 12),
    }


def test_nothing_to_detect_in_an_empty_frame() -> None:
    empty = frame(tx("a", "2026-01-01", 1.0)).iloc[0:0]
    assert detect_recurring(empty, TODAY).empty
    assert yearly_cost_by_currency(detect_recurring(empty, TODAY)) == {}


def test_weekly_groceries_of_any_size_are_not_a_subscription() -> None:
    today = date(2026, 3, 1)
    amounts = [40.0, 220.0, 95.5, 61.2, 180.0, 75.0, 130.4, 52.0, 199.9, 88.8]
    rows = [
        tx(f"g{i}", (today - timedelta(days=7 * i)).isoformat(), amount, "FOOD_AND_DRINK",
           merchant="Fresh Market")
        for i, amount in enumerate(amounts)
    ]  # fmt: skip
    assert detect_recurring(frame(*rows), today).empty


def test_two_different_purchases_a_year_apart_are_not_yearly() -> None:
    today = date(2026, 3, 1)
    rows = [
        tx("tv", "2025-02-20", 166.0, "GENERAL_MERCHANDISE", merchant="Voltage Electronics"),
        tx("tv2", "2026-02-23", 196.0, "GENERAL_MERCHANDISE", merchant="Voltage Electronics"),
    ]
    assert detect_recurring(frame(*rows), today).empty
    same = [
        tx("y1", "2025-02-20", 99.0, "GENERAL_SERVICES", merchant="Harbor Times"),
        tx("y2", "2026-02-20", 99.0, "GENERAL_SERVICES", merchant="Harbor Times"),
    ]
    assert list(detect_recurring(frame(*same), today)["cadence"]) == ["Yearly"]


# --- Plaid's outflow streams: bills only, as ours ---------------------------------------------

CHECKING, CARD_ACCOUNT = (
    "Id0LkoUFwsqVRyvP2z6IaV3dnOaPylTaD0BlB",
    "35qOT8o3YeniI5orsToUYRfET8BNrLmsl3oY5",
)


def plaid_outflow(
    stream_id: str, account_id: str, name: str, amount: float, primary: str, detailed: str
) -> RecurringStream:
    """A monthly outflow stream as Plaid lists it on the demo's day (2026-11-30)."""
    return RecurringStream(
        stream_id=stream_id, direction="outflow", account_id=account_id, description=name,
        merchant_name=name, category=primary, category_detailed=detailed,
        first_date=date(2026, 1, 5), last_date=date(2026, 11, 5),
        predicted_next_date=date(2026, 12, 5), frequency="MONTHLY", status="MATURE",
        is_active=True, average_amount=amount, last_amount=amount, currency="USD",
        transactions=11,
    )  # fmt: skip


def demo_with_plaids_outflows() -> FinancialSnapshot:
    """The demo, every bank answered by Plaid's streams: a card's payment and a transfer to
    savings from checking, and a subscription on the card."""
    streams = (
        plaid_outflow("pay", CHECKING, "Harborline Card Payment", 1500.0, "LOAN_PAYMENTS",
                      CARD_PAYMENT),
        plaid_outflow("save", CHECKING, "Transfer to Savings", 500.0, "TRANSFER_OUT",
                      "TRANSFER_OUT_SAVINGS"),
        plaid_outflow("netflix", CARD_ACCOUNT, "Netflix", 15.49, "ENTERTAINMENT",
                      "ENTERTAINMENT_TV_AND_MOVIES"),
    )  # fmt: skip
    items = [
        dataclasses.replace(d, recurring=streams if i == 0 else (), recurring_from_plaid=True)
        for i, d in enumerate(demo_item_data(DEMO_TODAY))
    ]
    return build_snapshot(items, "plaid", datetime(2026, 11, 30, tzinfo=UTC))


def test_plaids_card_payment_and_transfer_streams_are_not_recurring_payments() -> None:
    snap = demo_with_plaids_outflows()
    known = snapshot_analyses(snap.transactions, DEMO_TODAY, snap.recurring, snap.recurring_items)
    assert list(known.streams["merchant"]) == ["Netflix"]
    # Netflix alone: 15.49 x 12 = 185.88 a year (not 1,500 and 500 a month on top: 24,185.88).
    assert known.recurring.yearly == {"USD": pytest.approx(185.88)}
    bills = bills_figures(snap, known.all_streams, DEMO_TODAY, 30).events
    assert set(bills.loc[bills["kind"] == "Bill", "label"]) == {"Netflix"}
