"""Calendar arithmetic shared by the analytics."""

from __future__ import annotations

from datetime import date, timedelta

from integrations.common.months import add_months

__all__ = ["add_months", "previous_period"]


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
