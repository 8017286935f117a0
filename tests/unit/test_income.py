"""Income and its streams on small frames worked out by hand: paychecks twice a month and every
two weeks, quarterly and yearly cadences, what is not income, Plaid's streams or ours per item,
and never a sum across currencies."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from integrations.models import RecurringStream
from services.analytics.bills_ahead import recurring_events
from services.analytics.income import income_by_month, income_summary, next_paycheck
from services.analytics.recurring import (
    detect_income,
    detect_recurring,
    plaid_streams_frame,
    recurring_streams,
)
from tests.support.frames import frame, tx

TODAY = date(2026, 3, 10)  # a Tuesday


def paid(
    payer: str, days: list[str], amount: float, detailed: str = "INCOME_WAGES", **kwargs: object
) -> list[dict[str, object]]:
    """Money received (Plaid's negative amounts) under INCOME."""
    return [
        tx(f"{payer}-{i}", d, -amount, "INCOME", merchant=payer, detailed=detailed, **kwargs)  # type: ignore[arg-type]
        for i, d in enumerate(days)
    ]


# The 1st and the 15th, a weekend day moved to the Monday after (worked out on a calendar):
# Nov 1 and 15 2025 are Saturdays, Feb 1 and 15 and Mar 1 2026 Sundays.
FIRST_AND_FIFTEENTH = [
    "2025-10-01", "2025-10-15", "2025-11-03", "2025-11-17", "2025-12-01", "2025-12-15",
    "2026-01-01", "2026-01-15", "2026-02-02", "2026-02-16", "2026-03-02",
]  # fmt: skip


def test_a_paycheck_on_the_1st_and_15th_is_twice_a_month_and_moves_off_the_weekend() -> None:
    (stream,) = detect_income(frame(*paid("Acme Payroll", FIRST_AND_FIFTEENTH, 2000.0)), TODAY)[
        ["merchant", "cadence", "charges", "typical_amount", "yearly_cost", "last_date",
         "next_date", "stopped"]
    ].itertuples(index=False)  # fmt: skip
    assert stream.merchant == "Acme Payroll"
    assert stream.cadence == "Twice a month"
    assert stream.charges == 11
    assert stream.typical_amount == 2000.0  # shown positive: money received
    assert stream.yearly_cost == pytest.approx(48_000.0)  # 24 paychecks a year
    assert stream.last_date == pd.Timestamp("2026-03-02")
    # March 15 2026 is a Sunday; this payer moves weekend paydays to the Monday after.
    assert stream.next_date == pd.Timestamp("2026-03-16")
    assert not stream.stopped


def test_a_paycheck_on_the_15th_and_last_day_moves_to_the_friday_before() -> None:
    # Feb 28 2026 is a Saturday (paid Fri 27th), Nov 15 2025 a Saturday (paid Fri 14th),
    # Nov 30 2025 a Sunday (paid Fri 28th).
    days = [
        "2025-10-15", "2025-10-31", "2025-11-14", "2025-11-28", "2025-12-15", "2025-12-31",
        "2026-01-15", "2026-01-30", "2026-02-13", "2026-02-27",
    ]  # fmt: skip
    (stream,) = detect_income(frame(*paid("Northwind", days, 3100.0)), TODAY).itertuples(
        index=False
    )
    assert stream.cadence == "Twice a month"
    # Mar 15 2026 is a Sunday: paid the Friday before, the 13th.
    assert stream.next_date == pd.Timestamp("2026-03-13")


def test_a_biweekly_paycheck_keeps_its_weekday() -> None:
    fridays = [(date(2025, 11, 7) + timedelta(days=14 * i)).isoformat() for i in range(9)]
    assert fridays[-1] == "2026-02-27"
    (stream,) = detect_income(frame(*paid("Globex", fridays, 1500.0)), TODAY).itertuples(
        index=False
    )
    assert stream.cadence == "Every two weeks"
    assert stream.next_date == pd.Timestamp("2026-03-13")
    assert stream.yearly_cost == pytest.approx(1500.0 * 26.09)


def test_a_quarterly_bill_comes_every_three_months() -> None:
    days = ["2025-03-15", "2025-06-15", "2025-09-15", "2025-12-15"]
    rows = [
        tx(f"w-{i}", d, 90.0, "RENT_AND_UTILITIES", merchant="Metro Water")
        for i, d in enumerate(days)
    ]
    (stream,) = detect_recurring(frame(*rows), TODAY).itertuples(index=False)
    assert stream.cadence == "Quarterly"
    assert stream.next_date == pd.Timestamp("2026-03-15")
    assert stream.yearly_cost == pytest.approx(360.0)


def test_an_annual_dividend_is_yearly_income() -> None:
    rows = paid("Harbor Fund", ["2024-12-19", "2025-12-19"], 500.0, "INCOME_DIVIDENDS")
    (stream,) = detect_income(frame(*rows), TODAY).itertuples(index=False)
    assert (stream.cadence, stream.typical_amount) == ("Yearly", 500.0)
    assert stream.next_date == pd.Timestamp("2026-12-19")


def test_a_yearly_tax_refund_is_income_but_not_a_stream() -> None:
    rows = paid("IRS", ["2024-03-06", "2025-03-06"], 836.21, "INCOME_TAX_REFUND")
    assert detect_income(frame(*rows), TODAY).empty
    months = income_by_month(frame(*rows))
    assert months["income"].tolist() == [836.21, 836.21]


def test_refunds_transfers_from_savings_and_card_payments_are_not_income() -> None:
    monthly = ["2025-12-16", "2026-01-16", "2026-02-16"]
    rows = [
        # A refund: money back at a shop.
        tx("refund", "2026-02-03", -45.0, "GENERAL_MERCHANDISE", merchant="Shop"),
        # Money moved in from the person's own savings, every month.
        *[
            tx(f"sav-{i}", d, -250.0, "TRANSFER_IN", merchant="Savings",
               detailed="TRANSFER_IN_SAVINGS")
            for i, d in enumerate(monthly)
        ],
        # A card payment credited on the card account.
        tx("pay", "2026-02-20", -400.0, "LOAN_PAYMENTS",
           detailed="LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"),
        *paid("Acme Payroll", ["2026-02-13"], 2000.0),
    ]  # fmt: skip
    months = income_by_month(frame(*rows))
    assert months.to_dict("records") == [
        {"month": pd.Timestamp("2026-02-01"), "currency": "USD", "income": 2000.0, "payments": 1}
    ]
    assert detect_income(frame(*rows), TODAY).empty


def test_income_in_two_currencies_is_never_summed() -> None:
    rows = [
        *paid("Acme Payroll", ["2026-02-27", "2026-03-06"], 2000.0),
        *paid("Gamma GmbH", ["2026-03-02"], 1200.0, currency="EUR"),
    ]
    months = income_by_month(frame(*rows))
    assert months.to_dict("records") == [
        {"month": pd.Timestamp("2026-03-01"), "currency": "EUR", "income": 1200.0, "payments": 1},
        {"month": pd.Timestamp("2026-03-01"), "currency": "USD", "income": 2000.0, "payments": 1},
        {"month": pd.Timestamp("2026-02-01"), "currency": "USD", "income": 2000.0, "payments": 1},
    ]
    summary = income_summary(frame(*rows), detect_income(frame(*rows), TODAY).assign(
        direction="inflow", source="detected"), TODAY)  # fmt: skip
    # The last 30 days, Feb 9 to Mar 10: both USD paychecks; March so far: one.
    assert summary.recent == {"EUR": 1200.0, "USD": 4000.0}
    assert summary.this_month == {"EUR": 1200.0, "USD": 2000.0}


def stream(item_account: str, **fields: object) -> RecurringStream:
    values: dict[str, object] = {
        "stream_id": "s-1", "direction": "inflow", "account_id": item_account,
        "description": "ACME PAYROLL PPD", "merchant_name": "Acme", "category": "INCOME",
        "category_detailed": "INCOME_WAGES", "first_date": date(2025, 10, 1),
        "last_date": date(2026, 3, 2), "predicted_next_date": date(2026, 3, 16),
        "frequency": "SEMI_MONTHLY", "status": "MATURE", "is_active": True,
        "average_amount": -1990.0, "last_amount": -2000.0, "currency": "USD", "transactions": 11,
    }  # fmt: skip
    values.update(fields)
    return RecurringStream(**values)  # type: ignore[arg-type]


def test_plaids_streams_are_used_for_their_item_and_ours_for_the_others() -> None:
    plaid_item = [
        {**row, "item_id": "item-plaid", "account_id": "acc-plaid", "account": "Plaid Checking"}
        for row in paid("Acme", FIRST_AND_FIFTEENTH, 2000.0)
    ]
    fridays = [(date(2025, 11, 7) + timedelta(days=14 * i)).isoformat() for i in range(9)]
    other_item = [
        {**row, "item_id": "item-other", "account_id": "acc-other", "account": "Other Checking"}
        for row in paid("Globex", fridays, 1500.0)
    ]
    streams = recurring_streams(
        frame(*plaid_item, *other_item), TODAY, (stream("acc-plaid"),), {"item-plaid"}
    )
    table = streams.set_index("merchant")
    assert sorted(table.index) == ["Acme", "Globex"]  # Acme once: Plaid's, not also ours
    acme, globex = table.loc["Acme"], table.loc["Globex"]
    assert (acme["source"], acme["direction"], acme["cadence"]) == (
        "plaid",
        "inflow",
        "Twice a month",
    )
    assert acme["typical_amount"] == 1990.0  # Plaid's average, shown positive
    assert acme["last_amount"] == 2000.0
    assert acme["next_date"] == pd.Timestamp("2026-03-16")
    assert acme["account"] == "Plaid Checking"
    assert (globex["source"], globex["cadence"]) == ("detected", "Every two weeks")


def test_a_plaid_stream_that_ended_is_stopped_and_one_without_a_frequency_is_irregular() -> None:
    table = plaid_streams_frame(
        (
            stream("a", stream_id="1", status="TOMBSTONED", is_active=False),
            stream("a", stream_id="2", frequency="UNKNOWN", merchant_name=None,
                   predicted_next_date=None),
        ),
        {"a": "Checking"},
    )  # fmt: skip
    assert table["stopped"].tolist() == [True, False]
    assert table["cadence"].tolist() == ["Twice a month", "Irregular"]
    assert table.loc[1, "merchant"] == "ACME PAYROLL PPD"  # no merchant: its description
    assert pd.isna(table.loc[1, "next_date"])


def test_the_next_paycheck_is_the_soonest_leaving_out_interest() -> None:
    streams = plaid_streams_frame(
        (
            stream("a", stream_id="pay", predicted_next_date=date(2026, 3, 16)),
            stream("a", stream_id="int", merchant_name="Interest", average_amount=-0.4,
                   last_amount=-0.4, frequency="MONTHLY", predicted_next_date=date(2026, 3, 11)),
            stream("a", stream_id="old", merchant_name="Old Job", is_active=False,
                   predicted_next_date=date(2026, 3, 12)),
        ),
        {},
    )  # fmt: skip
    paycheck = next_paycheck(streams, TODAY)
    assert paycheck is not None
    assert (paycheck.payer, paycheck.expected, paycheck.amount, paycheck.currency) == (
        "Acme",
        date(2026, 3, 16),
        1990.0,
        "USD",
    )
    assert next_paycheck(streams.iloc[0:0], TODAY) is None


def test_plaids_paydays_on_the_1st_and_15th_are_projected_on_those_days() -> None:
    """Plaid's dates: Wed Oct 1, Mon Mar 2 (Sunday the 1st, paid the Monday after) and next
    Mon Mar 16 (Sunday the 15th): the 1st and the 15th, a weekend payday on the Monday."""
    streams = plaid_streams_frame((stream("a"),), {"a": "Checking"})
    (row,) = streams.to_dict("records")
    assert (row["day_one"], row["day_two"], row["moves_early"]) == (1, 15, False)
    days = [e.day for e in recurring_events(streams, TODAY, 60)]
    # Mar 10 + 60 days is May 9. Apr 1 and 15 are Wednesdays, May 1 a Friday (not Apr 16).
    assert days == [date(2026, 3, 16), date(2026, 4, 1), date(2026, 4, 15), date(2026, 5, 1)]
