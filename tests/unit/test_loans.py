"""Student loans and mortgages: from /liabilities/get through the real plaid-python client,
into the Accounts page's figures, the overview's alerts, net worth and the cross-check."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from integrations.common.retry import RetryPolicy
from integrations.demo.parsed import demo_credit_report, demo_item_data
from integrations.demo.plaid import plaid_demo_items
from integrations.models import Account, Institution, Item, ItemData, LoanLiability
from integrations.plaid.client import PlaidClient, Timeouts
from integrations.plaid.parse import UNREADABLE_LOAN_NOTE
from services.analytics.crosscheck import (
    LinkedLoan,
    linked_loans,
    loan_crosscheck_frame,
    match_loans,
)
from services.analytics.loans import cash_frame, loan_payments, loans_frame, sum_by_currency
from services.analytics.snapshot import build_snapshot
from services.runtime.codec import CodecError, decode_item, encode_item
from services.views.alerts import loan_alerts
from tests.support.clock import TODAY
from tests.support.frames import tradeline
from tests.support.plaid_double import PlaidDouble
from tests.support.plaid_loans import (
    MORTGAGE_BALANCE,
    MORTGAGE_DUE_IN_DAYS,
    MORTGAGE_PAYMENT,
    MORTGAGE_RATE,
    mortgage_item,
    with_odd_student_loans,
)


def client(double: PlaidDouble) -> PlaidClient:
    return PlaidClient(
        host=double.url,
        client_id=PlaidDouble.CLIENT_ID,
        secret=PlaidDouble.SECRET,
        timeouts=Timeouts(connect=1.0, read=5.0),
        policy=RetryPolicy(sleep=lambda _s: None, base_delay=0.01, budget_seconds=30.0),
        sleep=lambda _s: None,
        poll_delay=0.01,
    )


# --- Through the real client -----------------------------------------------------------------


def test_the_demo_student_loan_comes_through_the_real_client(plaid_double: PlaidDouble) -> None:
    harborline = plaid_double.demo_tokens()[0]
    data = client(plaid_double).fetch_item(harborline)
    (loan,) = data.loans
    account = next(a for a in data.accounts if a.account_id == loan.account_id)
    assert (account.type, account.subtype, account.mask) == ("loan", "student", "6218")
    assert loan.kind == "student"
    assert loan.name == "Cedarline Private Student Loan"
    assert loan.interest_rate_percentage == 5.5
    assert loan.minimum_payment_amount == 196.00
    assert loan.payment_due == 196.00
    assert loan.next_payment_due_date == TODAY + timedelta(days=6)
    assert loan.last_payment_date == date(2026, 11, 6)  # a month before Dec 6
    assert (loan.is_overdue, loan.overdue, loan.status) == (False, False, "repayment")
    assert loan.origination_principal_amount == 18_000.00
    assert loan.origination_date == date(2020, 7, 11)  # 76 months before Nov 2026, the 11th
    # Only the last four digits of the loan's number are kept.
    assert loan.account_number_last4 == "6218"
    assert "57100386218" not in repr(data)
    # Its cards are still there, apart from the loan.
    assert len(data.liabilities) == 2


def test_a_mortgage_comes_through_the_real_client(plaid_double: PlaidDouble) -> None:
    plaid_double.add_item("access-sandbox-mortgage", mortgage_item("access-sandbox-mortgage"))
    data = client(plaid_double).fetch_item("access-sandbox-mortgage")
    assert data.item.institution.name == "Brightwater Mortgage"
    assert (data.transactions, data.liabilities) == ((), ())
    (account,) = data.accounts
    assert (account.type, account.subtype, account.current) == ("loan", "mortgage", 251_180.42)
    (loan,) = data.loans
    assert loan == LoanLiability(
        account_id=account.account_id,
        kind="mortgage",
        name="conventional",
        account_number_last4="3431",
        interest_rate_percentage=MORTGAGE_RATE,
        interest_rate_type="fixed",
        next_monthly_payment=MORTGAGE_PAYMENT,
        next_payment_due_date=TODAY + timedelta(days=MORTGAGE_DUE_IN_DAYS),
        last_payment_amount=MORTGAGE_PAYMENT,
        last_payment_date=date(2026, 11, 12),
        past_due_amount=0.0,
        origination_date=date(2022, 1, 30),  # 58 months before Nov 30, 2026
        origination_principal_amount=285_000.00,
        payoff_date=date(2052, 1, 30),  # thirty years on
    )
    assert loan.payment_due == MORTGAGE_PAYMENT
    assert not loan.overdue


def test_a_mortgage_with_an_amount_past_due_is_overdue(plaid_double: PlaidDouble) -> None:
    token = "access-sandbox-late-mortgage"
    plaid_double.add_item(token, mortgage_item(token, past_due=1_835.00))
    (loan,) = client(plaid_double).fetch_item(token).loans
    assert (loan.past_due_amount, loan.overdue) == (1_835.00, True)


def test_odd_loans_cost_neither_the_bank_nor_its_cards_nor_the_other_loan(
    plaid_double: PlaidDouble,
) -> None:
    """A loan without a rate (null, which plaid-python's model refuses) still shows; a loan
    without an account_id and one with text for its rate are left out with one note."""
    token = "access-sandbox-odd-loans"
    plaid_double.add_item(token, with_odd_student_loans(plaid_demo_items(TODAY)[0]))
    data = client(plaid_double).fetch_item(token)
    (loan,) = data.loans
    assert loan.name == "Cedarline Private Student Loan"
    assert loan.interest_rate_percentage is None
    assert loan.minimum_payment_amount == 196.00
    assert len(data.liabilities) == 2  # both cards, due dates and all
    assert all(card.next_payment_due_date for card in data.liabilities)
    assert data.transactions
    assert data.notes.count(UNREADABLE_LOAN_NOTE) == 1


# --- The shared cache keeps loans ------------------------------------------------------------


def test_an_item_with_a_loan_comes_back_equal_from_the_codec() -> None:
    bank = demo_item_data(TODAY)[0]
    assert bank.loans
    assert decode_item(encode_item(bank)) == bank


def test_an_item_cached_before_loans_existed_is_a_miss_not_a_wrong_value() -> None:
    """A replica of the previous version wrote items without ``loans``: such a value is
    refused (the shared store then fetches afresh) rather than read as "no loans"."""
    bank = dataclasses.replace(demo_item_data(TODAY)[0], transactions=())
    blob = encode_item(bank)
    length = int.from_bytes(blob[2:6], "big")
    document = json.loads(blob[6 : 6 + length])
    del document["loans"]
    old = json.dumps(document).encode()
    with pytest.raises(CodecError):
        decode_item(blob[:2] + len(old).to_bytes(4, "big") + old + blob[6 + length :])


# --- Figures ---------------------------------------------------------------------------------

ITEM = Item("item-1", Institution("ins_1", "Test Bank"))


def account(
    account_id: str, type_: str, subtype: str, current: float | None, currency: str = "USD"
) -> Account:
    return Account(
        account_id, "item-1", f"Acct {account_id}", None, account_id[-4:], type_, subtype,
        current, current, None, currency,
    )  # fmt: skip


ACCOUNTS = (
    account("chk-1111", "depository", "checking", 1_200.0),
    account("sav-2222", "depository", "savings", 5_000.0),
    account("stu-3333", "loan", "student", 9_000.0),
    account("mtg-4444", "loan", "mortgage", 200_000.0),
    account("car-5555", "loan", "auto", 7_500.0),  # Plaid sends no liability for it
    account("eur-6666", "depository", "savings", 300.0, currency="EUR"),
)
LOANS = (
    LoanLiability(
        "stu-3333", "student", minimum_payment_amount=120.0, status="repayment",
        interest_rate_percentage=4.5, next_payment_due_date=TODAY + timedelta(days=3),
    ),
    LoanLiability(
        "mtg-4444", "mortgage", next_monthly_payment=1_500.0, past_due_amount=1_500.0,
        interest_rate_percentage=3.25, next_payment_due_date=TODAY - timedelta(days=5),
    ),
)  # fmt: skip


def test_loans_table_reads_balance_rate_next_payment_and_status() -> None:
    frame = loans_frame(ACCOUNTS, LOANS, (ITEM,), TODAY).set_index("mask")
    assert list(frame.index) == ["3333", "4444", "5555"]
    student, mortgage, car = (frame.loc[m] for m in ("3333", "4444", "5555"))
    assert (student["kind"], student["balance"], student["interest_rate"]) == (
        "Student loan", 9_000.0, 4.5,
    )  # fmt: skip
    assert (student["next_payment"], student["days_left"], student["status"]) == (
        120.0, 3, "Repayment",
    )  # fmt: skip
    assert (mortgage["kind"], mortgage["next_payment"], mortgage["days_left"]) == (
        "Mortgage", 1_500.0, -5,
    )  # fmt: skip
    assert (mortgage["status"], bool(mortgage["overdue"])) == ("Overdue", True)
    assert (car["kind"], car["status"], car["balance"]) == ("Auto", "Not reported", 7_500.0)
    assert sum_by_currency(frame, "balance") == {"USD": 216_500.0}


def test_cash_table_lists_depository_accounts_with_totals_per_currency() -> None:
    cash = cash_frame(ACCOUNTS, (ITEM,))
    assert list(cash["mask"]) == ["1111", "2222", "6666"]
    assert sum_by_currency(cash, "current") == {"EUR": 300.0, "USD": 6_200.0}


def test_overdue_loans_come_first_then_by_due_date() -> None:
    dues = loan_payments(loans_frame(ACCOUNTS, LOANS, (ITEM,), TODAY))
    assert [(d.loan, d.overdue) for d in dues] == [
        ("Acct mtg-4444", True),
        ("Acct stu-3333", False),
    ]


def test_loan_alerts_say_overdue_and_due_soon_and_what_to_do() -> None:
    alerts = loan_alerts(loans_frame(ACCOUNTS, LOANS, (ITEM,), TODAY))
    assert [(a.severity, a.kind, a.title) for a in alerts] == [
        ("error", "loan_overdue", "Acct mtg-4444 ••4444 payment is overdue"),
        ("warning", "loan_due_soon", "Acct stu-3333 ••3333 payment due in 3 days"),
    ]
    assert alerts[0].detail.startswith("$1,500.00 was due on Nov 25. Pay it now")
    assert "30 days late is reported" in alerts[0].detail
    assert alerts[1].detail.startswith("$120.00 due on Dec 03.")


def test_a_loan_due_beyond_the_window_raises_no_alert() -> None:
    later = (dataclasses.replace(LOANS[0], next_payment_due_date=TODAY + timedelta(days=8)),)
    assert loan_alerts(loans_frame(ACCOUNTS, later, (ITEM,), TODAY)) == []


def passed_due_date(last_paid: date) -> tuple[LoanLiability, ...]:
    """The student loan due five days ago (Nov 25), which its lender does not call overdue."""
    return (
        dataclasses.replace(
            LOANS[0],
            next_payment_due_date=TODAY - timedelta(days=5),
            is_overdue=False,
            last_payment_amount=120.0,
            last_payment_date=last_paid,
        ),
    )


def test_a_due_date_passed_the_lender_does_not_call_overdue_is_not_overdue() -> None:
    frame = loans_frame(ACCOUNTS, passed_due_date(date(2026, 10, 24)), (ITEM,), TODAY)
    student = frame.set_index("mask").loc["3333"]
    assert (student["status"], bool(student["overdue"]), student["days_left"]) == (
        "Due date passed; waiting for the lender's update", False, -5,
    )  # fmt: skip
    assert bool(student["awaiting_lender"])


def test_a_due_date_passed_the_lender_does_not_call_overdue_is_information() -> None:
    # No payment since Oct 24: it may still be to pay, but the lender does not call it
    # overdue, so it is an information, never the red "payment is overdue".
    (unpaid,) = loan_alerts(
        loans_frame(ACCOUNTS, passed_due_date(date(2026, 10, 24)), (ITEM,), TODAY)
    )
    assert (unpaid.severity, unpaid.kind, unpaid.title) == (
        "info",
        "loan_awaiting_lender",
        "Acct stu-3333 ••3333: due date passed; waiting for the lender's update",
    )
    assert unpaid.detail == (
        "$120.00 was due on Nov 25 and the lender does not report it overdue. No payment "
        "since Nov 01 is reported: if you have not paid it, pay it now."
    )
    # Autopay went through on Nov 24: the same information, saying it looks paid.
    (paid,) = loan_alerts(
        loans_frame(ACCOUNTS, passed_due_date(date(2026, 11, 24)), (ITEM,), TODAY)
    )
    assert (paid.severity, paid.kind) == ("info", "loan_awaiting_lender")
    assert paid.detail.endswith("$120.00 payment on Nov 24 is reported, so it looks paid.")


# --- Cross-check -----------------------------------------------------------------------------


def installment(
    creditor: str, number: str, type_code: str, balance: float, *, is_open: bool = True
) -> object:
    line = tradeline(creditor, number, kind="installment", limit=None, balance=balance,
                     is_open=is_open)  # fmt: skip
    return dataclasses.replace(line, account_type_code=type_code, kind_of_business="Other")


def loan(kind: str, institution: str, current: float, mask: str = "9999") -> LinkedLoan:
    return LinkedLoan(
        account_id=f"acc-{mask}", institution=institution, name="Loan", official_name=None,
        loan_name=None, mask=mask, kind=kind, currency="USD", current=current, payment=100.0,
    )  # fmt: skip


def test_the_demo_student_loan_matches_the_bureaus_installment_tradeline() -> None:
    snapshot = build_snapshot(demo_item_data(TODAY), "demo", datetime(2026, 11, 30, tzinfo=UTC))
    report = demo_credit_report(TODAY)
    frame = loan_crosscheck_frame(report.tradelines, linked_loans(snapshot))
    matched = frame[frame["status"] == "matched"].to_dict("records")
    assert len(matched) == 1
    (row,) = matched
    assert (row["creditor"], row["bank_loan"], row["matched_by"]) == (
        "CEDARLINE STUDENT LOAN", "Cedarline Student Loan", "name",
    )  # fmt: skip
    assert row["report_type"] == "Education loan"
    # The bureau's $9,870 against today's balance, the interest since Nov 6 included:
    # 9,870 x 5.5% / 365 x 24 days = 35.69.
    assert row["bank_balance"] == pytest.approx(9_905.69)
    assert row["balance_difference"] == pytest.approx(-35.69)
    assert row["balance_flag"] is False
    # The joint mortgage the person does not link is on the report, not linked.
    not_linked = frame[frame["status"] == "not linked"]
    assert list(not_linked["creditor"]) == ["BRIGHTWATER MORTGAGE"]


def test_a_student_loan_matches_only_an_education_loan_not_a_card_or_mortgage() -> None:
    lines = (
        tradeline("CEDARLINE BANK", "••9999"),  # a card of the same name and number
        installment("CEDARLINE HOME LOANS", "••1234", "26", 9_000.0),
        installment("CEDARLINE", "••XXXX", "12", 9_000.0),
    )
    matches = match_loans(lines, (loan("student", "Cedarline Servicing", 9_100.0),))
    assert [(p.tradeline.account_type_code, p.rule) for p in matches.pairs] == [("12", "name")]
    assert [t.creditor for t in matches.not_linked] == ["CEDARLINE HOME LOANS"]


def test_loan_words_alone_do_not_make_two_lenders_the_same() -> None:
    lines = (installment("NAVIENT STUDENT LOAN", "••XXXX", "12", 30_000.0),)
    matches = match_loans(lines, (loan("student", "Cedarline Student Loan Servicing", 9_000.0),))
    assert matches.pairs == ()  # and the balances are too far apart to pair on them


def test_the_only_open_loan_of_a_kind_pairs_on_a_close_balance() -> None:
    lines = (installment("SVC MTG CORP", "••XXXX", "26", 250_000.0),)
    matches = match_loans(lines, (loan("mortgage", "Brightwater Mortgage", 251_180.42),))
    assert [p.rule for p in matches.pairs] == ["kind and balance"]
    far = match_loans(lines, (loan("mortgage", "Brightwater Mortgage", MORTGAGE_BALANCE * 2),))
    assert far.pairs == ()
    assert [t.creditor for t in far.not_linked] == ["SVC MTG CORP"]
    assert len(far.not_on_report) == 1


def test_a_loan_balance_far_from_the_bureaus_is_flagged() -> None:
    lines = (installment("CEDARLINE STUDENT LOAN", "••XXXX", "12", 9_870.0),)
    frame = loan_crosscheck_frame(lines, (loan("student", "Cedarline", 8_500.0),))
    (row,) = frame.to_dict("records")
    # 9,870 - 8,500 = 1,370: over $50 and over 10% of 8,500 (850).
    assert (row["balance_difference"], row["balance_flag"]) == (1_370.0, True)


def test_snapshot_and_item_keep_loans_apart_from_cards() -> None:
    data = ItemData(ITEM, ACCOUNTS, (), (), loans=LOANS)
    snapshot = build_snapshot([data], "demo", datetime(2026, 11, 30, tzinfo=UTC))
    assert snapshot.loans == LOANS
    assert snapshot.liabilities == ()
    assert [c.kind for c in linked_loans(snapshot)] == ["student", "mortgage", "auto"]
