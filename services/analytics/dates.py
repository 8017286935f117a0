"""Calendar arithmetic shared by the analytics."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(day.day, last_day))


def previous_period(start: date, end: date) -> tuple[date, date]:
    """What a period is compared with, as a person reads it.

    A month so far (or a whole month) is compared with the same days of the month before,
    a year so far with the same days of the year before; any other range with the range of
    the same length that ends the day before it starts."""
    if start.day == 1 and (start.year, start.month) == (end.year, end.month):
        return add_months(start, -1), add_months(end, -1)
    if (start.month, start.day) == (1, 1) and start.year == end.year:
        return add_months(start, -12), add_months(end, -12)
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)
