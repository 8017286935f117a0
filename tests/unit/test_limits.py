"""Daily bureau pull limits, the refresh rate, and the audit line."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from services.runtime import limits
from services.runtime.settings import parse_settings

DAY = date(2026, 11, 30)


def test_pulls_stop_at_the_persons_daily_limit_and_start_again_the_next_day() -> None:
    settings = parse_settings({"CREDIT_PULLS_PER_PERSON_PER_DAY": "2"})
    assert limits.take_pull(settings, "person-a", DAY) is None
    assert limits.take_pull(settings, "person-a", DAY) is None
    refusal = limits.take_pull(settings, "person-a", DAY)
    assert refusal is not None
    assert "the most this app allows a person in a day" in refusal
    assert limits.take_pull(settings, "person-b", DAY) is None  # someone else's count
    assert limits.take_pull(settings, "person-a", DAY + timedelta(days=1)) is None


def test_the_deployment_limit_holds_whoever_asks() -> None:
    settings = parse_settings({"CREDIT_PULLS_PER_DAY": "3"})
    outcomes = [limits.take_pull(settings, f"person-{n}", DAY) for n in range(5)]
    assert outcomes[:3] == [None, None, None]
    assert all("as many credit report pulls today" in (o or "") for o in outcomes[3:])


def test_refresh_waits_for_the_interval_per_person() -> None:
    settings = parse_settings({"REFRESH_INTERVAL_SECONDS": "60"})
    start = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert limits.take_refresh(settings, "person-a", start) is None
    assert limits.take_refresh(settings, "person-a", start + timedelta(seconds=20)) == 40
    assert limits.take_refresh(settings, "person-b", start + timedelta(seconds=20)) is None
    assert limits.take_refresh(settings, "person-a", start + timedelta(seconds=60)) is None


def test_an_interval_of_zero_lets_every_refresh_through() -> None:
    settings = parse_settings({"REFRESH_INTERVAL_SECONDS": "0"})
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert [limits.take_refresh(settings, "p", now) for _ in range(3)] == [None, None, None]


def test_the_audit_line_names_who_by_hash_what_when_and_outcome(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    limits.audit("credit_pull", "person-0123abcd", "failed:503", applicant="applicant-99")
    (line,) = [r.getMessage() for r in caplog.records if r.name.endswith(".audit")]
    assert re.fullmatch(
        r"audit event=credit_pull who=person-0123abcd at=\d{4}-\d\d-\d\dT[\d:]{8}\+00:00 "
        r"outcome=failed:503 applicant=applicant-99",
        line,
    )
