from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st

from services.runtime.settings import SETTINGS
from tests.support.browser_support import browser, page  # noqa: F401 - fixtures for every test module
from tests.support.clock import TODAY
from tests.support.databases import history_store, history_url  # noqa: F401
from tests.support.experian_support import experian  # noqa: F401
from tests.support.oidc_provider import idp  # noqa: F401
from tests.support.plaid_double import plaid_double, plaid_env  # noqa: F401
from tests.support.redis_server import redis_server, shared_redis  # noqa: F401

# Settings come from the environment first: keep the developer's own credentials out of the
# tests, which set exactly what each one needs.
SETTING_NAMES = tuple(SETTINGS)


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, pd.DataFrame]:
    """The frame each CSV button would export, by button key (the page passes a frame and
    builds the CSV only on click, so the test builds it from the very same frame)."""
    import pages._shared

    seen: dict[str, pd.DataFrame] = {}

    def record(
        frame: pd.DataFrame,
        file_name: str,
        key: str,
        label: str = "",
        columns: Sequence[str] | None = None,
    ) -> None:
        seen[key] = frame[list(columns)] if columns else frame

    monkeypatch.setattr(pages._shared, "csv_download", record)
    return seen


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    # The app computes for the same day as the test's expectations, whatever the calendar says.
    monkeypatch.setenv("AS_OF_DATE", TODAY.isoformat())
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
def fresh_process_state() -> Iterator[None]:
    # Process-wide state (last good fetches; clients with cached tokens and the vault, which
    # are st.cache_resource entries) starts clean.
    from services.runtime import bank_data, last_good

    last_good.forget_all_items()
    bank_data.forget_underway()
    st.cache_resource.clear()
    yield
    last_good.forget_all_items()
    bank_data.forget_underway()


@pytest.fixture(autouse=True)
def whole_pages_in_app_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest does not follow a fragment's timer, so a page that would show cards first and
    fill in the rest on its own waits for the whole here (the browser shows both phases;
    tests of the first phase set the grace back, ``tests/pages/test_useful_figures_first.py``)."""
    from services.runtime import bank_data

    monkeypatch.setattr(bank_data, "GRACE_SECONDS", bank_data.FIRST_WAIT_SECONDS)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A test process run by pytest-xdist hands its canary count and fault matrix to the
    process that prints the summary."""
    output = getattr(session.config, "workeroutput", None)
    if output is None:
        return
    from tests.pages.test_canaries import TRIED
    from tests.pages.test_fault_matrix import MATRIX

    output["canaries_tried"] = json.dumps({k: v for k, v in TRIED.items() if k != "canaries"})
    output["fault_matrix"] = json.dumps([asdict(row) for row in MATRIX])


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    from tests.pages.test_canaries import TRIED
    from tests.pages.test_fault_matrix import MATRIX, MatrixRow

    output = getattr(node, "workeroutput", {})
    for name, count in json.loads(output.get("canaries_tried", "{}")).items():
        TRIED[name] += count
    MATRIX.extend(MatrixRow(**row) for row in json.loads(output.get("fault_matrix", "[]")))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the canary count and the fault matrix when their tests ran."""
    from tests.pages.test_canaries import CANARIES, TRIED
    from tests.pages.test_fault_matrix import MATRIX

    if TRIED["places"]:
        terminalreporter.write_sep(
            "-",
            f"canaries: {len(CANARIES)} secrets looked for in {TRIED['places']} places "
            f"and {TRIED['generated inputs']} generated inputs",
        )
    if not MATRIX:
        return
    write = terminalreporter.write_line
    terminalreporter.write_sep("-", f"fault matrix: {len(MATRIX)} faults")
    header = f"{'service':9} {'fault':44} {'tries':>5} {'secs':>6}  {'code':24} {'action':18} page"
    write(header)
    for row in sorted(MATRIX, key=lambda r: (r.service, r.fault)):
        write(
            f"{row.service:9} {row.fault[:44]:44} {row.attempts:>5} {row.seconds:>6.2f}  "
            f"{row.code[:24]:24} {row.action:18} {row.page}"
        )
