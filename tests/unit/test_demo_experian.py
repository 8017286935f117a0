from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from integrations.demo.experian import DEMO_UNKNOWN_PUBLIC_RECORD_STATUS, experian_demo_report
from integrations.experian import codes

TODAY = date(2025, 3, 14)
EDGE_DAYS = [
    date(2024, 2, 29),
    date(2025, 1, 31),
    date(2023, 12, 31),
    date(2026, 7, 1),
    TODAY,
]

DATE_KEYS = {
    "openDate",
    "balanceDate",
    "lastPaymentDate",
    "statusDate",
    "paymentLevelDate",
    "date",
    "filingDate",
    "firstReportedDate",
    "lastUpdatedDate",
    "y2kReportedDate",
    "oldestTradeDate",
}


def _profile(today: date = TODAY) -> dict[str, Any]:
    body = experian_demo_report(today)
    assert list(body) == ["creditProfile"]
    assert len(body["creditProfile"]) == 1
    return body["creditProfile"][0]


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _day(text: str) -> date:
    return datetime.strptime(text, "%m%d%Y").date()


def test_deterministic_for_a_fixed_day() -> None:
    assert experian_demo_report(TODAY) == experian_demo_report(TODAY)
    assert json.dumps(experian_demo_report(TODAY), sort_keys=True) == json.dumps(
        experian_demo_report(date(2025, 3, 14)), sort_keys=True
    )


def test_dates_move_with_today() -> None:
    later = _profile(TODAY + timedelta(days=40))
    assert later["tradeline"][0]["openDate"] != _profile()["tradeline"][0]["openDate"]


@pytest.mark.parametrize("today", EDGE_DAYS)
def test_every_leaf_is_a_string(today: date) -> None:
    leaves = list(_leaves(experian_demo_report(today)))
    assert leaves
    for path, value in leaves:
        assert isinstance(value, str), path


@pytest.mark.parametrize("today", EDGE_DAYS)
def test_dates_are_valid_and_never_in_the_future(today: date) -> None:
    profile = _profile(today)
    header = profile["headerRecord"][0]
    assert header["reportDate"] == today.strftime("%m%d%y")
    for path, value in _leaves(profile):
        key = path.rsplit(".", 1)[-1]
        if key in DATE_KEYS:
            assert len(value) == 8, path
            assert _day(value) <= today, path


@pytest.mark.parametrize("today", EDGE_DAYS)
def test_tradelines_are_consistent(today: date) -> None:
    for line in _profile(today)["tradeline"]:
        months = int(line["monthsHistory"])
        assert (
            line["paymentHistory"] == line["enhancedPaymentData"]["enhancedPaymentHistory84"][:25]
        )
        assert len(line["paymentHistory"]) == min(months, 25)
        assert len(line["enhancedPaymentData"]["enhancedPaymentHistory84"]) == min(months, 84)
        assert _day(line["openDate"]) <= _day(line["balanceDate"])
        for key in ("amount1", "balanceAmount"):
            assert len(line[key]) == 8
            assert line[key].isdigit()
        enhanced = line["enhancedPaymentData"]
        if line["amount1Qualifier"] == "L":
            assert int(enhanced["creditLimitAmount"]) == int(line["amount1"])
            assert line["amount2Qualifier"] == "H"
            assert int(enhanced["highBalanceAmount"]) == int(line["amount2"])
            assert line["revolvingOrInstallment"] == "R"
        elif line["amount1Qualifier"] == "H":  # a charge card: no limit, only a high balance
            assert "creditLimitAmount" not in enhanced
            assert int(enhanced["highBalanceAmount"]) == int(line["amount1"])
            assert line["revolvingOrInstallment"] == "R"
        else:
            assert line["amount1Qualifier"] == "O"
            assert int(enhanced["originalLoanAmount"]) == int(line["amount1"])
            assert line["revolvingOrInstallment"] == "I"


def test_about_ten_tradelines_with_the_expected_mix() -> None:
    lines = _profile()["tradeline"]
    assert 8 <= len(lines) <= 12
    types = [line["accountType"] for line in lines]
    assert {"18", "00", "12", "26", "07"} <= set(types)


def test_plaid_cards_are_present() -> None:
    lines = _profile()["tradeline"]
    endings = {
        (line["subscriberName"], line["accountNumber"][-4:])
        for line in lines
        if line["revolvingOrInstallment"] == "R"
    }
    assert {
        ("HARBORLINE BANK", "4821"),
        ("HARBORLINE BANK", "7710"),
        ("JUNIPER CARD SVCS", "0374"),
    } <= endings


def test_exactly_one_tradeline_with_a_30_day_late() -> None:
    lines = _profile()["tradeline"]
    late = [line for line in lines if "1" in line["paymentHistory"]]
    assert len(late) == 1
    assert late[0]["delinquencies30Days"] == "01"
    assert late[0]["subscriberName"] == "JUNIPER CARD SVCS"
    assert late[0]["paymentHistory"].index("1") >= 2  # a few months back, not this month
    others = [line for line in lines if line is not late[0]]
    assert all(line["delinquencies30Days"] == "00" for line in others)
    for line in lines:
        assert not set("23456") & set(line["paymentHistory"])


def test_exactly_one_closed_tradeline() -> None:
    closed = [line for line in _profile()["tradeline"] if line["openOrClosed"] == "C"]
    assert len(closed) == 1
    assert closed[0]["balanceAmount"] == "00000000"
    assert codes.account_status_label(closed[0]["status"]) == "Paid account, zero balance"


@pytest.mark.parametrize("today", EDGE_DAYS)
def test_inquiries(today: date) -> None:
    inquiries = _profile(today)["inquiry"]
    assert len(inquiries) == 3
    kinds = [(codes.inquiry_kind(i["type"], i["kob"]), today - _day(i["date"])) for i in inquiries]
    hard = sorted(age for kind, age in kinds if kind == "hard")
    soft = [age for kind, age in kinds if kind == "soft"]
    assert len(hard) == 2
    assert len(soft) == 1
    assert hard[0] <= timedelta(days=30)
    assert timedelta(days=200) <= hard[1] <= timedelta(days=280)


def test_one_public_record() -> None:
    records = _profile()["publicRecord"]
    assert len(records) == 1
    record = records[0]
    assert {"courtName", "courtCode", "filingDate", "amount", "status", "statusDate"} <= set(record)
    assert _day(record["filingDate"]) < _day(record["statusDate"])
    assert (TODAY - _day(record["filingDate"])).days < 10 * 365  # still reportable


def test_risk_model() -> None:
    (model,) = _profile()["riskModel"]
    assert model["modelIndicator"] == "V4"
    assert model["score"] == "0712"
    info = codes.risk_model_info(model["modelIndicator"])
    assert info.name == "VantageScore 4.0"
    assert codes.score_band(int(model["score"]), info) == "Good"
    factors = model["scoreFactors"]
    assert [f["importance"] for f in factors] == ["1", "2", "3", "4"]


def _used_codes(profile: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(where, code, label) for every coded value in the body."""
    for line in profile["tradeline"]:
        enhanced = line["enhancedPaymentData"]
        yield "accountType", line["accountType"], codes.account_type_label(line["accountType"])
        yield (
            "enhancedAccountType",
            enhanced["enhancedAccountType"],
            codes.account_type_label(enhanced["enhancedAccountType"]),
        )
        yield "kob", line["kob"], codes.kind_of_business_label(line["kob"])
        yield "status", line["status"], codes.account_status_label(line["status"])
        for key in ("enhancedAccountCondition", "enhancedPaymentStatus"):
            yield key, enhanced[key], codes.account_status_label(enhanced[key])
        yield "ecoa", line["ecoa"], codes.ecoa_label(line["ecoa"])
        yield "evaluation", line["evaluation"], codes.evaluation_label(line["evaluation"])
        for slot in ("amount1Qualifier", "amount2Qualifier"):
            if slot in line:
                yield slot, line[slot], codes.amount_qualifier_label(line[slot])
        for history in (line["paymentHistory"], enhanced["enhancedPaymentHistory84"]):
            for char in history:
                yield "paymentHistory", char, codes.decode_payment_month(char).label
    for inquiry in profile["inquiry"]:
        yield "inquiry.type", inquiry["type"], codes.inquiry_type_label(inquiry["type"])
        yield "inquiry.kob", inquiry["kob"], codes.kind_of_business_label(inquiry["kob"])
    for record in profile["publicRecord"]:
        yield (
            "publicRecord.status",
            record["status"],
            codes.public_record_status_label(record["status"]),
        )
        yield "publicRecord.ecoa", record["ecoa"], codes.ecoa_label(record["ecoa"])
        yield (
            "publicRecord.evaluation",
            record["evaluation"],
            codes.evaluation_label(record["evaluation"]),
        )
    for model in profile["riskModel"]:
        info = codes.risk_model_info(model["modelIndicator"])
        yield "modelIndicator", model["modelIndicator"], info.name
        yield "evaluation", model["evaluation"], codes.evaluation_label(model["evaluation"])
        for factor in model["scoreFactors"]:
            yield (
                "scoreFactor",
                factor["code"],
                codes.score_factor_label(model["modelIndicator"], factor["code"]),
            )


@pytest.mark.parametrize("today", EDGE_DAYS)
def test_every_code_is_known_except_the_deliberate_one(today: date) -> None:
    used = list(_used_codes(_profile(today)))
    unknown = [(where, code) for where, code, label in used if label.startswith("unknown (code")]
    assert unknown == [("publicRecord.status", DEMO_UNKNOWN_PUBLIC_RECORD_STATUS)]
    assert all(label != "not reported" for _, _, label in used)


def test_identity_is_fictional() -> None:
    profile = _profile()
    assert profile["ssn"][0]["number"].startswith("666")
    assert len(profile["ssn"][0]["number"]) == 9
    dob = profile["consumerIdentity"]["dob"]
    assert date(int(dob["year"]), int(dob["month"]), int(dob["day"]))
    assert profile["consumerIdentity"]["phone"][0]["number"][3:6] == "555"
    assert len(profile["addressInformation"]) == 2
    assert len(profile["employmentInformation"]) == 1
    assert 1 <= len(profile["informationalMessage"]) <= 2


def test_summaries_agree_with_the_body() -> None:
    profile = _profile()
    (summary,) = profile["summaries"]
    assert summary["summaryType"] == "Profile Summary"
    values = {a["id"]: a["value"] for a in summary["attributes"]}
    assert values["totalTradeItems"] == str(len(profile["tradeline"]))
    assert values["totalInquiries"] == str(len(profile["inquiry"]))
    assert values["publicRecordsCount"] == str(len(profile["publicRecord"]))
    assert values["delinquencies30Days"] == "1"
    assert 0 <= int(values["revolvingAvailablePercent"]) <= 100
