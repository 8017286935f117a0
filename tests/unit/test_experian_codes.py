from __future__ import annotations

import dataclasses
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from integrations.experian import codes


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("00", "Auto loan"),
        ("07", "Charge account"),
        ("12", "Education loan"),
        ("18", "Credit card"),
        ("26", "Conventional real estate mortgage"),
        ("0A", "Time share loan"),
        ("3A", "Auto lease"),
    ],
)
def test_account_types(code: str, label: str) -> None:
    assert codes.account_type_label(code) == label


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("11", "Current account in good standing"),
        ("13", "Paid account, zero balance"),
        ("31", "Current; was 30 days past due"),
        ("71", "30 days past due"),
        ("78", "60 days past due"),
        ("97", "Charge-off: unpaid balance reported as a loss"),
        ("A1", "Open account"),
        ("A3", "Closed account"),
    ],
)
def test_account_status(code: str, label: str) -> None:
    assert codes.account_status_label(code) == label


@pytest.mark.parametrize(
    ("kob", "label"),
    [
        ("BB", "Bank, non-specific"),
        ("BC", "Bank credit card"),
        ("FC", "Credit union"),
        ("EL", "Student loans"),
        ("YC", "Collection agency"),
        ("ZZ", "All others, not elsewhere classified"),
    ],
)
def test_kind_of_business(kob: str, label: str) -> None:
    assert codes.kind_of_business_label(kob) == label


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("1", "Individual"),
        ("2", "Joint account, contractually responsible"),
        ("3", "Authorized user"),
    ],
)
def test_ecoa(code: str, label: str) -> None:
    assert codes.ecoa_label(code) == label


def test_small_tables() -> None:
    assert codes.evaluation_label("P") == "Positive"
    assert codes.amount_qualifier_label("L") == "Credit limit"
    assert codes.amount_qualifier_label("h") == "High balance"
    assert codes.inquiry_type_label("83") == "Prescreen inquiry (post-prescreen or extract)"


@pytest.mark.parametrize(
    ("function", "code"),
    [
        (codes.account_type_label, "X9"),
        (codes.account_status_label, "99"),
        (codes.kind_of_business_label, "QX"),
        (codes.ecoa_label, "Z"),
        (codes.public_record_status_label, "15"),
    ],
)
def test_unknown_codes(function, code: str) -> None:
    assert function(code) == f"unknown (code {code})"


def test_unknown_code_is_reported_without_its_padding_whitespace() -> None:
    assert codes.kind_of_business_label("  QX ") == "unknown (code QX)"


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_missing_codes_are_not_reported(empty: str | None) -> None:
    assert codes.account_type_label(empty) == "not reported"
    assert codes.describe(codes.ECOA, empty) == "not reported"
    assert codes.score_factor_label("V4", empty) == "not reported"


@pytest.mark.parametrize(
    ("function", "padded", "plain"),
    [
        (codes.account_type_label, "7", "07"),
        (codes.account_type_label, " 07 ", "07"),
        (codes.account_type_label, "018", "18"),
        (codes.account_status_label, "011", "11"),
        (codes.account_status_label, "5", "05"),
        (codes.account_status_label, "a1", "A1"),
        (codes.ecoa_label, "01", "1"),
        (codes.kind_of_business_label, "bc", "BC"),
        (codes.kind_of_business_label, " Fc", "FC"),
        (codes.account_type_label, "0a", "0A"),
    ],
)
def test_padding_whitespace_and_case_are_tolerated(function, padded: str, plain: str) -> None:
    assert function(padded) == function(plain)
    assert not function(padded).startswith("unknown")


def test_describe_works_on_any_table() -> None:
    table = {"05": "five", "AB": "letters"}
    assert codes.describe(table, "5") == "five"
    assert codes.describe(table, "ab") == "letters"
    assert codes.describe(table, "06") == "unknown (code 06)"


@pytest.mark.parametrize(
    ("type_code", "kob", "kind"),
    [
        ("18", "BC", "hard"),
        ("00", "FA", "hard"),
        ("26", "FM", "hard"),
        ("1", None, "hard"),  # "01" unsecured loan, unpadded
        ("83", "BC", "soft"),  # prescreen
        ("83", None, "soft"),
        ("18", "IG", "soft"),  # insurance
        (None, "PS", "soft"),  # employment screening
        ("01", "px", "soft"),  # prequalification service
        ("31", "BC", "unknown"),  # credit extension, review or collection
        ("48", "YC", "unknown"),  # collection
        (None, None, "unknown"),
        ("ZZZ", "QX", "unknown"),
    ],
)
def test_inquiry_kind(type_code: str | None, kob: str | None, kind: str) -> None:
    assert codes.inquiry_kind(type_code, kob) == kind


def test_inquiry_kind_kob_is_optional() -> None:
    assert codes.inquiry_kind("18") == "hard"


@pytest.mark.parametrize(
    ("char", "status", "days_late"),
    [
        ("C", "current", None),
        ("N", "current", None),
        ("0", "current", None),
        ("1", "late", 30),
        ("2", "late", 60),
        ("3", "late", 90),
        ("4", "late", 120),
        ("5", "late", 150),
        ("6", "late", 180),
        ("9", "derogatory", None),
        ("-", "no_data", None),
        ("B", "no_data", None),
        ("D", "no_data", None),
        ("G", "derogatory", None),
        ("H", "derogatory", None),
        ("J", "derogatory", None),
        ("K", "derogatory", None),
        ("L", "derogatory", None),
    ],
)
def test_payment_history_characters(char: str, status: str, days_late: int | None) -> None:
    month = codes.decode_payment_month(char)
    assert month.code == char
    assert month.status == status
    assert month.days_late == days_late
    assert month.label == codes.PAYMENT_HISTORY[char]


def test_every_payment_history_character_is_tested() -> None:
    tested = set("CN01234569-BDGHJKL")
    assert set(codes.PAYMENT_HISTORY) == tested


def test_payment_history_lower_case_and_unknown() -> None:
    assert codes.decode_payment_month("c").status == "current"
    unknown = codes.decode_payment_month("Q")
    assert unknown == codes.PaymentCode("Q", "unknown (code Q)", "unknown", None)
    assert codes.decode_payment_month("").status == "no_data"


def test_payment_month_is_frozen() -> None:
    month = codes.decode_payment_month("C")
    with pytest.raises(dataclasses.FrozenInstanceError):
        month.code = "1"  # type: ignore[misc]


def test_risk_model_known() -> None:
    info = codes.risk_model_info("V4")
    assert info == codes.RiskModelInfo("V4", "VantageScore 4.0", 300, 850, range_known=True)
    assert codes.risk_model_info(" af ").name == "FICO Score 8"


def test_risk_model_unknown() -> None:
    info = codes.risk_model_info("RC")
    assert info.name == "unknown (code RC)"
    assert (info.min_score, info.max_score) == (300, 850)
    assert info.range_known is False
    assert codes.risk_model_info(None).name == "not reported"


def test_score_factor_labels() -> None:
    assert codes.score_factor_label("V4", "32") == (
        "Balances on bankcard or revolving accounts are too high compared to credit limits"
    )
    assert codes.score_factor_label("V4", "4") == codes.VANTAGESCORE_FACTORS["04"]
    assert codes.score_factor_label("AF", "08") == "Too many inquiries in the last 12 months"
    assert codes.score_factor_label("F9", "40") == "Derogatory public record or collection filed"
    assert codes.score_factor_label("V4", "25") == "unknown (code 25)"
    assert codes.score_factor_label("RC", "11") == "unknown (code 11)"
    assert codes.score_factor_label(None, "11") == "unknown (code 11)"


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (300, "Poor"),
        (579, "Poor"),
        (580, "Fair"),
        (669, "Fair"),
        (670, "Good"),
        (739, "Good"),
        (740, "Very good"),
        (799, "Very good"),
        (800, "Excellent"),
        (850, "Excellent"),
        (299, "unknown"),
        (851, "unknown"),
    ],
)
def test_fico_bands(score: int, band: str) -> None:
    assert codes.score_band(score, codes.risk_model_info("AF")) == band


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (300, "Very poor"),
        (499, "Very poor"),
        (500, "Poor"),
        (600, "Poor"),
        (601, "Fair"),
        (660, "Fair"),
        (661, "Good"),
        (780, "Good"),
        (781, "Excellent"),
        (850, "Excellent"),
        (9002, "unknown"),
    ],
)
def test_vantagescore_bands(score: int, band: str) -> None:
    assert codes.score_band(score, codes.risk_model_info("V4")) == band


def test_score_band_unknown_model() -> None:
    assert codes.score_band(700, codes.risk_model_info("RC")) == "unknown"


def test_bands_cover_each_range_without_gaps() -> None:
    for _name, low, high, family in codes.RISK_MODELS.values():
        bands = codes.SCORE_BANDS[family]
        assert bands[0][0] == low
        assert bands[-1][1] == high
        for (_, end, _), (start, _, _) in pairwise(bands):
            assert start == end + 1


@given(st.text())
def test_nothing_raises_on_any_string(text: str) -> None:
    for function in (
        codes.account_type_label,
        codes.account_status_label,
        codes.kind_of_business_label,
        codes.ecoa_label,
        codes.public_record_status_label,
        codes.inquiry_type_label,
        codes.evaluation_label,
        codes.amount_qualifier_label,
    ):
        assert isinstance(function(text), str)
    assert codes.inquiry_kind(text, text) in ("hard", "soft", "unknown")
    assert isinstance(codes.score_factor_label(text, text), str)
    info = codes.risk_model_info(text)
    assert isinstance(codes.score_band(700, info), str)
    assert codes.decode_payment_month(text).status in (
        "current",
        "late",
        "derogatory",
        "no_data",
        "unknown",
    )


def test_nothing_raises_on_odd_values() -> None:
    for odd in (7, 7.0, b"07", object()):
        assert isinstance(codes.account_type_label(odd), str)  # type: ignore[arg-type]
        assert isinstance(codes.decode_payment_month(odd), codes.PaymentCode)  # type: ignore[arg-type]
    assert codes.account_type_label(7) == "Charge account"  # type: ignore[arg-type]
    assert codes.score_band("abc", codes.risk_model_info("V4")) == "unknown"  # type: ignore[arg-type]


def test_parser_treats_exotic_digits_and_huge_numbers_as_missing() -> None:
    from integrations.experian.parse import _amount, _date, _int

    assert _int("²") is None
    assert _amount("١٢٣") is None
    assert _amount("9" * 400) is None
    assert _int("-0042") == -42
    assert _amount("00000158") == 158.0
    assert _date("13012020") is None
    assert _date("02292024") is not None


def test_a_leading_blank_month_keeps_the_history_aligned() -> None:
    from datetime import date

    from integrations.experian.parse import parse_tradeline

    line = parse_tradeline({"paymentHistory": " 1CC", "balanceDate": "03152025"}, None)
    months = [(m.month, m.code) for m in line.payment_history]
    assert months[1] == (date(2025, 2, 1), "1")
