from __future__ import annotations

import logging

import pytest
from streamlit.testing.v1 import AppTest

from services import session
from services.logs import get_logger, redact, register_secret
from tests.conftest import ROOT


def test_token_and_ssn_shapes_are_masked() -> None:
    text = redact(
        "token access-sandbox-12ab-34cd and Bearer eyJhbGciOi.x.y and ssn 123-45-6789 or 666104321"
    )
    assert "access-sandbox" not in text
    assert "eyJhbGciOi" not in text
    assert "123-45-6789" not in text
    assert "666104321" not in text
    assert text.count("[redacted]") == 4


def test_registered_secret_is_masked_in_records_seen_by_any_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    register_secret("plaid-secret-canary-value")
    with caplog.at_level(logging.INFO):
        get_logger("test").info("calling with %s", "plaid-secret-canary-value")
    assert "plaid-secret-canary-value" not in caplog.text
    assert "calling with [redacted]" in caplog.text


def test_tracebacks_are_reduced_to_the_exception_type(caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise ValueError("upstream body with access-production-secret-thing")
    except ValueError:
        get_logger("test").exception("fetch failed")
    assert "fetch failed (ValueError)" in caplog.text
    assert "access-production" not in caplog.text
    assert "Traceback" not in caplog.text


def test_a_failing_page_shows_a_reference_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("boom with access-sandbox-leaky-token")

    monkeypatch.setattr(session, "snapshot", broken)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    (message,) = [e.value for e in at.error if "Something went wrong" in e.value]
    reference = message.rsplit("Reference: ", 1)[1].rstrip(".")
    assert reference in caplog.text
    assert "RuntimeError" in caplog.text
    assert "leaky-token" not in caplog.text
    assert "leaky-token" not in message


def test_a_line_break_from_upstream_cannot_forge_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    get_logger("test").warning("code %s", "X\nERROR forged line\r")
    assert caplog.records[-1].getMessage() == "code X\\x0aERROR forged line\\x0d"
