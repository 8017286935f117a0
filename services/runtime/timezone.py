"""The person's time zone, as their browser reports it (``st.context.timezone``), for the day
figures are computed for and every time shown. UTC when the browser says nothing (a test, a
script run outside a browser) or names a zone this server does not know."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from services.runtime import loaders


def person_timezone() -> tzinfo:
    name = st.context.timezone
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def person_now() -> datetime:
    """Now in the person's zone, read from the app's one clock (``loaders.now``)."""
    return loaders.now().astimezone(person_timezone())


def shown_time(moment: datetime, pattern: str = "%H:%M") -> str:
    """A moment as the person reads it: in their zone, named (``14:05 Europe/Paris``, or
    ``14:05 UTC`` when their zone is unknown)."""
    zone = person_timezone()
    return f"{moment.astimezone(zone):{pattern}} {zone}"
