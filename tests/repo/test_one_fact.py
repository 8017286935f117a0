"""Facts written down in more than one place, checked against each other.

Some facts must appear twice because a reader needs them where they look: a setting is a field
of ``Settings``, a row of the README's table and a line of ``.env.example``; a Plaid error code
is a row of the guidance table and a row of ``docs/PLAID.md``. These tests fail, naming what is
missing where, when one copy moves without the other.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import fields

import pytest
from cryptography.fernet import Fernet

from integrations.common.guidance import Guidance
from integrations.experian import client as experian_client
from integrations.plaid import client as plaid_client
from services.analytics.cards import BANDS, UTILIZATION_THRESHOLDS
from services.runtime.settings import SECRET_SETTINGS, SETTINGS, Settings, parse_settings
from tests.support.apps import ROOT, app_on_page

# --- Settings ----------------------------------------------------------------------------------

# A name like these holds a credential or a person's details: its field must be a Secret.
CREDENTIAL_WORDS = ("SECRET", "PASSWORD", "USERNAME", "TOKEN", "KEY", "CLIENT_ID", "APPLICANT",
                    "SUBSCRIBER")  # fmt: skip


def readme_settings(text: str) -> dict[str, str]:
    """The README's settings table: setting name -> its default cell."""
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]*) \|", text, flags=re.MULTILINE)
    return {name: default.strip() for name, default in rows}


def env_example_settings(text: str) -> dict[str, str | None]:
    """Every setting ``.env.example`` names, active or commented out -> its active value
    (``None`` for a commented-out example)."""
    found: dict[str, str | None] = {}
    for line in text.splitlines():
        if match := re.fullmatch(r"(# ?)?([A-Z][A-Z0-9_]+)=(.*)", line.strip()):
            commented, name, value = match.groups()
            found[name] = None if commented else value
    return found


def shown_default(value: object) -> str:
    """A default as the README writes it."""
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# Read from the [auth] section of the secrets, which Streamlit's sign-in owns: not a setting.
FROM_STREAMLIT_SECRETS = {"sign_in"}


def test_every_settings_field_has_exactly_one_setting() -> None:
    attrs = [attr for attr, _ in SETTINGS.values()]
    settable = {f.name for f in fields(Settings)} - FROM_STREAMLIT_SECRETS
    assert sorted(attrs) == sorted(settable)


def test_readme_lists_every_setting_in_the_table_order() -> None:
    documented = readme_settings((ROOT / "README.md").read_text())
    assert list(documented) == list(SETTINGS)


def test_readme_defaults_are_the_settings_defaults() -> None:
    """Where the README gives a default as one literal, it is the field's default."""
    documented = readme_settings((ROOT / "README.md").read_text())
    defaults = {f.name: f.default for f in fields(Settings)}
    for name, cell in documented.items():
        if literal := re.fullmatch(r"`([^`]*)`", cell):
            default = defaults[SETTINGS[name][0]]
            assert literal.group(1) == shown_default(default), name


def test_env_example_names_every_setting() -> None:
    named = env_example_settings((ROOT / ".env.example").read_text())
    assert sorted(named) == sorted(SETTINGS)


def test_env_example_as_shipped_gives_the_defaults() -> None:
    """Its active lines are either empty or the default: copying it changes nothing."""
    named = env_example_settings((ROOT / ".env.example").read_text())
    active = {name: value for name, value in named.items() if value}
    assert parse_settings(active) == Settings()


def test_a_setting_named_like_a_credential_is_a_secret_by_type() -> None:
    credentials = {name for name in SETTINGS if any(w in name for w in CREDENTIAL_WORDS)}
    assert credentials - SECRET_SETTINGS == set()


def test_setup_shows_a_setting_by_its_type(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every setting set at once: Setup shows a Secret only as set, anything else as it is."""
    applicant = {"first_name": "Canary", "last_name": "Person", "dob": "07041980",
                 "ssn": "666123987", "line1": "1 Main St", "city": "Springfield",
                 "state": "IL", "zip_code": "62704"}  # fmt: skip
    values = {
        "PLAID_CLIENT_ID": "canary-plaid-client-id",
        "PLAID_SECRET": "canary-plaid-secret",
        "PLAID_ENV": "sandbox",
        "PLAID_BASE_URL": "http://127.0.0.1:9",
        "PLAID_ACCESS_TOKEN": "access-sandbox-canary-1,access-sandbox-canary-2",
        "PLAID_PRODUCTS": "transactions",
        "PLAID_COUNTRY_CODES": "US,CA",
        "PLAID_REDIRECT_URI": "https://canary.example/",
        "PLAID_WEBHOOK_URL": "https://canary.example/webhooks/plaid",
        "EXPERIAN_CLIENT_ID": "canary-experian-client-id",
        "EXPERIAN_CLIENT_SECRET": "canary-experian-secret",
        "EXPERIAN_USERNAME": "canary-experian-user",
        "EXPERIAN_PASSWORD": "canary-experian-password",
        "EXPERIAN_ENV": "uat",
        "EXPERIAN_BASE_URL": "http://127.0.0.1:9",
        "EXPERIAN_SUBSCRIBER_CODE": "SUBCANARY7",
        "EXPERIAN_CLIENT_REFERENCE_ID": "REFCANARY",
        "EXPERIAN_APPLICANT": json.dumps(applicant),
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "CACHE_TTL_SECONDS": "120",
        "DATA_SOURCE": "demo",  # nothing is fetched: the page shows the configuration only
        "UPSTREAM_CONNECT_TIMEOUT_SECONDS": "3",
        "UPSTREAM_READ_TIMEOUT_SECONDS": "20",
        "UPSTREAM_BUDGET_SECONDS": "40",
        "AS_OF_DATE": "2026-11-30",
        "ALLOWED_USERS": "canary.person@example.com,@canary.example",
        "OWNER_EMAILS": "canary.owner@example.com",
        "CREDIT_PULLS_PER_PERSON_PER_DAY": "3",
        "CREDIT_PULLS_PER_DAY": "30",
        "REFRESH_INTERVAL_SECONDS": "45",
        "REDIS_URL": "redis://:canary-redis-password@127.0.0.1:6379/13",
        "SYNC_RETENTION_DAYS": "14",
        "DATABASE_URL": "postgresql+psycopg://canary:canary-db-password@127.0.0.1:5432/canary",
        "HISTORY_RETENTION_MONTHS": "12",
        "API_TOKEN": "canary-api-token-0123456789abcdefghijklmnop",
    }
    assert sorted(values) == sorted(SETTINGS)  # a new setting is added here too
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    at = app_on_page("pages/setup.py")
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if list(d.value.columns) == ["setting", "status"])
    shown = dict(zip(table["setting"], table["status"], strict=True))

    settings = parse_settings(values)
    for name, (attr, _) in SETTINGS.items():
        value = getattr(settings, attr)
        if name in SECRET_SETTINGS:
            expected = f"set ({len(value)})" if isinstance(value, tuple) else "set"
            assert shown[name] == expected, name
            assert values[name] not in table.to_string(), name
        else:
            plain = ", ".join(value) if isinstance(value, tuple) else str(value)
            assert shown[name] == plain, name


# --- Plaid error codes -------------------------------------------------------------------------


def plaid_doc_codes() -> set[str]:
    """The codes in the first column of docs/PLAID.md's "What each error means" table."""
    text = (ROOT / "docs" / "PLAID.md").read_text()
    table = text.split("## What each error means", 1)[1].split("\n## ", 1)[0]
    first_cells = re.findall(r"^\| ([^|]*) \|", table, flags=re.MULTILINE)
    return {code for cell in first_cells for code in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}


def codes_raised_for_plaid() -> set[str]:
    """Codes the app raises itself for Plaid (timeouts, unreadable bodies, sync loops, a token
    it cannot decrypt): the upper-case string constants of the modules that raise them."""
    found: set[str] = set()
    for path in (ROOT / "integrations/plaid/client.py", ROOT / "services/runtime/bank_data.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            constant = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if constant and re.fullmatch(r"[A-Z][A-Z0-9_]{3,}", node.value):
                found.add(node.value)
    return found


def test_every_plaid_error_code_with_guidance_is_documented() -> None:
    assert set(plaid_client.ERROR_CODES) - plaid_doc_codes() == set()


def test_every_documented_plaid_error_code_is_one_the_app_knows() -> None:
    known = set(plaid_client.ERROR_CODES) | set(plaid_client.ERROR_TYPES)
    assert plaid_doc_codes() - known - codes_raised_for_plaid() == set()


# --- One guidance type -------------------------------------------------------------------------


@pytest.mark.parametrize("upstream", [plaid_client, experian_client], ids=["Plaid", "Experian"])
def test_each_upstream_keeps_its_codes_as_guidance(upstream: object) -> None:
    table = upstream.ERROR_CODES  # type: ignore[attr-defined]
    assert table
    assert all(isinstance(guidance, Guidance) for guidance in table.values())


# --- One set of thresholds ---------------------------------------------------------------------


def test_band_advice_quotes_the_thresholds() -> None:
    """Each threshold is the upper end of one band's words and the lower end of the next's."""
    assert len(BANDS) == len(UTILIZATION_THRESHOLDS) + 1
    for index, threshold in enumerate(UTILIZATION_THRESHOLDS):
        written = f"{threshold:.0%}"
        assert written in BANDS[index].advice, BANDS[index]
        assert written in BANDS[index + 1].advice, BANDS[index + 1]


# --- The Plaid Link component's files ----------------------------------------------------------


def test_the_link_script_gets_every_constant_it_names() -> None:
    """A placeholder left in the script would be a syntax error in the person's browser."""
    from pages import _plaid_link

    lines = _plaid_link._JS.splitlines()
    code = "\n".join(line for line in lines if not line.lstrip().startswith("//"))
    assert re.findall(r"__[A-Z][A-Z0-9_]*__", code) == []
    assert '"https://cdn.plaid.com/' in code  # and the constants went in as JSON literals


def test_the_sign_in_page_answers_at_every_page_address() -> None:
    """A deep link of someone not let in shows the sign-in page, not "page not found"."""
    source = (ROOT / "app.py").read_text()
    stems = re.findall(r'st\.Page\("pages/(\w+)\.py"', source)
    gate = re.search(r"PAGE_PATHS = \(([^)]*)\)", source)
    assert gate is not None
    assert re.findall(r'"(\w+)"', gate.group(1)) == stems[1:]  # the first is the default page
