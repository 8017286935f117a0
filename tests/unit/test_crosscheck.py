"""Matching the report's cards to the linked Plaid cards, and the differences found."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from integrations.models import Account, CardLiability, Institution, Item, ItemData
from services.analytics.crosscheck import (
    LinkedCard,
    crosscheck_frame,
    last_four,
    linked_cards,
    linked_utilization,
    match_cards,
    names_match,
)
from services.analytics.snapshot import build_snapshot
from tests.support.frames import tradeline


def linked(
    mask: str | None,
    institution: str = "Harborline Bank",
    *,
    limit: float | None = 1000.0,
    current: float | None = 0.0,
    statement: float | None = None,
    currency: str = "USD",
    name: str = "Rewards Card",
) -> LinkedCard:
    return LinkedCard(
        account_id=f"acc-{mask}-{institution}",
        institution=institution,
        name=name,
        official_name=None,
        mask=mask,
        currency=currency,
        limit=limit,
        current=current,
        statement_balance=statement,
        statement_date=date(2026, 3, 5) if statement is not None else None,
    )


def only_row(tradelines: tuple, cards: tuple) -> dict[str, object]:  # type: ignore[type-arg]
    frame = crosscheck_frame(tradelines, cards)
    assert len(frame) == 1, frame
    return frame.to_dict("records")[0]


# --- Names and numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bureau", "bank", "same"),
    [
        ("HARBORLINE BANK", "Harborline Bank", True),
        ("JUNIPER CARD SVCS", "Juniper Card Services", True),
        ("BK OF AMER", "Bank of America", True),  # abbreviations, then a prefix
        ("HARBORLINE", "Harborline Everyday Rewards Credit Card", True),
        ("NORTHGATE BANK CARD", "Harborline Bank", False),
        ("CREDIT CARD", "Credit Card Services", False),  # only generic words: says nothing
        ("SYNCB/AMAZON", "Synchrony Bank", False),
        ("AB BANK", "Abbey Bank", False),  # too short a prefix to trust
    ],
)
def test_names_match_on_distinctive_words(bureau: str, bank: str, same: bool) -> None:
    assert names_match(bureau, bank) is same


@pytest.mark.parametrize(
    ("number", "digits"),
    [("••4821", "4821"), ("4821", "4821"), ("••XX31", None), ("••XXXX", None), (None, None)],
)
def test_last_four_needs_four_digits(number: str | None, digits: str | None) -> None:
    assert last_four(number) == digits


# --- Matching --------------------------------------------------------------------------------


def test_same_number_and_name_is_a_match() -> None:
    row = only_row((tradeline("HARBORLINE BANK", "••4821"),), (linked("4821"),))
    assert (row["status"], row["matched_by"]) == ("matched", "number and name")
    assert row["note"] == ""


def test_same_number_under_another_name_still_matches() -> None:
    row = only_row((tradeline("SYNCB/AMAZON", "••9031"),), (linked("9031", "Synchrony Bank"),))
    assert (row["status"], row["matched_by"]) == ("matched", "number")
    assert "SYNCB/AMAZON" in str(row["note"])


def test_name_only_match_when_numbers_differ_says_so() -> None:
    row = only_row(
        (tradeline("JUNIPER CARD SVCS", "••1559"),), (linked("0374", "Juniper Card Services"),)
    )
    assert (row["status"], row["matched_by"]) == ("matched", "name")
    assert "…0374 at the bank, …1559 on the report" in str(row["note"])


def test_name_only_match_when_the_report_hides_the_number() -> None:
    row = only_row(
        (tradeline("RIVERBEND CREDIT UNION", "••XXXX"),), (linked("1234", "Riverbend CU"),)
    )
    assert row["matched_by"] == "name"
    assert "no card number" in str(row["note"])


def test_number_wins_over_name_among_cards_of_one_issuer() -> None:
    lines = (tradeline("HARBORLINE BANK", "••7730"), tradeline("HARBORLINE BANK", "••4821"))
    cards = (linked("7710"), linked("4821"))
    matches = match_cards(lines, cards)
    pairs = {(p.tradeline.account_number, p.card.mask, p.rule) for p in matches.pairs}
    # The number pairs 4821 first; the one Harborline left on each side then pairs by name.
    assert pairs == {("••4821", "4821", "number and name"), ("••7730", "7710", "name")}


def test_ambiguous_issuer_leaves_both_sides_unmatched() -> None:
    lines = (tradeline("HARBORLINE BANK", "••XXXX"), tradeline("HARBORLINE BANK", "••XX12"))
    frame = crosscheck_frame(lines, (linked(None),))
    assert list(frame["status"]) == ["not linked", "not linked", "not on report"]
    assert "2 accounts of this issuer could be it" in frame["note"].iloc[2]


def test_no_match_lists_the_report_card_and_the_linked_card() -> None:
    frame = crosscheck_frame(
        (tradeline("MAPLEWOOD DEPT STORE", "••9912", limit=1500.0, balance=0.0),),
        (linked("4821", current=250.0),),
    )
    rows = frame.to_dict("records")
    assert [r["status"] for r in rows] == ["not linked", "not on report"]
    assert (rows[0]["creditor"], rows[0]["report_limit"]) == ("MAPLEWOOD DEPT STORE", 1500.0)
    assert (rows[1]["bank_account"], rows[1]["bank_balance"]) == ("••4821", 250.0)


def test_report_card_with_no_plaid_counterpart() -> None:
    row = only_row((tradeline("RIVERBEND CREDIT UNION", "••0274"),), ())
    assert row["status"] == "not linked"
    assert row["note"] == "On the report, but no linked card matches it."


def test_plaid_card_missing_from_the_report() -> None:
    row = only_row((), (linked("0374", "Juniper Card Services"),))
    assert row["status"] == "not on report"
    assert row["institution"] == "Juniper Card Services"


def test_loans_and_closed_cards_are_not_offered_to_the_name_pass() -> None:
    lines = (
        tradeline("HARBORLINE BANK", "••XXXX", kind="installment", limit=None),
        tradeline("HARBORLINE BANK", "••6605", is_open=False),
    )
    matches = match_cards(lines, (linked("1111"),))
    assert matches.pairs == ()
    assert matches.not_linked == ()  # a closed card is not expected to be linked
    assert [c.mask for c in matches.not_on_report] == ["1111"]


def test_a_closed_card_still_matches_by_number_and_is_noted() -> None:
    row = only_row((tradeline("HARBORLINE BANK", "••6605", is_open=False),), (linked("6605"),))
    assert row["matched_by"] == "number and name"
    assert "Closed on the report" in str(row["note"])


# --- Differences -----------------------------------------------------------------------------


def test_limit_difference_amount_share_and_flag() -> None:
    row = only_row(
        (tradeline("HARBORLINE BANK", "••4821", limit=8000.0, balance=0.0),),
        (linked("4821", limit=7500.0),),
    )
    assert row["limit_difference"] == 500.0
    assert row["limit_difference_pct"] == pytest.approx(500 / 7500)
    assert row["limit_flag"] is True
    assert row["balance_flag"] is False


def test_balance_is_compared_with_the_statement_balance() -> None:
    row = only_row(
        (tradeline("HARBORLINE BANK", "••4821", balance=1842.0),),
        (linked("4821", current=6948.21, statement=5501.36),),
    )
    assert (row["bank_balance"], row["bank_balance_basis"]) == (5501.36, "statement")
    assert row["balance_difference"] == pytest.approx(1842 - 5501.36)
    assert row["balance_difference_pct"] == pytest.approx((1842 - 5501.36) / 5501.36)
    assert row["balance_flag"] is True


@pytest.mark.parametrize(
    ("report_balance", "bank_statement", "flagged"),
    [
        (1000.0, 1040.0, False),  # $40: under the $50 floor
        (1000.0, 1080.0, False),  # $80: under 10% of $1,080
        (1000.0, 1200.0, True),  # $200: over both
        (80.0, 10.0, True),  # $70 on a small balance: over the $50 floor
    ],
)
def test_small_balance_differences_are_normal(
    report_balance: float, bank_statement: float, flagged: bool
) -> None:
    row = only_row(
        (tradeline("HARBORLINE BANK", "••4821", balance=report_balance),),
        (linked("4821", statement=bank_statement),),
    )
    assert row["balance_flag"] is flagged


def test_without_a_statement_todays_balance_is_used_and_a_credit_counts_as_zero() -> None:
    row = only_row(
        (tradeline("HARBORLINE BANK", "••4821", balance=0.0),), (linked("4821", current=-12.4),)
    )
    assert (row["bank_balance"], row["bank_balance_basis"]) == (0.0, "current")
    assert row["balance_difference"] == 0.0


def test_a_card_without_a_limit_is_not_flagged_for_its_limit() -> None:
    row = only_row((tradeline("HARBORLINE BANK", "••7710"),), (linked("7710", limit=None),))
    assert row["limit_flag"] is False
    assert "The bank reports no limit" in str(row["note"])


def test_a_card_in_another_currency_is_matched_but_not_compared() -> None:
    row = only_row(
        (tradeline("HARBORLINE BANK", "••4821", limit=8000.0),),
        (linked("4821", limit=5000.0, currency="EUR"),),
    )
    assert row["status"] == "matched"
    assert row["limit_flag"] is False
    assert "in EUR" in str(row["note"])


def test_empty_inputs_give_an_empty_frame_with_the_columns() -> None:
    frame = crosscheck_frame((), ())
    assert frame.empty
    assert "balance_difference_pct" in frame.columns


# --- From a Plaid snapshot -------------------------------------------------------------------


def test_linked_cards_and_utilization_from_a_snapshot() -> None:
    item = Item("item-1", Institution("ins_1", "Juniper Card Services"))
    accounts = (
        Account("a1", "item-1", "Cash Back", "Juniper Cash Back", "0374", "credit",
                "credit card", 600.0, None, 3000.0, "USD"),
        Account("a2", "item-1", "Checking", None, "1180", "depository", "checking", 900.0,
                None, None, "USD"),
    )  # fmt: skip
    liability = CardLiability(
        "a1", last_statement_balance=450.0, last_statement_issue_date=date(2026, 3, 2)
    )
    snapshot = build_snapshot(
        [ItemData(item, accounts, (), (liability,))], "demo", datetime(2026, 3, 15, tzinfo=UTC)
    )
    (card,) = linked_cards(snapshot)
    assert (card.institution, card.mask, card.limit) == ("Juniper Card Services", "0374", 3000.0)
    assert (card.statement_balance, card.statement_date) == (450.0, date(2026, 3, 2))
    total = linked_utilization(snapshot, date(2026, 3, 15))
    assert total is not None
    assert total.utilization == pytest.approx(600 / 3000)
