"""A bank's consent lapsing: warned of two weeks ahead, said as an error once it has, and
counted in the person's calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from integrations.models import Item
from integrations.plaid.parse import parse_item
from services.analytics.cards import cards_frame
from services.analytics.consent import CONSENT_WARNING_DAYS
from services.views.alerts import build_alerts, consent_alerts
from tests.support.frames import ITEM

TODAY = date(2026, 3, 10)
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def expiring(moment: datetime) -> Item:
    return replace(ITEM, consent_expires_at=moment)


def noon_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def read(alerts: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(a.severity, a.title) for a in alerts]


def test_a_consent_lapsing_in_fourteen_days_is_warned_of_and_fifteen_is_not() -> None:
    assert CONSENT_WARNING_DAYS == 14
    in_14 = expiring(noon_utc(TODAY + timedelta(days=14)))
    in_15 = expiring(noon_utc(TODAY + timedelta(days=15)))
    assert read(consent_alerts([in_14], TODAY, UTC)) == [
        ("warning", "Test Bank's connection expires on Mar 24, 2026 (in 14 days)")
    ]
    assert consent_alerts([in_15], TODAY, UTC) == []


def test_the_alert_says_to_sign_in_again_on_setup() -> None:
    (alert,) = consent_alerts([expiring(noon_utc(TODAY + timedelta(days=3)))], TODAY, UTC)
    assert "sign in again on Setup" in alert.detail


def test_a_lapsed_consent_is_an_error_listed_first() -> None:
    lapsed = expiring(noon_utc(TODAY - timedelta(days=2)))
    alerts = build_alerts(cards_frame([], [], [lapsed], TODAY), (), None, TODAY, items=[lapsed])
    assert read(alerts) == [("error", "Test Bank's connection expired on Mar 08, 2026")]


def test_no_expiry_no_alert() -> None:
    assert consent_alerts([ITEM], TODAY, UTC) == []


def test_days_are_counted_in_the_persons_calendar_not_utcs() -> None:
    # 03:30 UTC on Mar 11 is still the evening of Mar 10 in Los Angeles; the consent lapses
    # at noon UTC on Mar 25: 14 days away there, but 14 from Mar 11 in UTC would be Mar 25.
    now = datetime(2026, 3, 11, 3, 30, tzinfo=UTC)
    bank = expiring(datetime(2026, 3, 25, 12, tzinfo=UTC))
    local_today = now.astimezone(LOS_ANGELES).date()
    assert local_today == date(2026, 3, 10)
    assert consent_alerts([bank], local_today, LOS_ANGELES) == []  # 15 days away there
    utc_today = now.date()
    assert read(consent_alerts([bank], utc_today, UTC)) == [
        ("warning", "Test Bank's connection expires on Mar 25, 2026 (in 14 days)")
    ]


def test_an_expiry_just_after_midnight_utc_is_the_day_before_in_los_angeles() -> None:
    bank = expiring(datetime(2026, 3, 20, 2, 0, tzinfo=UTC))  # 19:00 on Mar 19 there
    (alert,) = consent_alerts([bank], TODAY, LOS_ANGELES)
    assert alert.title == "Test Bank's connection expires on Mar 19, 2026 (in 9 days)"


def test_item_get_consent_expiration_time_is_read_as_a_moment() -> None:
    body = {"item": {"item_id": "item-1", "consent_expiration_time": "2026-03-24T12:00:00Z"}}
    assert parse_item(body).consent_expires_at == datetime(2026, 3, 24, 12, tzinfo=UTC)
    typed = {"item": {"item_id": "item-1", "consent_expiration_time": noon_utc(TODAY)}}
    assert parse_item(typed).consent_expires_at == noon_utc(TODAY)
    never = {"item": {"item_id": "item-1", "consent_expiration_time": None}}
    assert parse_item(never).consent_expires_at is None
