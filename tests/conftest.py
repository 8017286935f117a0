from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

from services.settings import SETTINGS
from tests.browser_support import browser  # noqa: F401 - fixtures for every test module
from tests.plaid_double import plaid_double  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent

# Settings come from the environment first: keep the developer's own credentials out of the
# tests, which set exactly what each one needs.
SETTING_NAMES = tuple(SETTINGS)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    # A working directory of its own: no .env or .streamlit/secrets.toml of the developer's.
    monkeypatch.chdir(tmp_path)
    os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")


@pytest.fixture(autouse=True)
def clear_streamlit_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def forget_last_good_fetches() -> Iterator[None]:
    # The session layer keeps each item's last good fetch process-wide; tests start clean.
    from services import session

    session.forget_all_items()
    yield
    session.forget_all_items()
