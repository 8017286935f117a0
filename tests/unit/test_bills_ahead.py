"""Bills ahead: expected events from card due dates and recurring streams, the cash they leave
per currency and the first day it goes below zero, against figures worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from integrations.models import Account, CardLiability, LoanLiability
from services.analytics.bills_ahead import (
    ExpectedEvent,
    card_due_events,
    events_frame,
    loan_due_events,
    occurrences,
    project_cash,
    recurring_events,
    shortfalls,
    unprojected_currencies,
    without_linked_loan_streams,
)
from services.analytics.recurring import detect_income
from services.analytics.snapshot import FinancialSnapshot
from services.analytics.worth import spending_cash_by_currency
from tests.support.frames import frame, tx

TODAY = date(2026, 11, 30)
CHECKING = "Checking ••1111"
CARD = "Rewards ••4821"


def stream(**values: Any) -> dict[str, Any]:
    row = {
        "merchant": "Cedar Court",
        "account": CHECKING,
        "currency": "USD",
        "cadence": "Monthly",
        "typical_amount": 100.0,
        "next_date": pd.Timestamp(TODAY + timedelta(days=5)),
        "stopped": False,
    }
    return row | values


def streams(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def card(account_id: str = "card-1", currency: str = "USD") -> Account:
    return Account(
        account_id=account_id,
        item_id="item",
        name="Rewards",
        official_name=None,
        mask="4821",
        type="credit",
        subtype="credit card",
        current=900.0,
        available=None,
        limit=5000.0,
        currency=currency,
    )


def snapshot_with(*pairs: tuple[Account, CardLiability]) -> FinancialSnapshot:
    return FinancialSnapshot(
        source="demo",
        fetched_at=datetime(2026, 11, 30, tzinfo=UTC),
        items=(),
        accounts=tuple(a for a, _ in pairs),
        liabilities=tuple(li for _, li in pairs),
        transactions=pd.DataFrame(),
    )


def liability(account_id: str = "card-1", **values: Any) -> CardLiability:
    fields = {
        "last_statement_issue_date": date(2026, 11, 9),
        "last_statement_balance": 800.0,
        "minimum_payment_amount": 35.0,
        "next_payment_due_date": date(2026, 12, 4),
    }
    return CardLiability(account_id=account_id, **(fields | values))


def event(day: date, amount: float, kind: str = "bill", currency: str = "USD", **values: Any):
    fields = {
        "label": kind,
        "account": CHECKING,
        "moves_cash": True,
        "why": "test",
    }
    return ExpectedEvent(day=day, kind=kind, amount=amount, currency=currency, **(fields | values))  # type: ignore[arg-type]


# --- when a stream comes again ----------------------------------------------------------------


def test_a_monthly_bill_on_the_31st_falls_on_the_30th_in_a_30_day_month_and_back_after() -> None:
    got = occurrences("Monthly", date(2026, 10, 31), date(2026, 12, 31))
    assert got == [date(2026, 10, 31), date(2026, 11, 30), date(2026, 12, 31)]


def test_cadences_of_our_detection_and_of_plaid_step_as_named() -> None:
    start, end = date(2026, 12, 1), date(2027, 1, 5)
    assert occurrences("Every two weeks", start, end) == [
        date(2026, 12, 1),
        date(2026, 12, 15),
        date(2026, 12, 29),
    ]
    assert occurrences("WEEKLY", start, date(2026, 12, 15)) == [
        date(2026, 12, 1),
        date(2026, 12, 8),
        date(2026, 12, 15),
    ]
    # A paycheck on the 15th and the last day: February's last day is the 28th.
    assert occurrences("SEMI_MONTHLY", date(2027, 1, 15), date(2027, 3, 1)) == [
        date(2027, 1, 15),
        date(2027, 1, 30),
        date(2027, 2, 15),
        date(2027, 2, 28),
    ]
    assert occurrences("Yearly", start, end) == [start]
    assert occurrences("UNKNOWN", start, end) == [start]  # only its next date


def test_paydays_on_the_15th_and_last_day_keep_those_days_and_move_to_the_friday_before() -> None:
    # Jun 15 2025 is a Sunday: the next payday is Friday Jun 13. Then Mon Jun 30, Tue Jul 15,
    # Thu Jul 31, Fri Aug 15, and Aug 31 a Sunday: Friday Aug 29.
    got = occurrences("Twice a month", date(2025, 6, 13), date(2025, 8, 31), (15, 31), True)
    assert got == [
        date(2025, 6, 13),
        date(2025, 6, 30),
        date(2025, 7, 15),
        date(2025, 7, 31),
        date(2025, 8, 15),
        date(2025, 8, 29),
    ]


def test_paydays_on_the_1st_and_15th_paid_the_monday_after_a_weekend() -> None:
    # Mar 15 2026 is a Sunday (paid Mon 16th); Aug 1 2026 a Saturday (paid Mon 3rd).
    got = occurrences("SEMI_MONTHLY", date(2026, 3, 16), date(2026, 8, 5), (1, 15), False)
    assert got == [
        date(2026, 3, 16),
        date(2026, 4, 1),
        date(2026, 4, 15),
        date(2026, 5, 1),
        date(2026, 5, 15),
        date(2026, 6, 1),
        date(2026, 6, 15),
        date(2026, 7, 1),
        date(2026, 7, 15),
        date(2026, 8, 3),
    ]


def test_detected_paydays_ahead_fall_on_the_days_they_were_found_on() -> None:
    """From detection to the bills ahead: paid on the 15th and the last day, a weekend
    payday the Friday before (Jan 31, Feb 14, Feb 28, Mar 14 and May 30 2025 are moved or
    Fridays already)."""
    paid = [
        "2025-01-15", "2025-01-31", "2025-02-14", "2025-02-28", "2025-03-14", "2025-03-31",
        "2025-04-15", "2025-04-30", "2025-05-15", "2025-05-30",
    ]  # fmt: skip
    rows = frame(
        *(tx(f"pay-{i}", d, -2500.0, "INCOME", merchant="Acme") for i, d in enumerate(paid))
    )
    today = date(2025, 6, 10)
    detected = detect_income(rows, today).assign(direction="inflow")
    days = [e.day for e in recurring_events(detected, today, 60)]
    # Not Jun 13 + 15 = Jun 28, Jul 13, Jul 28 (the next date's day, half a month on).
    assert days == [date(2025, 6, 13), date(2025, 6, 30), date(2025, 7, 15), date(2025, 7, 31)]


def test_the_horizons_last_day_is_in_it_and_the_day_after_is_not() -> None:
    last = pd.Timestamp(TODAY + timedelta(days=30))
    rows = streams(
        stream(merchant="On the last day", next_date=last, cadence="Yearly"),
        stream(merchant="A day too late", next_date=last + pd.Timedelta(days=1), cadence="Yearly"),
    )
    assert [e.label for e in recurring_events(rows, TODAY, 30)] == ["On the last day"]


def test_a_stopped_stream_expects_nothing() -> None:
    rows = streams(stream(merchant="Gym", stopped=True), stream(merchant="Rent"))
    assert {e.label for e in recurring_events(rows, TODAY, 60)} == {"Rent"}


def test_a_charge_expected_before_today_and_not_seen_is_expected_today() -> None:
    rows = streams(stream(next_date=pd.Timestamp(date(2026, 11, 27))))
    days = [e.day for e in recurring_events(rows, TODAY, 30)]
    assert days == [TODAY, date(2026, 12, 27)]


def test_a_paycheck_expected_yesterday_and_not_seen_is_listed_but_not_counted() -> None:
    # Cash 500; rent 800 due today; the every-two-weeks paycheck of 1,000 was expected
    # yesterday (Nov 29) and has not come. Counting it today would leave 700; not counting
    # it, cash is 500 - 800 = -300 today until the next paycheck, Nov 29 + 14 = Dec 13.
    rows = streams(
        stream(merchant="Rent", typical_amount=800.0, next_date=pd.Timestamp(TODAY)),
        stream(
            merchant="Payroll",
            typical_amount=-1_000.0,
            direction="inflow",
            cadence="Every two weeks",
            next_date=pd.Timestamp(TODAY - timedelta(days=1)),
        ),
    )
    events = recurring_events(rows, TODAY, 30)
    paychecks = [(e.day, e.moves_cash) for e in events if e.label == "Payroll"]
    assert paychecks == [(TODAY, False), (date(2026, 12, 13), True), (date(2026, 12, 27), True)]
    projection = project_cash({"USD": 500.0}, events, TODAY, 30)
    (short,) = shortfalls(projection, events)
    assert (short.day, short.balance, short.lowest, short.lowest_day) == (
        TODAY, -300.0, -300.0, TODAY,
    )  # fmt: skip
    assert (short.next_income, short.next_income_amount) == (date(2026, 12, 13), 1_000.0)
    listed = events_frame(events, {"USD": 500.0})
    late = listed[(listed["label"] == "Payroll") & (listed["date"] == pd.Timestamp(TODAY))]
    (note,) = late["note"]
    assert note.startswith("expected on 2026-11-29, not seen yet; not counted in cash")
    assert not late["counted_in_cash"].any()
    assert late["balance_after"].tolist() == [500.0]  # listed first, leaves cash as it was


def test_an_inflow_stream_is_income_coming_in_whatever_the_sign_it_arrives_with() -> None:
    rows = streams(
        stream(merchant="Payroll", typical_amount=-2500.0, direction="inflow"),
        stream(merchant="Bonus", typical_amount=300.0, direction="INFLOW", cadence="Yearly"),
        stream(merchant="Rent", typical_amount=1200.0, direction="outflow", cadence="Yearly"),
    )
    got = {e.label: (e.kind, e.amount) for e in recurring_events(rows, TODAY, 10)}
    assert got == {
        "Payroll": ("income", -2500.0),
        "Bonus": ("income", -300.0),
        "Rent": ("bill", 1200.0),
    }


# --- card due dates ---------------------------------------------------------------------------


def test_a_card_due_inside_the_horizon_is_its_statement_balance_with_its_minimum_beside() -> None:
    (due,) = card_due_events(snapshot_with((card(), liability())), TODAY, 30)
    assert (due.day, due.kind, due.amount, due.minimum) == (date(2026, 12, 4), "card_due", 800, 35)
    assert (due.account, due.moves_cash) == (CARD, True)


def test_a_card_due_after_the_horizon_is_not_listed_and_the_last_day_is() -> None:
    later = liability(next_payment_due_date=TODAY + timedelta(days=31))
    assert card_due_events(snapshot_with((card(), later)), TODAY, 30) == []
    on_the_last = liability(next_payment_due_date=TODAY + timedelta(days=30))
    assert len(card_due_events(snapshot_with((card(), on_the_last)), TODAY, 30)) == 1


def test_a_payment_since_the_statement_leaves_what_is_still_owed_and_a_paid_card_nothing() -> None:
    part = liability(last_payment_amount=300.0, last_payment_date=date(2026, 11, 20))
    (due,) = card_due_events(snapshot_with((card(), part)), TODAY, 30)
    assert (due.amount, due.minimum) == (500.0, 0.0)  # 800 - 300; the 35 minimum is met
    paid = liability(last_payment_amount=800.0, last_payment_date=date(2026, 11, 28))
    assert card_due_events(snapshot_with((card(), paid)), TODAY, 30) == []
    # A payment before the statement paid the previous one: the whole statement is still due.
    earlier = liability(last_payment_amount=800.0, last_payment_date=date(2026, 11, 1))
    assert card_due_events(snapshot_with((card(), earlier)), TODAY, 30)[0].amount == 800.0


def test_an_overdue_card_is_due_today() -> None:
    late = liability(next_payment_due_date=date(2026, 11, 27), is_overdue=True)
    (due,) = card_due_events(snapshot_with((card(), late)), TODAY, 30)
    assert due.day == TODAY
    assert due.why.startswith("overdue since 2026-11-27")


def test_a_card_due_date_passed_the_issuer_does_not_call_overdue_is_paid_or_counted_today() -> None:
    """Due Nov 27, the issuer does not call it overdue (the Nov 9 statement: 800.00, minimum
    35.00): paid by autopay after the statement it is left out; otherwise what is left of the
    statement is asked today."""
    passed = {"next_payment_due_date": date(2026, 11, 27), "is_overdue": False}
    autopaid = liability(**passed, last_payment_amount=800.0, last_payment_date=date(2026, 11, 25))
    assert card_due_events(snapshot_with((card(), autopaid)), TODAY, 30) == []
    # 20.00 since the statement is below the 35.00 minimum: 780.00 left, 15.00 of the minimum.
    short = liability(**passed, last_payment_amount=20.0, last_payment_date=date(2026, 11, 20))
    (due,) = card_due_events(snapshot_with((card(), short)), TODAY, 30)
    assert (due.day, due.amount, due.minimum, due.moves_cash) == (TODAY, 780.0, 15.0, True)
    assert due.why == (
        "due on 2026-11-27: due date passed; waiting for the issuer's update. The issuer does "
        "not call it overdue but reports no payment of at least the minimum since the "
        "statement of 2026-11-09, so it is counted today in case it is still to pay: "
        "statement balance less what was paid since"
    )
    # Nothing reported since the statement (nor whether it is overdue): the whole 800.00.
    silent = liability(next_payment_due_date=date(2026, 11, 27))
    (due,) = card_due_events(snapshot_with((card(), silent)), TODAY, 30)
    assert (due.day, due.amount, due.minimum) == (TODAY, 800.0, 35.0)
    assert not due.why.startswith("overdue")


# --- the projection ---------------------------------------------------------------------------


def test_a_subscription_billed_to_a_card_is_listed_but_takes_nothing_from_cash() -> None:
    rows = streams(
        stream(merchant="Streamly", account=CARD, typical_amount=17.99),
        stream(merchant="Rent", typical_amount=1200.0),
    )
    events = recurring_events(rows, TODAY, 10, card_accounts={CARD})
    days = project_cash({"USD": 2000.0}, events, TODAY, 10)["USD"]
    assert days["balance"].iloc[-1] == pytest.approx(800.0)  # 2000 - 1200, not - 17.99
    listed = events_frame(events, {"USD": 2000.0}).set_index("label")
    assert not listed.loc["Streamly", "counted_in_cash"]
    assert listed.loc["Streamly", "amount"] == 17.99
    # An account type, where the streams carry one, says it as well.
    typed = streams(stream(account="Card", account_type="credit"))
    assert not recurring_events(typed, TODAY, 10)[0].moves_cash


def test_cash_goes_below_zero_before_payday_on_its_day_by_its_amount() -> None:
    day = lambda n: TODAY + timedelta(days=n)  # noqa: E731
    events = [
        event(day(3), 1200.0, label="Rent"),
        event(day(5), 50.0, label="Phone"),
        event(day(10), -2000.0, kind="income", label="Payroll"),
        event(day(12), 400.0, label="Insurance"),
    ]
    projection = project_cash({"USD": 1000.0}, events, TODAY, 30)
    (short,) = shortfalls(projection, events)
    assert (short.currency, short.day, short.balance) == ("USD", day(3), -200.0)
    assert (short.lowest, short.lowest_day) == (-250.0, day(5))  # - 1200 - 50
    assert (short.next_income, short.next_income_amount) == (day(10), 2000.0)
    assert short.needed == 250.0
    assert projection["USD"]["balance"].iloc[-1] == pytest.approx(1350.0)  # 1000-1650+2000


def test_income_on_the_same_day_counts_before_the_payment() -> None:
    events = [event(TODAY, 1500.0, label="Rent"), event(TODAY, -1000.0, kind="income")]
    assert shortfalls(project_cash({"USD": 600.0}, events, TODAY, 5), events) == ()
    listed = events_frame(events, {"USD": 600.0})
    assert list(listed["kind"]) == ["Income", "Bill"]
    assert list(listed["balance_after"]) == [1600.0, 100.0]


def test_no_income_ahead_leaves_the_shortfall_without_a_payday() -> None:
    events = [event(TODAY + timedelta(days=2), 700.0), event(TODAY + timedelta(days=4), 100.0)]
    (short,) = shortfalls(project_cash({"USD": 500.0}, events, TODAY, 30), events)
    assert (short.next_income, short.lowest) == (None, -300.0)


def test_two_currencies_are_projected_apart_and_a_currency_without_cash_is_listed_only() -> None:
    events = [
        event(TODAY + timedelta(days=1), 150.0, label="USD bill"),
        event(TODAY + timedelta(days=1), 40.0, currency="EUR", label="EUR bill"),
        event(TODAY + timedelta(days=2), 99.0, currency="GBP", label="GBP bill"),
    ]
    opening = {"USD": 100.0, "EUR": 500.0}
    projection = project_cash(opening, events, TODAY, 10)
    assert set(projection) == {"USD", "EUR"}
    assert projection["USD"]["balance"].iloc[-1] == -50.0
    assert projection["EUR"]["balance"].iloc[-1] == 460.0
    assert [s.currency for s in shortfalls(projection, events)] == ["USD"]
    assert unprojected_currencies(events, opening) == ("GBP",)
    listed = events_frame(events, opening).set_index("label")
    assert listed.loc["USD bill", "balance_after"] == -50.0
    assert listed.loc["EUR bill", "balance_after"] == 460.0
    assert pd.isna(listed.loc["GBP bill", "balance_after"])
    assert not listed.loc["GBP bill", "counted_in_cash"]


# --- loans and where the projection starts ---------------------------------------------------


def loan_account(
    account_id: str = "loan-1", currency: str = "USD", subtype: str = "student"
) -> Account:
    return Account(
        account_id=account_id,
        item_id="item",
        name="Cedarline Student Loan",
        official_name=None,
        mask="6218",
        type="loan",
        subtype=subtype,
        current=9_900.0,
        available=None,
        limit=None,
        currency=currency,
    )


def depository(account_id: str, subtype: str, current: float, currency: str = "USD") -> Account:
    return Account(
        account_id=account_id,
        item_id="item",
        name=subtype.title(),
        official_name=None,
        mask=account_id[-4:],
        type="depository",
        subtype=subtype,
        current=current,
        available=None,
        limit=None,
        currency=currency,
    )


def with_loans(*pairs: tuple[Account, LoanLiability]) -> FinancialSnapshot:
    return FinancialSnapshot(
        source="demo",
        fetched_at=datetime(2026, 11, 30, tzinfo=UTC),
        items=(),
        accounts=tuple(a for a, _ in pairs),
        liabilities=(),
        transactions=pd.DataFrame(),
        loans=tuple(loan for _, loan in pairs),
    )


def test_a_loan_due_in_the_horizon_is_a_payment_from_cash_and_one_past_it_is_not() -> None:
    soon = LoanLiability(
        "loan-1", "student", minimum_payment_amount=196.0, next_payment_due_date=date(2026, 12, 6)
    )
    later = LoanLiability(
        "loan-2", "mortgage", next_monthly_payment=1_790.0, next_payment_due_date=date(2027, 1, 1)
    )
    snap = with_loans((loan_account(), soon), (loan_account("loan-2", subtype="mortgage"), later))
    events = loan_due_events(snap, TODAY, 30)
    assert [(e.day, e.kind, e.amount, e.moves_cash) for e in events] == [
        (date(2026, 12, 6), "loan_due", 196.0, True)
    ]
    assert len(loan_due_events(snap, TODAY, 32)) == 2  # Jan 1 is day 32


def test_an_overdue_mortgage_asks_today_for_its_payment_and_what_is_past_due() -> None:
    overdue = LoanLiability(
        "loan-1",
        "mortgage",
        next_monthly_payment=1_790.0,
        past_due_amount=1_790.0,
        next_payment_due_date=date(2026, 11, 1),
    )
    (event,) = loan_due_events(with_loans((loan_account(subtype="mortgage"), overdue)), TODAY, 30)
    assert (event.day, event.amount, event.minimum) == (TODAY, 3_580.0, 1_790.0)
    assert event.why.startswith("overdue since 2026-11-01")


def test_the_lender_calls_it_overdue_with_its_next_due_date_ahead_past_due_today() -> None:
    # Overdue is what the lender says: 1,790 past due is asked today, and the next 1,790 on
    # its own due date, Dec 1 (was: 3,580 on Dec 1, or nothing with Dec 1 past the horizon).
    overdue = LoanLiability(
        "loan-1",
        "mortgage",
        next_monthly_payment=1_790.0,
        past_due_amount=1_790.0,
        next_payment_due_date=date(2026, 12, 1),
    )
    events = loan_due_events(with_loans((loan_account(subtype="mortgage"), overdue)), TODAY, 30)
    assert [(e.day, e.amount, e.moves_cash) for e in events] == [
        (TODAY, 1_790.0, True),
        (date(2026, 12, 1), 1_790.0, True),
    ]
    assert events[0].why == "overdue: the amount past due"


def passed_due_date(last_paid: date | None) -> LoanLiability:
    """Due on Nov 25 (five days ago), the lender does not call it overdue."""
    return LoanLiability(
        "loan-1",
        "student",
        minimum_payment_amount=196.0,
        next_payment_due_date=date(2026, 11, 25),
        is_overdue=False,
        last_payment_amount=196.0 if last_paid else None,
        last_payment_date=last_paid,
    )


def test_a_due_date_passed_and_paid_that_month_is_left_out_and_the_next_expected() -> None:
    # Autopay went through on Nov 24 and the servicer has not moved the date: Nov 25 is
    # paid; the next payment is a month after it, Dec 25 (day 25 of the 30).
    snap = with_loans((loan_account(), passed_due_date(date(2026, 11, 24))))
    (event,) = loan_due_events(snap, TODAY, 30)
    assert (event.day, event.amount, event.moves_cash) == (date(2026, 12, 25), 196.0, True)
    assert "a month after 2026-11-25" in event.why
    assert "has not moved its due date yet" in event.why
    assert loan_due_events(snap, TODAY, 24) == []  # Dec 25 is day 25


def test_a_due_date_passed_with_no_payment_since_is_counted_today_and_says_why() -> None:
    # The last payment reported is Oct 24, before November: nothing says Nov 25 was paid, so
    # its 196 is counted today (cash 500 - 196 = 304), then Dec 25's (304 - 196 = 108).
    snap = with_loans((loan_account(), passed_due_date(date(2026, 10, 24))))
    events = loan_due_events(snap, TODAY, 30)
    assert [(e.day, e.amount, e.moves_cash) for e in events] == [
        (TODAY, 196.0, True),
        (date(2026, 12, 25), 196.0, True),
    ]
    assert events[0].why == (
        "due on 2026-11-25: due date passed; waiting for the lender's update. The lender "
        "does not call it overdue but reports no payment since 2026-11-01, so it is counted "
        "today in case it is still to pay"
    )
    listed = events_frame(events, {"USD": 500.0})
    assert list(listed["balance_after"]) == [304.0, 108.0]
    # No payment ever reported reads the same way.
    never = loan_due_events(with_loans((loan_account(), passed_due_date(None))), TODAY, 30)
    assert [(e.day, e.amount) for e in never] == [(TODAY, 196.0), (date(2026, 12, 25), 196.0)]


def test_a_detected_loan_payment_stream_is_not_counted_beside_the_loans_due_date() -> None:
    loan = LoanLiability(
        "loan-1", "student", minimum_payment_amount=196.0, next_payment_due_date=date(2026, 12, 6)
    )
    events = loan_due_events(with_loans((loan_account(), loan)), TODAY, 30)
    found = streams(
        stream(merchant="Cedarline", category="LOAN_PAYMENTS", typical_amount=196.0),
        stream(merchant="Auto loan", category="LOAN_PAYMENTS", typical_amount=452.0),
        stream(merchant="Gym", category="PERSONAL_CARE", typical_amount=196.0),
    )
    kept = without_linked_loan_streams(found, events)
    assert list(kept["merchant"]) == ["Auto loan", "Gym"]


def test_bills_are_paid_from_checking_and_savings_are_kept_aside_per_currency() -> None:
    accounts = (
        depository("chk-1111", "checking", 1_200.0),
        depository("sav-5512", "savings", 15_000.0),
        depository("eur-2222", "savings", 300.0, currency="EUR"),
    )
    spending, reserve = spending_cash_by_currency(accounts)
    # Euros are held only in savings: that is what euro bills are paid from.
    assert spending == {"USD": 1_200.0, "EUR": 300.0}
    assert reserve == {"USD": 15_000.0}
