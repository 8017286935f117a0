from __future__ import annotations

import logging

import pytest
import responses

from integrations.common import logs
from integrations.common.logs import get_logger, redact, register_secret
from services.runtime import bank_data
from tests.support.apps import app_test
from tests.support.experian_support import DOB
from tests.support.plaid_double import PlaidDouble
from tests.support.setup_page import connect_pasted, disconnect_first_bank, save_applicant_on_setup


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
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("boom with access-sandbox-leaky-token")

    monkeypatch.setattr(bank_data, "snapshot", broken)
    at = app_test().run()
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


def test_a_person_s_token_ssn_and_birth_date_are_masked_by_their_shape() -> None:
    line = redact(
        "token access-production-5f1c-4e2b-9a7d public-sandbox-77aa-01 "
        "ssn 666-12-3456, 666 12 3456 or 666123456; born 07041980, 07/04/1980, 07-04-1980 "
        "or 1980-07-04; signed in as Ann.Lee+cm@mail.example.co.uk"
    )
    assert line == (
        "token [redacted] [redacted] ssn [redacted], [redacted] or [redacted]; "
        "born [redacted], [redacted], [redacted] or [redacted]; signed in as [redacted]"
    )
    assert redact("fetched 3 items in 1250 ms, request_id req-double-12") == (
        "fetched 3 items in 1250 ms, request_id req-double-12"
    )


SESSIONS = 5


def test_nothing_of_a_person_is_kept_for_redaction_however_many_sessions(
    plaid_double: PlaidDouble,
    experian: responses.RequestsMock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name, value in {
        "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
        "PLAID_SECRET": PlaidDouble.SECRET,
        "PLAID_BASE_URL": plaid_double.url,
        "DATA_SOURCE": "plaid",
    }.items():
        monkeypatch.setenv(name, value)
    client = plaid_double.client()
    operators: set[str] | None = None
    for n in range(SESSIONS):
        token = client.exchange_public_token(client.create_sandbox_public_token("ins_109508"))
        ssn = f"6660{n}1234"
        at = app_test().run()
        operators = operators or set(logs._registered)  # the operator's, from the settings
        connect_pasted(at, token)
        save_applicant_on_setup(at, ssn)
        assert set(logs._registered) == operators, "the registry grew with a person's values"

    at.switch_page("pages/setup.py").run()
    disconnect_first_bank(at)
    at.button(key="forget_applicant").click().run()
    assert not at.exception
    assert not {token, ssn, DOB} & logs._registered
    assert PlaidDouble.SECRET in logs._registered  # the operator's secrets stay masked
    get_logger("test").warning("echoed %s, %s and %s", token, ssn, DOB)
    assert caplog.records[-1].getMessage() == "echoed [redacted], [redacted] and [redacted]"
