"""Cached loaders: the only functions that fetch, each keyed by whose data it is.

Entries live in Streamlit's process-wide cache for CACHE_TTL_SECONDS. A key never contains a
secret: demo data is keyed by the day it was generated for.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import streamlit as st

from integrations import demo
from integrations.models import CreditReport
from services.settings import DEFAULT_CACHE_TTL_SECONDS, SettingsError, current_settings
from services.snapshot import FinancialSnapshot, build_snapshot


def _configured_ttl() -> int:
    # Read once at import: the decorator needs the value before any page runs. A broken
    # configuration is reported by app.py; the cache just keeps the default meanwhile.
    try:
        return current_settings().cache_ttl_seconds
    except SettingsError:
        return DEFAULT_CACHE_TTL_SECONDS


CACHE_TTL_SECONDS = _configured_ttl()


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=4, show_spinner="Loading demo data…")
def load_demo_snapshot(today: date) -> FinancialSnapshot:
    return build_snapshot(demo.demo_item_data(today), "demo", datetime.now(UTC))


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=4, show_spinner="Loading demo credit report…")
def load_demo_credit_report(today: date) -> tuple[CreditReport, datetime]:
    return demo.demo_credit_report(today), datetime.now(UTC)


def clear_demo(today: date) -> None:
    load_demo_snapshot.clear(today)
    load_demo_credit_report.clear(today)
