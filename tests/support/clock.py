"""The day every test computes for. The app reads it from AS_OF_DATE, which an autouse fixture
(and the browser tests' server) sets, so no result depends on the day the suite runs;
tests/pages/test_calendar.py shows the dated claims hold on every day of a year."""

from __future__ import annotations

from datetime import date

TODAY = date(2026, 11, 30)
