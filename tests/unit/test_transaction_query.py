"""The transactions filters to URL parameters and back, with anything odd reset and named."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.analytics.transaction_query import (
    DEFAULT_PERIOD,
    FilterChoice,
    FilterOptions,
    filter_options,
    from_query,
    notice_text,
    period_dates,
    to_filter,
    to_query,
    url_id,
)
from tests.support.apps import ROOT

TODAY = date(2026, 3, 10)
BANK_A, BANK_B = url_id("institution", "item-a"), url_id("institution", "item-b")
CARD_1, CHECKING_2 = url_id("account", "acc-1"), url_id("account", "acc-2")
CARD_3 = url_id("account", "acc-3")
OPTIONS = FilterOptions(
    institutions=("Bank A", "Bank B"),
    accounts=("Card ••1111", "Checking ••2222", "Card ••3333"),
    categories=("FOOD_AND_DRINK", "TRAVEL"),
    detailed=("FOOD_AND_DRINK_COFFEE", "FOOD_AND_DRINK_GROCERIES", "TRAVEL_FLIGHTS"),
    first_day=date(2024, 3, 10),
    last_day=TODAY,
    account_institution=(
        ("Card ••1111", "Bank A"),
        ("Card ••3333", "Bank B"),
        ("Checking ••2222", "Bank A"),
    ),
    detailed_category=(
        ("FOOD_AND_DRINK_COFFEE", "FOOD_AND_DRINK"),
        ("FOOD_AND_DRINK_GROCERIES", "FOOD_AND_DRINK"),
        ("TRAVEL_FLIGHTS", "TRAVEL"),
    ),
    institution_ids=(("Bank A", BANK_A), ("Bank B", BANK_B)),
    account_ids=(("Card ••1111", CARD_1), ("Card ••3333", CARD_3), ("Checking ••2222", CHECKING_2)),
)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("this_month", date(2026, 3, 1), TODAY),
        ("last_30_days", date(2026, 2, 9), TODAY),  # 30 days, today included
        ("last_90_days", date(2025, 12, 11), TODAY),
        ("year_to_date", date(2026, 1, 1), TODAY),
        ("all", date(2024, 3, 10), TODAY),
    ],
)
def test_quick_periods(period: str, start: date, end: date) -> None:
    assert period_dates(period, TODAY, OPTIONS) == (start, end)


def test_quick_period_never_starts_before_the_history() -> None:
    short = FilterOptions((), (), (), (), first_day=date(2026, 3, 1), last_day=TODAY)
    assert period_dates("last_90_days", TODAY, short) == (date(2026, 3, 1), TODAY)


def test_defaults_write_nothing() -> None:
    assert to_query(FilterChoice(), OPTIONS) == {}
    assert from_query({}, OPTIONS) == FilterChoice()


def test_every_filter_round_trips() -> None:
    choice = FilterChoice(
        period="custom",
        start=date(2025, 6, 1),
        end=date(2025, 6, 30),
        institutions=("Bank A",),
        accounts=("Card ••1111", "Checking ••2222"),
        categories=("FOOD_AND_DRINK",),
        detailed=("FOOD_AND_DRINK_COFFEE",),
        min_amount=-12.5,
        max_amount=300.0,
        include_pending=False,
        include_transfers=False,
    )
    query = to_query(choice, OPTIONS)
    assert query == {
        "period": ["custom"],
        "from": ["2025-06-01"],
        "to": ["2025-06-30"],
        "institution": [BANK_A],
        "account": [CARD_1, CHECKING_2],
        "category": ["FOOD_AND_DRINK"],
        "detailed": ["FOOD_AND_DRINK_COFFEE"],
        "min": ["-12.5"],
        "max": ["300"],
        "pending": ["no"],
        "transfers": ["no"],
    }
    back = from_query(query, OPTIONS)
    assert back == choice
    assert back.notices == ()


def test_names_and_search_text_never_reach_the_url() -> None:
    choice = FilterChoice(
        institutions=("Bank A", "Bank B"),
        accounts=("Card ••1111", "Card ••3333"),
        text="pharmacy near home",
    )
    query = to_query(choice, OPTIONS)
    assert query == {"institution": [BANK_A, BANK_B], "account": [CARD_1, CARD_3]}
    written = repr(query)
    for private in ("Bank", "Card", "1111", "3333", "pharmacy"):
        assert private not in written
    assert from_query(query, OPTIONS) == FilterChoice(
        institutions=("Bank A", "Bank B"), accounts=("Card ••1111", "Card ••3333")
    )  # the view comes back, the search text does not


def test_an_old_link_with_names_or_search_text_is_ignored_not_echoed() -> None:
    old = {"institution": ["Bank A"], "account": ["Card ••1111"], "q": ["pharmacy"]}
    choice = from_query(old, OPTIONS)
    assert choice == FilterChoice()
    assert choice.notices == ("institution", "account")
    assert "Bank" not in notice_text(choice.notices)
    assert "pharmacy" not in notice_text(choice.notices)


def test_url_ids_are_the_same_in_another_process() -> None:
    """A bookmark must still work after a restart, or on another replica: the ids may not
    depend on anything kept in one process (such as the cache keys' secret)."""
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-03"]),
            "institution": ["Bank A", "Bank A", "Bank B"],
            "item_id": ["item-a", "item-a", "item-b"],
            "account": ["Card ••1111", "Checking ••2222", "Card ••3333"],
            "account_id": ["acc-1", "acc-2", "acc-3"],
            "category": ["TRAVEL"] * 3,
            "category_detailed": ["TRAVEL_FLIGHTS"] * 3,
        }
    )
    here = filter_options(frame, TODAY)
    assert (here.institution_ids, here.account_ids) == (
        OPTIONS.institution_ids,
        OPTIONS.account_ids,
    )
    elsewhere = subprocess.run(
        [sys.executable, "-c", "from services.analytics.transaction_query import url_id; "
         "print(url_id('institution', 'item-a'), url_id('account', 'acc-3'))"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert elsewhere.stdout.split() == [BANK_A, CARD_3]
    assert len({BANK_A, BANK_B, CARD_1, CHECKING_2, CARD_3}) == 5


def test_a_quick_period_keeps_no_dates_so_a_bookmark_slides_with_time() -> None:
    choice = FilterChoice(period="last_30_days", start=date(2026, 2, 9), end=TODAY)
    assert to_query(choice, OPTIONS) == {"period": ["last_30_days"]}


def test_dates_alone_mean_a_custom_period() -> None:
    choice = from_query({"from": ["2025-01-01"], "to": ["2025-01-31"]}, OPTIONS)
    assert (choice.period, choice.start, choice.end) == (
        "custom",
        date(2025, 1, 1),
        date(2025, 1, 31),
    )


def test_dates_beyond_the_history_are_clamped_not_rejected() -> None:
    choice = from_query(
        {"period": ["custom"], "from": ["2020-01-01"], "to": ["2030-01-01"]}, OPTIONS
    )
    assert (choice.start, choice.end, choice.notices) == (OPTIONS.first_day, TODAY, ())


@pytest.mark.parametrize(
    ("params", "rejected"),
    [
        ({"period": ["fortnight"]}, ("period",)),
        ({"period": ["custom"], "from": ["2025-02-30"], "to": ["2025-03-01"]}, ("from", "to")),
        ({"period": ["custom"], "from": ["2025-03-01"], "to": ["2025-02-01"]}, ("from", "to")),
        ({"period": ["custom"]}, ("from", "to")),
        ({"category": ["FOOD_AND_DRINK", "<b>NOPE</b>"]}, ("category",)),
        ({"institution": ["Bank C"]}, ("institution",)),
        ({"institution": ["Bank A"]}, ("institution",)),  # a name, not an id
        ({"account": [CARD_1[:-1]]}, ("account",)),
        ({"min": ["0.004"]}, ()),  # money is kept to the cent
        ({"min": ["ten"]}, ("min",)),
        ({"max": ["inf"]}, ("max",)),
        ({"min": ["50"], "max": ["10"]}, ("min", "max")),
        ({"pending": ["maybe"]}, ("pending",)),
        ({"q": ["x" * 201]}, ()),  # no longer read at all
    ],
)
def test_what_cannot_be_understood_falls_back_and_is_named(
    params: dict[str, list[str]], rejected: tuple[str, ...]
) -> None:
    choice = from_query(params, OPTIONS)
    assert choice.notices == rejected
    assert "NOPE" not in notice_text(choice.notices)  # values are never echoed
    assert all(f"`{key}`" in notice_text(choice.notices) for key in rejected)


def test_known_values_survive_next_to_unknown_ones() -> None:
    choice = from_query({"category": ["FOOD_AND_DRINK", "NOPE", "FOOD_AND_DRINK"]}, OPTIONS)
    assert choice.categories == ("FOOD_AND_DRINK",)


def test_accounts_must_belong_to_the_chosen_institutions() -> None:
    choice = from_query({"institution": [BANK_B], "account": [CARD_1]}, OPTIONS)
    assert (choice.accounts, choice.notices) == ((), ("account",))
    assert OPTIONS.accounts_at(["Bank A"]) == ("Card ••1111", "Checking ••2222")
    assert OPTIONS.detailed_in(["TRAVEL"]) == ("TRAVEL_FLIGHTS",)
    assert OPTIONS.detailed_in([]) == OPTIONS.detailed


def test_flags_accept_common_spellings() -> None:
    assert from_query({"pending": ["No"], "transfers": ["0"]}, OPTIONS).include_pending is False
    assert from_query({"transfers": ["0"]}, OPTIONS).include_transfers is False
    assert from_query({"pending": ["yes"]}, OPTIONS).include_pending is True


def test_to_filter_uses_the_period_or_the_dates() -> None:
    default = to_filter(FilterChoice(), TODAY, OPTIONS)
    assert (default.start, default.end) == (date(2025, 12, 11), TODAY)
    custom = to_filter(
        FilterChoice(period="custom", start=date(2025, 1, 1), end=date(2025, 1, 2)), TODAY, OPTIONS
    )
    assert (custom.start, custom.end) == (date(2025, 1, 1), date(2025, 1, 2))
    assert DEFAULT_PERIOD == "last_90_days"


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # a shared, busy machine
@given(
    st.dictionaries(
        st.sampled_from(
            ["period", "from", "to", "institution", "account", "category", "min", "max", "q", "x"]
        ),
        st.lists(st.text(max_size=30) | st.sampled_from([BANK_A, CARD_1, CARD_3]), max_size=3),
        max_size=6,
    )
)
def test_any_url_gives_a_valid_choice(params: dict[str, list[str]]) -> None:
    choice = from_query(params, OPTIONS)
    assert set(choice.categories) <= set(OPTIONS.categories)
    assert (
        choice.min_amount is None
        or choice.max_amount is None
        or (choice.min_amount <= choice.max_amount)
    )
    start, end = to_filter(choice, TODAY, OPTIONS).start, to_filter(choice, TODAY, OPTIONS).end
    assert OPTIONS.first_day <= start <= end <= OPTIONS.last_day
    assert from_query(to_query(choice, OPTIONS), OPTIONS) == choice  # what is written reads back
