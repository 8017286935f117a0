"""The Accounts page in AppTest, on demo data and on the Plaid double: cash accounts, loans
and net worth against figures derived straight from the raw bodies, filters, CSV."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from services.views.export import to_csv_bytes
from tests.support import demo_expectations as expect
from tests.support.apps import app_on_page, app_test
from tests.support.clock import TODAY
from tests.support.plaid_double import PlaidDouble
from tests.support.plaid_loans import MORTGAGE_BALANCE, MORTGAGE_PAYMENT, mortgage_item

PAGE = "pages/accounts.py"
# The columns each table shows and its CSV holds, in order.
CASH_COLUMNS = ("institution", "account", "mask", "subtype", "current", "available", "currency")
LOAN_COLUMNS = (
    "institution", "loan", "mask", "kind", "currency", "balance", "interest_rate",
    "next_payment", "due_date", "days_left", "status", "overdue", "past_due_amount",
    "last_payment_amount", "last_payment_date", "original_amount", "payoff_date",
)  # fmt: skip


def money(amount: float) -> str:
    return f"-${abs(amount):,.2f}" if round(amount, 2) < 0 else f"${amount:,.2f}"


def as_read(text: str) -> str:
    """Markdown as a person reads it: escapes and the word joiners after colons dropped."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


def checked(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def table(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_cash_loans_and_net_worth_from_the_demo_bodies(
    downloads: dict[str, pd.DataFrame],
) -> None:
    at = checked(app_on_page(PAGE))
    current, _available = expect.cash(TODAY)
    (loan_account,) = expect.raw_loan_accounts(TODAY)
    (student,) = expect.raw_student_loans(TODAY)
    owed = loan_account["balances"]["current"]
    assert metric(at, "Cash (USD)") == money(current)
    assert metric(at, "Loans (USD)") == money(owed)
    assert metric(at, "Owed (USD)") == money(owed)
    assert metric(at, "Net worth (USD)") == money(expect.net_worth(TODAY))
    # Hand-computed for Nov 30, 2026: cash 5,644.55 + 15,385.23; cards 6,948.21 + 1,821.62
    # - 12.40; the student loan 9,870.00 + 35.69 of interest: 21,029.78 - 8,757.43 - 9,905.69.
    assert metric(at, "Net worth (USD)") == "$2,366.66"

    cash = table(at, "available").set_index("mask")
    raw_cash = [a for a in expect.raw_accounts(TODAY) if a["type"] == "depository"]
    assert sorted(cash.index) == sorted(a["mask"] for a in raw_cash) == ["1180", "5512"]
    for account in raw_cash:
        row = cash.loc[account["mask"]]
        assert (row["account"], row["subtype"]) == (account["name"], account["subtype"])
        assert row["current"] == account["balances"]["current"]
        assert row["available"] == account["balances"]["available"]

    loans = table(at, "next_payment")
    (row,) = loans.to_dict("records")
    assert (row["loan"], row["mask"], row["kind"]) == (
        "Cedarline Student Loan",
        "6218",
        "Student loan",
    )
    assert row["balance"] == owed
    assert row["interest_rate"] == student["interest_rate_percentage"] == 5.5
    assert row["next_payment"] == student["minimum_payment_amount"] == 196.0
    assert row["due_date"] == date.fromisoformat(student["next_payment_due_date"])
    assert row["due_date"] == TODAY + timedelta(days=6)
    assert (row["status"], row["overdue"]) == ("Repayment", False)

    # Each CSV is the table shown, in the columns shown, through the one export path.
    for key, columns, shown in (
        ("accounts_cash_csv", CASH_COLUMNS, table(at, "available")),
        ("accounts_loans_csv", LOAN_COLUMNS, loans),
    ):
        exported = downloads[key]
        assert list(exported.columns) == list(columns)
        pd.testing.assert_frame_equal(
            exported.reset_index(drop=True), shown[list(columns)].reset_index(drop=True)
        )
        assert to_csv_bytes(exported).startswith(b"institution,")


def test_the_csv_holds_exactly_the_rows_the_filters_leave(
    downloads: dict[str, pd.DataFrame],
) -> None:
    at = checked(app_on_page(PAGE))
    at.multiselect(key="accounts_inst").set_value(["Juniper Card Services"]).run()
    checked(at)
    assert downloads["accounts_cash_csv"].empty
    assert downloads["accounts_loans_csv"].empty
    assert metric(at, "Net worth (USD)") == money(expect.net_worth(TODAY))  # never filtered
    at.multiselect(key="accounts_inst").set_value(["Harborline Bank"]).run()
    at.multiselect(key="accounts_kind").set_value([]).run()
    checked(at)
    assert list(downloads["accounts_cash_csv"]["mask"]) == ["1180", "5512"]
    assert downloads["accounts_loans_csv"].empty


def test_the_overview_warns_of_the_student_loan_due_soon() -> None:
    at = checked(app_on_page())
    (student,) = expect.raw_student_loans(TODAY)
    warnings = [w.value for w in at.warning]
    found = [w for w in warnings if "Cedarline Student Loan" in w]
    assert len(found) == 1, warnings
    assert "payment due in 6 days" in found[0]
    assert "196\\.00 due on Dec 06" in found[0]
    assert student["next_payment_due_date"] == "2026-12-06"
    assert any("card and loan balances" in c.value for c in at.caption)


def test_on_the_plaid_double_the_page_shows_a_mortgage_too(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    plaid_env.add_item("access-sandbox-mortgage", mortgage_item("access-sandbox-mortgage"))
    tokens = [*plaid_env.demo_tokens(), "access-sandbox-mortgage"]
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join(tokens))
    at = checked(app_test().run())
    at.switch_page(PAGE).run()
    checked(at)
    loans = table(at, "next_payment").set_index("kind")
    assert sorted(loans.index) == ["Mortgage", "Student loan"]
    mortgage = loans.loc["Mortgage"]
    assert (mortgage["institution"], mortgage["balance"]) == (
        "Brightwater Mortgage",
        MORTGAGE_BALANCE,
    )
    assert (mortgage["next_payment"], mortgage["interest_rate"]) == (MORTGAGE_PAYMENT, 3.99)
    owed = MORTGAGE_BALANCE + expect.raw_loan_accounts(TODAY)[0]["balances"]["current"]
    assert metric(at, "Loans (USD)") == money(owed)
    assert metric(at, "Net worth (USD)") == money(expect.net_worth(TODAY) - MORTGAGE_BALANCE)
    at.multiselect(key="accounts_kind").set_value(["Mortgage"]).run()
    assert list(table(at, "next_payment")["kind"]) == ["Mortgage"]
    assert metric(at, "Owed (USD)") == money(MORTGAGE_BALANCE)


def test_an_overdue_mortgage_is_an_error_on_the_page_and_the_overview(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "access-sandbox-late-mortgage"
    plaid_env.add_item(token, mortgage_item(token, past_due=1_835.00))
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", token)
    at = checked(app_test().run())
    errors = [e.value for e in at.error]
    assert any("Brightwater Home Loan ••3431 payment is overdue" in e for e in errors), errors
    assert any("1,835\\.00 was due on Nov 21" in e for e in errors), errors
    at.switch_page(PAGE).run()
    checked(at)
    assert any("Brightwater Home Loan" in e.value and "overdue" in e.value for e in at.error)
    (row,) = table(at, "next_payment").to_dict("records")
    assert (row["status"], row["overdue"], row["past_due_amount"]) == ("Overdue", True, 1_835.0)
    assert "No checking or savings account connected." in [i.value for i in at.info]


def test_a_due_date_passed_the_lender_does_not_call_overdue_reads_the_same_everywhere(
    plaid_env: PlaidDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Due Nov 27 (three days ago), nothing past due, the last payment reported Oct 27: the
    # lender does not call it overdue, so no page says "overdue"; Bills ahead counts its
    # 1,790.00 today (nothing says it was paid) and the next a month on, Dec 27.
    token = "access-sandbox-waiting-mortgage"
    plaid_env.add_item(token, mortgage_item(token, due_in_days=-3))
    monkeypatch.setenv("PLAID_ACCESS_TOKEN", ",".join([*plaid_env.demo_tokens(), token]))
    words = "due date passed; waiting for the lender's update"
    at = checked(app_test().run())
    infos = [as_read(i.value) for i in at.info]
    assert any(f"Brightwater Home Loan ••3431: {words}" in i for i in infos), infos
    assert not [e.value for e in at.error if "Brightwater" in e.value]
    at.switch_page(PAGE).run()
    checked(at)
    infos = [as_read(i.value) for i in at.info]
    assert any(f"Brightwater Home Loan**: {words}. It was due on Nov 27" in i for i in infos)
    assert not [e.value for e in at.error if "Brightwater" in e.value]
    mortgage = table(at, "next_payment").set_index("kind").loc["Mortgage"]
    assert (mortgage["status"], bool(mortgage["overdue"]), mortgage["days_left"]) == (
        words.capitalize(), False, -3,
    )  # fmt: skip
    at.switch_page("pages/bills.py").run()
    checked(at)
    listed = next(d.value for d in at.dataframe if "note" in d.value.columns)
    rows = listed[listed["account"].str.endswith("3431")]
    assert [(d.date(), a, c) for d, a, c in rows[["date", "amount", "counted_in_cash"]].values] == [
        (TODAY, MORTGAGE_PAYMENT, True),
        (TODAY + timedelta(days=27), MORTGAGE_PAYMENT, True),
    ]
    assert rows["note"].iloc[0].startswith(f"due on 2026-11-27: {words}")
