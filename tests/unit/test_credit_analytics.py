"""Credit report analytics on hand-built reports; every answer worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from integrations.models import (
    CreditReport,
    Inquiry,
    PaymentMonth,
    PublicRecord,
    RiskScore,
    Tradeline,
)
from services.analytics.credit import (
    account_labels,
    account_summary,
    filter_tradelines,
    history_anchor,
    history_depth,
    inquiries_frame,
    inquiry_counts,
    payment_history_frame,
    public_records_frame,
    tradelines_frame,
)
from services.analytics.credit_score import band_explanation, band_position, factor_meaning
from services.views.privacy import masked_address
from tests.support.frames import tradeline

REPORT_DAY = date(2026, 3, 15)

_STATUS = {
    "C": ("Current", "current", None),
    "1": ("30 days past due", "late", 30),
    "9": ("Collection", "derogatory", None),
    "-": ("No history reported for this month", "no_data", None),
}


def history(newest: date, codes: str) -> tuple[PaymentMonth, ...]:
    """Months newest first from `newest`; "Z" (or any unlisted character) is unknown."""
    months = []
    for offset, code in enumerate(codes):
        year, index = divmod(newest.year * 12 + newest.month - 1 - offset, 12)
        label, status, late = _STATUS.get(code, (f"unknown (code {code})", "unknown", None))
        months.append(PaymentMonth(date(year, index + 1, 1), code, label, status, late))  # type: ignore[arg-type]
    return tuple(months)


def report(
    tradelines: tuple[Tradeline, ...] = (),
    inquiries: tuple[Inquiry, ...] = (),
    scores: tuple[RiskScore, ...] = (),
    public_records: tuple[PublicRecord, ...] = (),
    report_date: date | None = REPORT_DAY,
) -> CreditReport:
    return CreditReport(report_date, scores, tradelines, inquiries, public_records)


def inquiry(day: date | None, kind: str, name: str = "SOME LENDER") -> Inquiry:
    return Inquiry(day, name, "Bank credit card", "18", kind)  # type: ignore[arg-type]


def score(value: int | None, indicator: str = "V4", name: str = "VantageScore 4.0") -> RiskScore:
    return RiskScore(indicator, name, value, 300, 850, "Good", None, ())


# Five accounts: three open cards (one a charge card without a limit), an open auto loan and
# a closed card.
MIXED = report(
    (
        tradeline("ALPHA BANK", "••1111", limit=1000.0, balance=300.0),
        tradeline("BETA CARD SVCS", "••2222", limit=3000.0, balance=200.0),
        tradeline("GAMMA CHARGE", "••3333", limit=None, balance=500.0, account_type="Charge"),
        tradeline(
            "DELTA AUTO",
            "••4444",
            kind="installment",
            limit=None,
            balance=12000.0,
            original=20000.0,
            account_type="Auto loan",
        ),
        tradeline("ALPHA BANK", "••5555", is_open=False, limit=2000.0, balance=0.0),
    )
)


# --- Account summary -------------------------------------------------------------------------


def test_summary_counts_open_closed_revolving_and_installment() -> None:
    summary = account_summary(MIXED)
    assert (summary.accounts, summary.open_accounts, summary.closed_accounts) == (5, 4, 1)
    assert (summary.open_revolving, summary.open_installment) == (3, 1)


def test_summary_totals_cover_open_accounts_only() -> None:
    summary = account_summary(MIXED)
    assert summary.revolving_balance == 300 + 200 + 500
    assert summary.revolving_limit == 1000 + 3000  # the closed card's 2000 no longer counts
    assert summary.installment_balance == 12000
    assert summary.installment_original == 20000
    assert summary.total_balance == 300 + 200 + 500 + 12000


def test_utilization_on_file_leaves_out_a_balance_without_a_limit() -> None:
    # (300 + 200) / (1000 + 3000): the charge card's 500 has no limit to be divided by.
    assert account_summary(MIXED).revolving_utilization == pytest.approx(0.125)


def test_empty_report_summary_is_zero_and_has_no_utilization() -> None:
    summary = account_summary(report())
    assert summary.accounts == summary.open_accounts == 0
    assert summary.revolving_balance == summary.revolving_limit == 0
    assert summary.revolving_utilization is None


# --- Tradeline filters -----------------------------------------------------------------------


def test_filters_by_status_type_and_creditor() -> None:
    frame = tradelines_frame(MIXED)
    assert len(filter_tradelines(frame)) == 5
    assert len(filter_tradelines(frame, "open")) == 4
    assert list(filter_tradelines(frame, "closed")["account_number"]) == ["••5555"]
    assert list(filter_tradelines(frame, types=["Auto loan"])["creditor"]) == ["DELTA AUTO"]
    assert len(filter_tradelines(frame, creditors=["ALPHA BANK"])) == 2
    assert list(filter_tradelines(frame, "open", ["Credit card"], ["ALPHA BANK"]).index) == [0]


def test_filters_on_an_empty_report_give_an_empty_frame() -> None:
    assert filter_tradelines(tradelines_frame(report()), "open", ["Credit card"]).empty


# --- Payment history -------------------------------------------------------------------------


def test_history_window_counts_back_from_the_report_month() -> None:
    line = tradeline(months=history(date(2026, 3, 1), "C1CC"))  # Mar, Feb (late), Jan, Dec
    frame = payment_history_frame(report((line,)), months=3)
    assert list(frame["period"]) == ["2026-03", "2026-02", "2026-01"]
    assert list(frame["status"]) == ["current", "late", "current"]
    assert len(payment_history_frame(report((line,)), months=24)) == 4


def test_history_of_a_closed_account_is_blank_after_it_stopped_reporting() -> None:
    closed = tradeline(is_open=False, months=history(date(2025, 10, 1), "CCC"))
    assert payment_history_frame(report((closed,)), months=3).empty
    # Seven months back from March 2026 starts in September 2025; August is outside.
    seven = payment_history_frame(report((closed,)), months=7)
    assert list(seven["period"]) == ["2025-10", "2025-09"]


def test_unknown_history_codes_keep_their_label_and_status() -> None:
    line = tradeline(months=history(date(2026, 3, 1), "Z9-"))
    frame = payment_history_frame(report((line,)), months=24)
    assert list(frame["status"]) == ["unknown", "derogatory", "no_data"]
    assert frame["label"].iloc[0] == "unknown (code Z)"


def test_history_without_a_report_date_ends_on_the_newest_month() -> None:
    line = tradeline(months=history(date(2025, 7, 1), "CCCC"))
    undated = report((line,), report_date=None)
    assert history_anchor(undated) == date(2025, 7, 1)
    assert len(payment_history_frame(undated, months=2)) == 2


def test_history_depth_and_an_empty_history() -> None:
    lines = (tradeline(months=history(date(2026, 3, 1), "CC")), tradeline("B", "••2"))
    assert history_depth(report(lines)) == 2
    assert history_depth(report()) == 0
    assert payment_history_frame(report(report_date=None), months=24).empty


def test_repeated_account_labels_are_numbered() -> None:
    same = tradeline("SUMMIT AUTO", "••XXXX")
    assert account_labels(report((same, same, tradeline()))) == (
        "SUMMIT AUTO ••XXXX (1)",
        "SUMMIT AUTO ••XXXX (2)",
        "ALPHA BANK ••1111",
    )


# --- Inquiries and public records ------------------------------------------------------------

INQUIRIES = report(
    inquiries=(
        inquiry(date(2024, 2, 29), "hard", "OLD LENDER"),
        inquiry(date(2026, 1, 10), "soft", "PRESCREEN"),
        inquiry(date(2025, 1, 31), "hard", "CARD ISSUER"),
        inquiry(None, "unknown", "COLLECTOR"),
    )
)


def test_hard_inquiries_stop_counting_24_months_later() -> None:
    frame = inquiries_frame(INQUIRIES)
    stops = dict(zip(frame["company"], frame["stops_counting"], strict=True))
    assert stops["CARD ISSUER"] == date(2027, 1, 31)
    assert stops["OLD LENDER"] == date(2026, 2, 28)  # no Feb 29 in 2026
    assert stops["PRESCREEN"] is None
    assert stops["COLLECTOR"] is None


def test_inquiries_newest_first_undated_last() -> None:
    assert list(inquiries_frame(INQUIRIES)["company"]) == [
        "PRESCREEN",
        "CARD ISSUER",
        "OLD LENDER",
        "COLLECTOR",
    ]


def test_inquiry_counts_and_next_drop_off() -> None:
    counts = inquiry_counts(INQUIRIES, today=REPORT_DAY)
    assert (counts.hard, counts.soft, counts.unknown) == (2, 1, 1)
    assert counts.hard_still_counting == 1  # the Feb 2024 one dropped off on Feb 28, 2026
    assert counts.next_drop_off == date(2027, 1, 31)


def test_no_inquiries() -> None:
    assert inquiries_frame(report()).empty
    counts = inquiry_counts(report(), today=REPORT_DAY)
    assert (counts.hard, counts.soft, counts.hard_still_counting) == (0, 0, 0)
    assert counts.next_drop_off is None


def test_public_records_frame_keeps_an_unknown_status_as_text() -> None:
    record = PublicRecord(
        "US BKPT CT", date(2019, 3, 18), 31850.0, "15", "unknown (code 15)", None, None
    )
    frame = public_records_frame(report(public_records=(record,)))
    assert frame.to_dict("records")[0]["status"] == "unknown (code 15)"
    assert frame["amount"].iloc[0] == 31850.0
    assert public_records_frame(report()).empty


# --- Score band and factors ------------------------------------------------------------------


def test_band_explanation_names_the_band_and_the_distance_to_the_next() -> None:
    assert band_explanation(score(712)) == (
        "Good runs from 661 to 780; Excellent starts at 781, 69 points up."
    )


def test_band_explanation_in_the_top_band() -> None:
    assert band_explanation(score(800)) == "Excellent (781–850) is the model's top band."


def test_fico_scores_use_the_fico_bands() -> None:
    position = band_position(score(739, "AF", "FICO Score 8"))
    assert position is not None
    assert (position.band.label, position.band.low, position.band.high) == ("Good", 670, 739)
    assert position.next_band is not None
    assert position.next_band.label == "Very good"


def test_no_score_and_unknown_model_explanations() -> None:
    assert "could not compute a score" in band_explanation(score(None))
    unknown = score(700, "ZZ", "unknown (code ZZ)")
    assert band_position(unknown) is None
    assert band_explanation(unknown) == "This app knows no published bands for this scoring model."


@pytest.mark.parametrize(
    ("description", "meaning_starts"),
    [
        ("Balances on bankcard or revolving accounts are too high compared to credit limits",
         "Card balances are high"),
        ("There is a bankruptcy on your credit report", "A public record"),
        ("Your newest delinquent or derogatory payment status is too recent", "Late or missed"),
        ("Your most recently opened account is too new", "The file is young"),
        ("Too many inquiries in the last 12 months", "Recent credit applications"),
        ("Balances on installment accounts are too high compared to their loan amounts",
         "Loan balances"),
        ("No recent revolving balances", "The file has little recent"),
        ("Too few of your bankcard or other revolving accounts have high limits",
         "Your card limits are small"),
        ("unknown (code 77)", "The bureau sent a factor code"),
        ("Something no table says", "A factor the scoring model reported"),
    ],
)  # fmt: skip
def test_each_factor_gets_a_plain_meaning(description: str, meaning_starts: str) -> None:
    assert factor_meaning(description).startswith(meaning_starts)


# --- Privacy ---------------------------------------------------------------------------------


def test_masked_address_hides_the_house_number_and_the_zip_tail() -> None:
    assert masked_address("1420 LARKSPUR LN", "SPRINGFIELD", "IL", "627040000") == (
        "••• LARKSPUR LN, SPRINGFIELD IL 627••"
    )
    assert masked_address("", "", "", "") == ""
