"""Display formatting shared by pages and alerts. Rounding happens here and only here."""

from __future__ import annotations

import math
from datetime import date, datetime

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "JPY": "¥"}


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(amount: float | None, currency: str = "USD") -> str:
    """``$1,234.56`` for known symbols, ``1,234.56 CHF`` otherwise; a dash when unknown."""
    if _missing(amount):
        return "—"
    sign = "-" if round(amount, 2) < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency)
    digits = f"{abs(amount):,.2f}"
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency}"


def percent(ratio: float | None, digits: int = 0) -> str:
    return "—" if _missing(ratio) else f"{ratio * 100:.{digits}f}%"


def card_label(name: str, mask: str | None) -> str:
    return f"{name} ••{mask}" if mask else name


def day(value: date | datetime | None) -> str:
    return "—" if value is None else f"{value:%b %d, %Y}"


def days_left(days: int) -> str:
    if days == 0:
        return "today"
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} ago"
    return f"in {days} day{'s' if days != 1 else ''}"


_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~:$=\"'&")


def plain(text: object) -> str:
    """Upstream text made safe for a Markdown-rendering element: no link, image, HTML or
    Streamlit directive can come out of it, and it stays on one line."""
    flat = " ".join(str(text).split())
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIAL else c for c in flat)


def relative_time(moment: datetime, now: datetime) -> str:
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    return f"{hours} h ago" if hours < 24 else f"{hours // 24} d ago"
