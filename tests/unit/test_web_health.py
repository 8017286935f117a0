"""Readiness and the configuration status (services/web/health.py), without Redis: what each
says, and that neither says a value."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import streamlit as st
from cryptography.fernet import Fernet

from integrations.common.secret import Secret
from services.runtime.settings import SignIn, parse_settings
from services.web.health import configuration_status, readiness

CLIENT_ID, SECRET = "client-id-canary-123", "plaid-secret-canary-456"


def test_settings_that_do_not_parse_are_not_ready_and_nothing_else_is_asked() -> None:
    report = readiness(None)
    assert not report.ready
    assert report.as_json() == {
        "ready": False,
        "checks": {"settings": "invalid", "redis": "not checked", "database": "not checked"},
    }


def test_a_stateless_deployment_is_ready_with_nothing_to_wait_for() -> None:
    report = readiness(parse_settings({}))
    assert report.ready
    assert report.checks == {
        "settings": "ok",
        "redis": "not configured",
        "database": "not configured",
    }


def test_the_status_says_what_is_configured_and_never_a_value() -> None:
    settings = parse_settings(
        {
            "PLAID_CLIENT_ID": CLIENT_ID,
            "PLAID_SECRET": SECRET,
            "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        }
    )
    signed_in = replace(settings, sign_in=SignIn((), Secret("cookie-secret-canary-7890")))
    status = configuration_status(signed_in)
    assert status == {
        "plaid": "configured",
        "experian": "not configured",
        "sign_in": "on",
        "storage": "stateless",
    }
    assert not {CLIENT_ID, SECRET, "cookie-secret-canary-7890"} & set(status.values())


def test_the_demo_is_the_status_without_plaid_credentials() -> None:
    status = configuration_status(parse_settings({}))
    assert status["plaid"] == "demo"
    assert status["sign_in"] == "off"


def test_a_traditional_deployment_is_ready_once_its_database_answers(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    settings = parse_settings(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'history.db'}", "TOKEN_ENCRYPTION_KEY": key}
    )
    try:
        report = readiness(settings)
    finally:
        st.cache_resource.clear()
    assert report.ready
    assert report.checks["database"] == "ok"
    assert configuration_status(settings)["storage"] == "traditional"


def test_a_database_that_does_not_answer_is_not_ready_and_not_named() -> None:
    url = "postgresql+psycopg://postgres:db-password-canary@127.0.0.1:9/none"
    key = Fernet.generate_key().decode()
    settings = parse_settings({"DATABASE_URL": url, "TOKEN_ENCRYPTION_KEY": key})
    try:
        report = readiness(settings)
    finally:
        st.cache_resource.clear()
    assert not report.ready
    assert report.checks["database"] == "unavailable"
    assert "db-password-canary" not in str(report.as_json())
