"""Unusual activity on small frames where each finding is worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from services.analytics.cards import cards_frame
from services.analytics.unusual import find_unusual, recent
from services.views.alerts import build_alerts, unusual_activity_alerts
from tests.support.frames import ITEM, frame, tx

TODAY = date(2026, 3, 10)


def on(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def history(
    merchant: str, amounts: list[float], start_days_ago: int = 200, every: int = 10
) -> list[dict[str, object]]:
    """Ordinary charges at one merchant, one every ``every`` days."""
    return [
        tx(f"{merchant}-{i}", on(start_days_ago - i * every), a, merchant=merchant)
        for i, a in enumerate(amounts)
    ]


def kinds(found: pd.DataFrame) -> list[tuple[str, str]]:
    return sorted(zip(found["transaction_id"], found["kind"], strict=True))


def test_charge_three_times_the_merchant_median_is_far_above_usual() -> None:
    rows = history("Grocer", [40.0, 42.0, 38.0, 41.0, 39.0, 40.0])
    # The usual is the median of all eight charges, 40.50; three times that is 121.50.
    rows.append(tx("big", on(3), 125.0, merchant="Grocer"))
    rows.append(tx("fine", on(2), 115.0, merchant="Grocer"))
    found = find_unusual(frame(*rows))
    assert kinds(found) == [("big", "far_above_usual")]
    assert found["usual_amount"].iloc[0] == 40.5
    assert found["compared_with"].iloc[0] == "merchant"


def test_small_absolute_jumps_are_not_news() -> None:
    rows = history("Coffee", [3.0] * 8)
    rows.append(tx("triple", on(1), 9.5, merchant="Coffee"))  # 3x, but only 6.50 more
    assert find_unusual(frame(*rows)).empty


def test_merchant_without_history_is_compared_with_its_category() -> None:
    usual = [
        tx(f"c{i}", on(150 - i), 20.0, merchant=f"Cafe {i}") for i in range(10)
    ]  # ten cafes, one charge each: the category's median is 20
    rows = [*usual, tx("new", on(5), 70.0, merchant="Cafe 99")]
    found = find_unusual(frame(*rows))
    assert kinds(found) == [("new", "far_above_usual")]
    assert found["compared_with"].iloc[0] == "category"


def test_an_amount_already_charged_at_that_merchant_is_its_usual() -> None:
    usual = [tx(f"c{i}", on(400 - i), 20.0, merchant=f"Paper {i}") for i in range(10)]
    renewals = [
        tx("y1", on(380), 99.0, merchant="Harbor Times"),
        tx("y2", on(15), 99.0, merchant="Harbor Times"),
    ]
    found = find_unusual(frame(*usual, *renewals))
    assert kinds(found) == [("y1", "far_above_usual")]  # the renewal is not flagged again


def test_large_first_charge_at_a_new_merchant() -> None:
    rows = [
        tx("old", on(300), 10.0, merchant="Corner Shop"),
        tx("early", on(290), 500.0, merchant="Moving Co"),  # within 60 days of history start
        tx("hotel", on(20), 612.0, merchant="Hotel", currency="EUR"),
        tx("small", on(10), 150.0, merchant="Florist"),  # under 200
        tx("again", on(5), 300.0, merchant="Corner Shop"),  # not new
    ]
    found = find_unusual(frame(*rows))
    assert ("hotel", "new_merchant") in kinds(found)
    assert not {"early", "small", "again"} & {t for t, k in kinds(found) if k == "new_merchant"}


def test_a_charge_without_a_date_does_not_hide_the_new_merchants() -> None:
    rows = [
        tx("old", on(300), 10.0, merchant="Corner Shop"),
        tx("hotel", on(20), 612.0, merchant="Hotel"),
        tx("undated", on(15), 30.0, merchant="Corner Shop"),
    ]
    history = frame(*rows)
    history.loc[history["transaction_id"] == "undated", "date"] = pd.NaT
    assert ("hotel", "new_merchant") in kinds(find_unusual(history))
    # With no dated charge at all, nothing can be new against a history.
    undated = history.assign(date=pd.NaT).astype({"date": history["date"].dtype})
    assert find_unusual(undated).empty


def test_same_merchant_and_amount_within_two_days_is_a_duplicate() -> None:
    rows = [
        *history("Streamly", [15.49] * 5, start_days_ago=160, every=30),
        tx("twice", on(8), 15.49, merchant="Streamly"),
        tx("twice-2", on(7), 15.49, merchant="Streamly"),
    ]
    found = find_unusual(frame(*rows))
    assert kinds(found) == [("twice-2", "duplicate")]
    assert found["first_charge_date"].iloc[0] == pd.Timestamp(on(8))


def test_three_days_apart_is_not_a_duplicate() -> None:
    rows = [
        tx("a", on(10), 15.49, merchant="Streamly"),
        tx("b", on(7), 15.49, merchant="Streamly"),
    ]
    assert find_unusual(frame(*rows)).empty


def test_a_merchant_paid_every_day_has_no_duplicates() -> None:
    fares = [tx(f"f{i}", on(40 - i), 2.75, merchant="Metro Transit") for i in range(40)]
    assert find_unusual(frame(*fares)).empty


def test_a_charge_refunded_later_is_left_out() -> None:
    rows = [
        *history("Marketly", [40.0, 35.0, 45.0, 38.0, 42.0, 40.0]),
        tx("order", on(12), 146.66, merchant="Marketly"),
        tx("refund", on(2), -146.66, merchant="Marketly"),
    ]
    assert find_unusual(frame(*rows)).empty


def test_only_spending_charges_are_looked_at() -> None:
    rows = [
        tx("rent", on(100), 10.0, merchant="Landlord"),
        tx(
            "pay",
            on(5),
            5000.0,
            "LOAN_PAYMENTS",
            merchant="Card Co",
            detailed="LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
        ),
        tx("wage", on(4), -3000.0, "INCOME", merchant="Employer"),
        tx("save", on(3), 900.0, "TRANSFER_OUT", merchant="Savings"),
    ]
    assert find_unusual(frame(*rows)).empty


def test_recent_keeps_the_last_days_only() -> None:
    rows = [
        tx("old", on(200), 10.0, merchant="A"),
        tx("h1", on(40), 700.0, merchant="Hotel One"),
        tx("h2", on(29), 700.0, merchant="Hotel Two"),
    ]
    found = find_unusual(frame(*rows))
    assert list(recent(found, TODAY, 30)["transaction_id"]) == ["h2"]


def test_unusual_charges_of_the_last_30_days_become_alerts() -> None:
    rows = [
        *history("Streamly", [15.49] * 5, start_days_ago=160, every=30),
        tx("twice", on(8), 15.49, merchant="Streamly"),
        tx("twice-2", on(7), 15.49, merchant="Streamly"),
        tx("old", on(200), 10.0, merchant="Shop"),
        tx("hotel", on(3), 612.0, merchant="Hôtel [Lumière](x)", currency="EUR"),
    ]
    alerts = unusual_activity_alerts(find_unusual(frame(*rows)), TODAY)
    assert [(a.severity, a.kind, a.title) for a in alerts] == [
        ("info", "new_merchant", "Large first charge at Hôtel [Lumière](x)"),
        ("warning", "duplicate_charge", "Possible duplicate charge at Streamly"),
    ]
    assert "€612.00" in alerts[0].detail
    assert "$15.49 on Mar 02, 2026 and again on Mar 03, 2026" in alerts[1].detail


def test_only_the_latest_unusual_charges_get_an_alert_each() -> None:
    rows = [
        *history("Gym", [30.0] * 5, start_days_ago=160, every=30),
        *(tx(f"new-{n}", on(20 - n), 500.0 + n, merchant=f"Shop {n}") for n in range(8)),
    ]
    alerts = unusual_activity_alerts(find_unusual(frame(*rows)), TODAY)
    assert [a.title for a in alerts[:5]] == [
        f"Large first charge at Shop {n}" for n in (7, 6, 5, 4, 3)
    ]
    assert [(a.severity, a.kind, a.title) for a in alerts[5:]] == [
        ("info", "more_unusual", "3 more unusual charges in the last 30 days")
    ]


def test_build_alerts_reports_unusual_charges_when_given_findings() -> None:
    cards = cards_frame([], [], [ITEM], TODAY)
    rows = frame(tx("old", on(200), 10.0, merchant="A"), tx("h", on(3), 700.0, merchant="H"))
    assert build_alerts(cards, (), None, TODAY) == []
    alerts = build_alerts(cards, (), None, TODAY, find_unusual(rows))
    assert [a.kind for a in alerts] == ["new_merchant"]


@pytest.mark.parametrize("rows", [[], [tx("one", on(1), 5.0)]])
def test_tiny_histories_find_nothing(rows: list[dict[str, object]]) -> None:
    data = frame(*rows) if rows else frame(tx("x", on(1), 1.0)).iloc[0:0]
    assert find_unusual(data).empty


def test_a_double_charge_at_a_rarely_used_merchant_is_flagged() -> None:
    rows = [
        tx("visit", on(120), 90.0, merchant="Grand Hotel"),
        tx("h1", on(3), 350.0, merchant="Grand Hotel"),
        tx("h2", on(3), 350.0, merchant="Grand Hotel"),
    ]
    found = find_unusual(frame(*rows))
    assert list(found.loc[found["kind"] == "duplicate", "transaction_id"]) == ["h2"]


def test_a_double_charge_that_is_the_merchants_only_history_is_flagged() -> None:
    rows = [tx("h1", on(3), 150.0, merchant="Grand Hotel"),
            tx("h2", on(3), 150.0, merchant="Grand Hotel")]  # fmt: skip
    found = find_unusual(frame(*rows))
    assert list(found.loc[found["kind"] == "duplicate", "transaction_id"]) == ["h2"]
