"""The configuration as the app shows it: a bad setting stops the app with a message, and the
Setup page shows a secret only as set or not set, whatever the setting."""

from __future__ import annotations

import json

import pytest
import responses
from streamlit.testing.v1 import AppTest

from tests.support.apps import app_test
from tests.support.experian_support import KEY
from tests.support.plaid_double import PlaidDouble

BAD_KEY = "not-a-fernet-key-canary-0123456789"
APPLICANT_SSN = "666987654"
SUBSCRIBER_CODE = "SUBCANARY42"
# Credentials, identifiers of the operator's accounts, keys and personal details.
SECRET_SETTINGS = (
    "PLAID_CLIENT_ID", "PLAID_SECRET", "PLAID_ACCESS_TOKEN", "EXPERIAN_CLIENT_ID",
    "EXPERIAN_CLIENT_SECRET", "EXPERIAN_USERNAME", "EXPERIAN_PASSWORD",
    "EXPERIAN_SUBSCRIBER_CODE", "EXPERIAN_APPLICANT", "TOKEN_ENCRYPTION_KEY",
)  # fmt: skip


def element_texts(at: AppTest) -> str:
    return "\n".join(
        [str([e.proto for e in at.main]), str([e.proto for e in at.sidebar])]
        + [str(e.value) for e in at.exception]
    )


@pytest.mark.parametrize(
    "keys",
    [BAD_KEY, f"{KEY},{BAD_KEY}", KEY[:-2] + "!="],
    ids=["not a key", "second of two", "one character off"],
)
def test_a_malformed_encryption_key_stops_the_app_with_the_setting_named(
    monkeypatch: pytest.MonkeyPatch, keys: str
) -> None:
    monkeypatch.setenv("PLAID_CLIENT_ID", PlaidDouble.CLIENT_ID)
    monkeypatch.setenv("PLAID_SECRET", PlaidDouble.SECRET)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEY", keys)
    at = app_test().run()
    assert not at.exception, [e.value for e in at.exception]
    (error,) = at.error
    assert "configuration has problems" in error.value
    assert "TOKEN_ENCRYPTION_KEY must be a comma-separated list of Fernet keys" in error.value
    for key in keys.split(","):
        assert key not in element_texts(at)


def configuration(at: AppTest) -> dict[str, str]:
    frame = next(d.value for d in at.dataframe if list(d.value.columns) == ["setting", "status"])
    return dict(zip(frame["setting"], frame["status"], strict=True))


def test_setup_shows_every_secret_setting_only_as_set(
    monkeypatch: pytest.MonkeyPatch,
    plaid_double: PlaidDouble,
    experian: responses.RequestsMock,
) -> None:
    applicant = {
        "first_name": "Jordan", "last_name": "Demo", "dob": "07041980",
        "ssn": APPLICANT_SSN, "line1": "1 Main St", "city": "Springfield", "state": "IL",
        "zip_code": "62704",
    }  # fmt: skip
    token = plaid_double.demo_tokens()[0]
    for name, value in {
        "PLAID_CLIENT_ID": PlaidDouble.CLIENT_ID,
        "PLAID_SECRET": PlaidDouble.SECRET,
        "PLAID_BASE_URL": plaid_double.url,
        "PLAID_ACCESS_TOKEN": token,
        "EXPERIAN_APPLICANT": json.dumps(applicant),
        "EXPERIAN_SUBSCRIBER_CODE": SUBSCRIBER_CODE,
    }.items():
        monkeypatch.setenv(name, value)
    at = app_test().run()
    at.switch_page("pages/setup.py").run()
    assert not at.exception, [e.value for e in at.exception]

    shown = configuration(at)
    assert {name: shown[name] for name in SECRET_SETTINGS} == {
        name: "set (1)" if name in ("PLAID_ACCESS_TOKEN", "TOKEN_ENCRYPTION_KEY") else "set"
        for name in SECRET_SETTINGS
    }
    assert shown["PLAID_BASE_URL"] == plaid_double.url  # not a secret: shown, to check it
    assert shown["PLAID_ENV"] == "sandbox"
    page = element_texts(at)
    for secret in (PlaidDouble.CLIENT_ID, PlaidDouble.SECRET, token, APPLICANT_SSN,
                   SUBSCRIBER_CODE, "experian-user", KEY, "Secret("):  # fmt: skip
        assert secret not in page


def test_experian_alone_opens_on_demo_data_with_own_data_one_choice_away(
    monkeypatch: pytest.MonkeyPatch, experian: responses.RequestsMock
) -> None:
    monkeypatch.delenv("DATA_SOURCE", raising=False)  # `auto`, as the README defines it
    at = app_test().run()
    assert at.session_state["data_source"] == "demo"
    at.switch_page("pages/setup.py").run()
    source = at.radio(key="setup_source")
    assert source.options == ["Demo data", "My own data (Plaid and Experian)"]
    source.set_value("plaid").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["data_source"] == "plaid"
    assert at.button(key="FormSubmitter:applicant-Save and pull my report")  # Experian's form
    assert not [t.label for t in at.tabs]  # and no bank to connect: Plaid is not configured
