"""Display formatting shared by pages and alerts. Rounding happens here and only here."""

from __future__ import annotations

import math
import re
import unicodedata
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
# Bidi embeddings, overrides and isolates: one of them in a name would turn the rest of the
# line around ("\u202eexe.live" shows as "evil.exe"), our own words after it included.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Some Markdown is found in the text after escapes are resolved, so escaping cannot stop it:
# GitHub-flavoured autolinks (bare URLs, www. names, e-mail addresses), emoji shortcodes, and
# Streamlit's rewrite of ":material/" into an icon directive. An invisible word joiner after
# every ":" and "@" and after "www" keeps all of them text.
_WORD_JOINER_AT = re.compile(r"(?<=[:@])|(?<=www)(?=\.)", re.IGNORECASE)
_WORD_JOINER = "\u2060"
_ISO_CURRENCY = re.compile(r"[A-Z]{3}")


def _shown(c: str) -> bool:
    return c not in _BIDI_CONTROLS and unicodedata.category(c) != "Cc"


def plain(text: object) -> str:
    """Upstream text made safe for a Markdown-rendering element: no link (bare URLs and
    e-mail addresses included), image, HTML or Streamlit directive can come out of it, it
    stays on one line, and control characters (bidi overrides included) are dropped."""
    flat = _WORD_JOINER_AT.sub(_WORD_JOINER, " ".join(str(text).split()))
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIAL else c for c in flat if _shown(c))


def markdown_money(amount: float | None, currency: str = "USD") -> str:
    """``money()`` for an element that renders Markdown (st.metric's value and delta too):
    the currency code comes from upstream, so anything but a three-letter code is escaped."""
    shown = money(amount, currency)
    return shown if _ISO_CURRENCY.fullmatch(currency) else plain(shown)


def relative_time(moment: datetime, now: datetime) -> str:
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    return f"{hours} h ago" if hours < 24 else f"{hours // 24} d ago"
