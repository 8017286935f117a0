from __future__ import annotations

from datetime import date, timedelta

from integrations.models import CreditReport, Inquiry, PaymentMonth, Tradeline
from services.analytics.cards import cards_frame, overall_utilization
from services.analytics.credit import hard_inquiry_expiry, late_payments
from services.analytics.dates import add_months
from services.views.alerts import build_alerts
from tests.support.frames import ITEM, card, liability
from tests.support.frames import tradeline as card_tradeline

TODAY = date(2026, 3, 10)


def tradeline(creditor: str, history: tuple[PaymentMonth, ...] = ()) -> Tradeline:
    """A card on the credit file with this payment history."""
    return card_tradeline(creditor, "••1234", balance=100.0, months=history)


def month(day: date, status: str, days_late: int | None = None) -> PaymentMonth:
    return PaymentMonth(
        day,
        "1" if days_late else "C",
        f"{days_late} days late" if days_late else "Current",
        status,
        days_late,
    )  # type: ignore[arg-type]


def report(
    inquiries: tuple[Inquiry, ...] = (), tradelines: tuple[Tradeline, ...] = ()
) -> CreditReport:
    return CreditReport(TODAY, (), tradelines, inquiries, ())


def kinds(alerts: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(a.severity, a.kind) for a in alerts]


def test_utilization_alerts_over_30_and_50_per_card_and_overall() -> None:
    cards = cards_frame(
        [card("a", 310.0, 1000.0), card("b", 600.0, 1000.0), card("c", 300.0, 1000.0)],
        [],
        [ITEM],
        TODAY,
    )
    alerts = build_alerts(cards, overall_utilization(cards), None, TODAY)
    titles = [a.title for a in alerts]
    assert "Card b ••1111 utilization is 60%" in titles
    assert "Card a ••1111 utilization is 31%" in titles
    assert "Card c ••1111 utilization is 30%" in titles  # 30% is where "High" starts
    assert ("warning", "overall_utilization") in kinds(alerts)  # 1210 / 3000 = 40%
    assert kinds(alerts)[0] == ("error", "card_utilization")


def test_due_within_a_week_warns_and_overdue_is_an_error() -> None:
    cards = cards_frame(
        [card("soon", 10.0, 1000.0), card("late", 10.0, 1000.0), card("far", 10.0, 1000.0)],
        [
            liability("soon", TODAY + timedelta(days=7)),
            liability("late", TODAY - timedelta(days=2), overdue=True),
            liability("far", TODAY + timedelta(days=8)),
        ],
        [ITEM],
        TODAY,
    )
    alerts = build_alerts(cards, overall_utilization(cards), None, TODAY)
    assert kinds(alerts) == [("error", "overdue"), ("warning", "due_soon")]
    assert alerts[1].title == "Card soon ••1111 payment due in 7 days"


def test_a_due_date_passed_the_issuer_does_not_call_overdue_is_information_not_an_error() -> None:
    # Due Mar 7 (three days ago), neither card called overdue by its issuer: "auto" was paid
    # by autopay after its Feb 14 statement (500.00, at least the 35.00 minimum), "unpaid"
    # only before that statement. Only the card the issuer calls overdue is red.
    statement = date(2026, 2, 14)
    cards = cards_frame(
        [card("late", 10.0, 1000.0), card("auto", 10.0, 1000.0), card("unpaid", 10.0, 1000.0)],
        [
            liability("late", TODAY - timedelta(days=2), overdue=True),
            liability("auto", date(2026, 3, 7), statement_day=statement,
                      paid=(date(2026, 3, 5), 500.0)),
            liability("unpaid", date(2026, 3, 7), statement_day=statement,
                      paid=(date(2026, 2, 10), 500.0)),
        ],
        [ITEM],
        TODAY,
    )  # fmt: skip
    alerts = build_alerts(cards, overall_utilization(cards), None, TODAY)
    assert kinds(alerts) == [
        ("error", "overdue"),
        ("info", "card_awaiting_issuer"),
        ("info", "card_awaiting_issuer"),
    ]
    assert alerts[0].title == "Card late ••1111 payment is overdue"
    waiting = "due date passed; waiting for the issuer's update"
    said = "The $35.00 minimum was due on Mar 07 and the issuer does not report it overdue."
    assert [(a.title, a.detail) for a in alerts[1:]] == [
        (
            f"Card auto ••1111: {waiting}",
            f"{said} A $500.00 payment on Mar 05 is reported, so it looks paid.",
        ),
        (
            f"Card unpaid ••1111: {waiting}",
            f"{said} No payment of at least the minimum since the statement of Feb 14 is "
            "reported: if you have not paid it, pay it now.",
        ),
    ]


def test_recent_hard_inquiry_and_late_payment_from_the_report() -> None:
    inquiries = (
        Inquiry(TODAY - timedelta(days=12), "NEWBANK", "Bank", "31", "hard"),
        Inquiry(TODAY - timedelta(days=45), "OLDBANK", "Bank", "31", "hard"),
        Inquiry(TODAY - timedelta(days=3), "PROMO", "Bank", "08", "soft"),
    )
    late = tradeline(
        "LATE CARD CO", (month(date(2026, 2, 1), "current"), month(date(2025, 11, 1), "late", 30))
    )
    alerts = build_alerts(cards_frame([], [], [ITEM], TODAY), (), report(inquiries, (late,)), TODAY)
    assert [a.title for a in alerts] == [
        "New hard inquiry from NEWBANK",
        "Late payment reported on LATE CARD CO",
    ]
    assert "Nov 2025" in alerts[1].detail


def test_nothing_to_say_gives_no_alerts() -> None:
    cards = cards_frame([card("a", 50.0, 1000.0)], [], [ITEM], TODAY)
    assert build_alerts(cards, overall_utilization(cards), report(), TODAY) == []


def test_hard_inquiry_drops_off_after_24_months_clamped_to_month_end() -> None:
    assert hard_inquiry_expiry(Inquiry(date(2024, 2, 29), "X", "", "", "hard")) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


def test_late_payments_newest_first() -> None:
    lines = (
        tradeline("A", (month(date(2025, 1, 1), "late", 30),)),
        tradeline("B", (month(date(2025, 6, 1), "derogatory", 90),)),
    )
    assert [lp.creditor for lp in late_payments(report(tradelines=lines))] == ["B", "A"]


def test_a_long_late_history_is_one_alert_and_old_lates_none() -> None:
    history = tuple(month(date(2025, m, 1), "derogatory", 180) for m in range(12, 0, -1))
    old = tradeline("OLD BANK", (month(date(2020, 1, 1), "late", 30),))
    alerts = build_alerts(
        cards_frame([], [], [ITEM], TODAY), (), report(tradelines=(tradeline("CO", history), old)),
        TODAY,
    )  # fmt: skip
    assert [a.title for a in alerts] == ["Late payment reported on CO"]
    assert "Dec 2025" in alerts[0].detail
