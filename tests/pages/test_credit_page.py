"""The credit report page in AppTest.

On demo data every number is checked against a derivation straight from the raw demo bodies
(plain loops over the JSON, as in tests/support/demo_expectations.py), never through the
parser or the services under test. Edge cases run the page on hand-built reports.
"""

from __future__ import annotations

import calendar
import json
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from integrations.demo.experian import experian_demo_report
from integrations.demo.plaid import plaid_demo_items
from integrations.models import (
    CreditReport,
    Inquiry,
    PaymentMonth,
    PublicRecord,
    RiskScore,
    ScoreFactor,
)
from services.runtime import bank_data, credit_file
from services.views.format import plain
from tests.support import demo_expectations as expect
from tests.support.apps import app_test
from tests.support.clock import TODAY
from tests.support.frames import tradeline

PAGE = "pages/credit_report.py"
SOFT_INQUIRY_TYPES = {"83"}  # the demo's one soft inquiry is a prescreen


# --- Independent expectations from the raw demo bodies ---------------------------------------


def raw_profile(today: date) -> dict[str, Any]:
    return experian_demo_report(today)["creditProfile"][0]


def raw_date(text: str) -> date:
    return date(int(text[4:]), int(text[:2]), int(text[2:4]))


def months_back(day: date, months: int) -> date:
    year, index = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, index + 1, 1)


def two_years_later(day: date) -> date:
    last = calendar.monthrange(day.year + 2, day.month)[1]
    return date(day.year + 2, day.month, min(day.day, last))


def raw_limit(line: dict[str, Any]) -> int | None:
    for slot in ("amount1", "amount2"):
        if line.get(f"{slot}Qualifier") == "L":
            return int(line[slot])
    return None


def open_revolving(today: date) -> list[dict[str, Any]]:
    return [
        t
        for t in raw_profile(today)["tradeline"]
        if t["openOrClosed"] == "O" and t["revolvingOrInstallment"] == "R"
    ]


def history_cells(today: date, months: int) -> list[tuple[str, str]]:
    """(account number, YYYY-MM) of every reported month within `months` of the report."""
    profile = raw_profile(today)
    header = profile["headerRecord"][0]["reportDate"]
    report_month = date(2000 + int(header[4:]), int(header[:2]), 1)
    first = months_back(report_month, months - 1)
    cells = []
    for line in profile["tradeline"]:
        newest = raw_date(line["balanceDate"]).replace(day=1)
        # The enhanced 84-month history covers more than the 25 months of paymentHistory.
        history = line.get("enhancedPaymentData", {}).get("enhancedPaymentHistory84", "")
        for offset, _code in enumerate(max(line["paymentHistory"], history, key=len)):
            month = months_back(newest, offset)
            if month >= first:
                cells.append((line["accountNumber"], f"{month:%Y-%m}"))
    return cells


def raw_linked_cards(today: date) -> list[dict[str, Any]]:
    statements = {
        c["account_id"]: c["last_statement_balance"] for c in expect.raw_liabilities(today)
    }
    return [
        {**a, "institution": item.institution["institution"]["name"],
         "statement": statements.get(a["account_id"])}
        for item in plaid_demo_items(today)
        for a in item.accounts_get["accounts"]
        if a["type"] == "credit"
    ]  # fmt: skip


def expected_crosscheck(today: date) -> dict[str, list[tuple[str, str]]]:
    """Pairs by the last four digits first, then by the issuer's first word, one to one."""
    lines = [t for t in raw_profile(today)["tradeline"] if t["revolvingOrInstallment"] == "R"]
    cards = raw_linked_cards(today)
    pairs = []
    for card in list(cards):
        same = [t for t in lines if t["accountNumber"][-4:] == card["mask"]]
        if len(same) == 1:
            pairs.append((same[0]["accountNumber"][-4:], card["mask"]))
            lines.remove(same[0])
            cards.remove(card)

    def issuer(name: str) -> str:
        return name.split()[0].lower()

    def same_issuer(line: dict[str, Any], card: dict[str, Any]) -> bool:
        return issuer(line["subscriberName"]) == issuer(card["institution"])

    for card in list(cards):
        same = [
            t
            for t in lines
            if t["openOrClosed"] == "O"
            and issuer(t["subscriberName"]) == issuer(card["institution"])
        ]
        rivals = [c for c in cards if issuer(c["institution"]) == issuer(card["institution"])]
        if len(same) == 1 and len(rivals) == 1:
            pairs.append((same[0]["accountNumber"][-4:], card["mask"]))
            lines.remove(same[0])
            cards.remove(card)
    return {
        "matched": pairs,
        "not linked": [(t["accountNumber"][-4:], "") for t in lines if t["openOrClosed"] == "O"],
        "not on report": [("", c["mask"]) for c in cards],
    }


# --- Helpers ---------------------------------------------------------------------------------


def run_page() -> AppTest:
    at = app_test().run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error if "Something went wrong" in e.value]
    return at


def metric(at: AppTest, label: str) -> str:
    found = [m.value for m in at.metric if m.label == label]
    assert found, f"no metric {label!r} among {[m.label for m in at.metric]}"
    return found[0]


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The one dataframe on the page that has `column`."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert len(found) == 1, f"{len(found)} tables with {column!r}"
    return found[0]


def history_chart_rows(at: AppTest) -> pd.DataFrame:
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert spec["mark"]["type"] == "rect"
    # Streamlit moves the chart's data out of the spec into Arrow datasets, by name.
    (dataset,) = [d for d in chart.proto.datasets if d.name == spec["data"]["name"]]
    return pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()


def digits(masked: object) -> str:
    return "" if pd.isna(masked) else str(masked).removeprefix("••")


def percent(ratio: float) -> str:
    return f"{ratio * 100:.0f}%"


def dollars(amount: float) -> str:
    return f"${amount:,.2f}"


# --- Demo data -------------------------------------------------------------------------------


def test_score_and_account_summary_match_the_demo_body() -> None:
    today = TODAY
    at = run_page()
    profile = raw_profile(today)
    lines = profile["tradeline"]
    revolving = open_revolving(today)
    with_limit = [t for t in revolving if raw_limit(t)]
    limit = sum(raw_limit(t) or 0 for t in with_limit)

    assert metric(at, "Credit score") == str(int(profile["riskModel"][0]["score"]))
    assert metric(at, "Open accounts") == str(sum(t["openOrClosed"] == "O" for t in lines))
    assert metric(at, "Closed accounts") == str(sum(t["openOrClosed"] == "C" for t in lines))
    assert metric(at, "Revolving balances") == dollars(
        sum(int(t["balanceAmount"]) for t in revolving)
    )
    assert metric(at, "Revolving limits") == dollars(limit)
    assert metric(at, "Utilization on file") == percent(
        sum(int(t["balanceAmount"]) for t in with_limit) / limit
    )
    # The bureau's own summary says the same (it gives the available share, rounded).
    attributes = {a["id"]: a["value"] for a in profile["summaries"][0]["attributes"]}
    assert (
        metric(at, "Utilization on file")
        == f"{100 - int(attributes['revolvingAvailablePercent'])}%"
    )


def test_score_band_and_factors_are_explained() -> None:
    at = run_page()
    captions = " ".join(c.value for c in at.caption)
    assert "VantageScore 4\\.0, range 300–850: **Good**" in captions
    assert "Good runs from 661 to 780; Excellent starts at 781" in captions
    factors = raw_profile(TODAY)["riskModel"][0]["scoreFactors"]
    numbered = [m.value for m in at.markdown if m.value[:1].isdigit()]
    assert len(numbered) == len(factors)
    assert numbered[0].startswith("1\\. Balances on bankcard")  # importance 1 is code 32


def test_tradeline_filters_match_the_demo_body() -> None:
    lines = raw_profile(TODAY)["tradeline"]
    at = run_page()
    assert len(table(at, "account_number")) == len(lines)
    at.radio(key="tl_status").set_value("Open").run()
    assert len(table(at, "account_number")) == sum(t["openOrClosed"] == "O" for t in lines)
    at.radio(key="tl_status").set_value("All").run()
    at.multiselect(key="tl_type").set_value(["Credit card"]).run()  # account type "18"
    assert len(table(at, "account_number")) == sum(t["accountType"] == "18" for t in lines)
    at.multiselect(key="tl_type").set_value([]).run()
    at.multiselect(key="tl_creditor").set_value(["HARBORLINE BANK"]).run()
    shown = table(at, "account_number")
    assert sorted(shown["account_number"]) == sorted(
        f"••{t['accountNumber'][-4:]}" for t in lines if t["subscriberName"] == "HARBORLINE BANK"
    )


def test_inquiries_and_drop_off_dates_match_the_demo_body() -> None:
    inquiries = raw_profile(TODAY)["inquiry"]
    hard = [i for i in inquiries if i["type"] not in SOFT_INQUIRY_TYPES]
    at = run_page()
    assert metric(at, "Hard inquiries") == str(len(hard))
    assert metric(at, "Soft inquiries") == str(len(inquiries) - len(hard))
    frame = table(at, "stops_counting")
    assert len(frame) == len(inquiries)
    stops = {d for d in frame["stops_counting"] if pd.notna(d)}
    assert stops == {two_years_later(raw_date(i["date"])) for i in hard}


def test_payment_history_grid_has_one_cell_per_account_month() -> None:
    today = TODAY
    at = run_page()
    rows = history_chart_rows(at)
    assert len(rows) == len(history_cells(today, 24))
    assert not rows.duplicated(["account", "period"]).any()
    late = sum(
        1
        for t in raw_profile(today)["tradeline"]
        for code in t["paymentHistory"][:24]
        if code in "123456"
    )
    assert (rows["status_name"] == "Late").sum() == late
    at.radio(key="ph_months").set_value(84).run()
    assert len(history_chart_rows(at)) == len(history_cells(today, 84))


def test_crosscheck_rows_match_the_demo_bodies() -> None:
    today = TODAY
    expected = expected_crosscheck(today)
    at = run_page()
    frame = table(at, "bank_card")
    assert metric(at, "Cards matched") == str(len(expected["matched"]))
    assert metric(at, "On the report, not linked") == str(len(expected["not linked"]))
    assert metric(at, "Linked, not on the report") == str(len(expected["not on report"]))
    for status, pairs in expected.items():
        rows = frame[frame["status"] == status]
        found = [
            (
                str(r).removeprefix("••") if pd.notna(r) else "",
                str(b).removeprefix("••") if pd.notna(b) else "",
            )
            for r, b in zip(rows["report_account"], rows["bank_account"], strict=True)
        ]
        assert sorted(found) == sorted(pairs), status


def test_crosscheck_differences_match_the_demo_bodies() -> None:
    today = TODAY
    lines = {t["accountNumber"][-4:]: t for t in raw_profile(today)["tradeline"]}
    cards = {c["mask"]: c for c in raw_linked_cards(today)}
    at = run_page()
    frame = table(at, "bank_card")
    matched = frame[frame["status"] == "matched"]
    assert len(matched) == 3  # every linked demo card is on the report, matched by number
    assert set(matched["matched_by"]) == {"number and name"}
    for row in matched.itertuples(index=False):
        line = lines[row.report_account[-4:]]
        card = cards[row.bank_account[-4:]]
        if raw_limit(line) is None:
            assert pd.isna(row.report_limit)
        else:
            assert row.report_limit == raw_limit(line)
        if card["balances"]["limit"] is None or raw_limit(line) is None:
            assert pd.isna(row.limit_difference)
        else:
            assert row.limit_difference == raw_limit(line) - card["balances"]["limit"]
        owed = max(card["statement"], 0.0)
        assert row.balance_difference == pytest.approx(int(line["balanceAmount"]) - owed)


def test_the_linked_student_loan_matches_its_installment_tradeline() -> None:
    (account,) = expect.raw_loan_accounts(TODAY)
    line = next(
        t
        for t in raw_profile(TODAY)["tradeline"]
        if t["subscriberName"] == "CEDARLINE STUDENT LOAN"
    )
    at = run_page()
    assert metric(at, "Loans matched") == "1"
    assert metric(at, "Loans on the report, not linked") == "1"  # the joint mortgage
    assert metric(at, "Loans linked, not on the report") == "0"
    loans = table(at, "bank_loan")
    (row,) = loans[loans["status"] == "matched"].to_dict("records")
    assert (row["creditor"], row["bank_loan"]) == ("CEDARLINE STUDENT LOAN", account["name"])
    assert row["report_balance"] == int(line["balanceAmount"]) == 9_870
    assert row["balance_difference"] == pytest.approx(9_870 - account["balances"]["current"])
    assert not row["balance_flag"]


def test_linked_card_utilization_is_set_beside_the_bureaus() -> None:
    _owed, _limit, ratio = expect.overall_utilization(TODAY)
    at = run_page()
    assert metric(at, "Utilization from linked cards") == percent(ratio)


def test_personal_information_is_masked() -> None:
    at = run_page()
    shown = " ".join(t.value for t in at.text)
    assert "J••• Q••• D•••" in shown
    assert "1420" not in shown  # house number
    assert "627040000" not in shown
    assert "SSN MATCHES" in shown  # the bureau's informational message


# --- Hand-built reports ----------------------------------------------------------------------

EMPTY = CreditReport(None, (), (), (), ())

EVIL = "<b>EVIL</b> [click](http://evil.example) :red[x]"
ODD = CreditReport(
    report_date=date(2026, 3, 15),
    scores=(
        RiskScore(
            "ZZ",
            f"unknown (code {EVIL})",
            None,
            300,
            850,
            "No score",
            None,
            (ScoreFactor(1, "77", "unknown (code 77)"),),
        ),
    ),
    tradelines=(
        tradeline(
            "ODD LENDER",
            "••0000",
            kind="unknown",
            account_type="unknown (code QZ)",
            months=(PaymentMonth(date(2026, 3, 1), "Z", "unknown (code Z)", "unknown", None),),
        ),
        tradeline(EVIL, "••4821", limit=9000.0),
    ),
    inquiries=(Inquiry(date(2026, 1, 2), EVIL, "unknown (code QQ)", "31", "unknown"),),
    public_records=(PublicRecord("COURT", None, None, "99", "unknown (code 99)", None, None),),
)


def test_a_report_with_nothing_in_it_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credit_file, "credit_report", lambda settings: EMPTY)
    at = run_page()
    infos = " ".join(i.value for i in at.info)
    assert "This report carries no score." in infos
    assert "No payment history on file." in infos
    assert any("No public records" in s.value for s in at.success)
    assert metric(at, "Open accounts") == "0"
    assert metric(at, "Utilization on file") == "—"
    assert metric(at, "Hard inquiries") == "0"
    assert table(at, "account_number").empty
    # Every linked demo card is missing from an empty report.
    assert set(table(at, "bank_card")["status"]) == {"not on report"}
    assert set(table(at, "bank_loan")["status"]) == {"not on report"}  # the student loan


def test_unknown_codes_and_upstream_markup_render_as_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(credit_file, "credit_report", lambda settings: ODD)
    at = run_page()
    assert metric(at, "Credit score") == "—"
    rows = history_chart_rows(at)
    assert list(rows["status_name"]) == ["Unknown code"]
    assert list(rows["label"]) == ["unknown (code Z)"]
    assert table(at, "court")["status"].tolist() == ["unknown (code 99)"]
    assert table(at, "stops_counting")["kind"].tolist() == ["unknown"]
    # The demo card ••4821 matches by number; its limit differs, so the creditor is named in a
    # warning, escaped.
    warnings = [w.value for w in at.warning]
    assert any(plain(EVIL) in w for w in warnings), warnings
    markdown = [e.value for e in (*at.markdown, *at.caption, *at.warning, *at.info)]
    assert not [m for m in markdown if "<b>" in m.replace("\\<b\\>", "")]


def test_without_linked_cards_the_crosscheck_says_how_to_link(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bank_data, "snapshot", lambda settings, early=False: None)
    at = run_page()
    assert any("Link a credit card" in i.value for i in at.info)
    assert not [d for d in at.dataframe if "matched_by" in d.value.columns]
