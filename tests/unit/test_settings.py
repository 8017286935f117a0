from __future__ import annotations

import base64
from pathlib import Path

import pytest

from integrations.common.secret import Secret
from services.runtime.settings import SettingsError, load_settings, parse_settings

SECRET_VALUE = "super-secret-value-123"


def test_defaults_open_on_demo_data() -> None:
    settings = parse_settings({})
    assert settings.effective_source == "demo"
    assert settings.plaid_env == "sandbox"
    assert settings.cache_ttl_seconds == 300
    assert settings.plaid_products == ("transactions", "liabilities")
    assert settings.plaid_host == "https://sandbox.plaid.com"
    assert settings.experian_host == "https://sandbox-us-api.experian.com"


def test_plaid_credentials_switch_auto_to_plaid() -> None:
    settings = parse_settings({"PLAID_CLIENT_ID": "cid", "PLAID_SECRET": SECRET_VALUE})
    assert settings.effective_source == "plaid"
    assert (
        parse_settings(
            {"PLAID_CLIENT_ID": "cid", "PLAID_SECRET": SECRET_VALUE, "DATA_SOURCE": "demo"}
        ).effective_source
        == "demo"
    )


def test_base_url_override_and_production_host() -> None:
    assert parse_settings({"PLAID_ENV": "production"}).plaid_host == "https://production.plaid.com"
    local = parse_settings({"PLAID_BASE_URL": "http://127.0.0.1:8765/"})
    assert local.plaid_host == "http://127.0.0.1:8765"
    assert (
        parse_settings({"EXPERIAN_ENV": "uat"}).experian_host == "https://uat-us-api.experian.com"
    )


def test_every_problem_is_reported_at_once_with_names() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(
            {
                "PLAID_ENV": "development",
                "CACHE_TTL_SECONDS": "five",
                "PLAID_PRODUCTS": "transactions,teleportation",
                "EXPERIAN_BASE_URL": "ftp://example",
                "DATA_SOURCE": "plaid",
            }
        )
    problems = caught.value.problems
    assert any(p.startswith("PLAID_ENV must be one of sandbox, production") for p in problems)
    assert any(p.startswith("CACHE_TTL_SECONDS must be a whole number") for p in problems)
    assert any(p.startswith("PLAID_PRODUCTS must be") for p in problems)
    assert any(p.startswith("EXPERIAN_BASE_URL must be an http") for p in problems)
    assert any(p.startswith("DATA_SOURCE=plaid needs Plaid or Experian") for p in problems)


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("PLAID_ACCESS_TOKEN", f"{SECRET_VALUE},,"),
        ("TOKEN_ENCRYPTION_KEY", f",{SECRET_VALUE}"),
    ],
)
def test_a_rejected_secret_is_never_echoed(name: str, bad: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({name: bad})
    assert SECRET_VALUE not in str(caught.value)
    assert name in str(caught.value)


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        # Found by the canary run: \s let a control character through to int(), whose own
        # message quoted the value (here a date of birth pasted in the wrong place).
        ("CACHE_TTL_SECONDS", "07041980\x1f"),
        ("CACHE_TTL_SECONDS", "٠٧٠٤١٩٨٠"),  # digits, but not ASCII ones
        ("UPSTREAM_READ_TIMEOUT_SECONDS", "07041980\x1f"),
    ],
)
def test_a_value_nobody_can_read_is_rejected_without_quoting_it(name: str, bad: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({name: bad})
    assert "07041980" not in str(caught.value)
    assert "٠٧٠٤" not in str(caught.value)
    assert name in str(caught.value)


def test_secret_without_partner_is_rejected_without_its_value() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({"PLAID_SECRET": SECRET_VALUE})
    assert "PLAID_CLIENT_ID and PLAID_SECRET must be set together" in str(caught.value)
    assert SECRET_VALUE not in str(caught.value)


def test_secrets_do_not_print_themselves() -> None:
    settings = parse_settings(
        {
            "PLAID_CLIENT_ID": "cid",
            "PLAID_SECRET": SECRET_VALUE,
            "PLAID_ACCESS_TOKEN": "access-sandbox-aaa, access-sandbox-bbb",
        }
    )
    assert SECRET_VALUE not in repr(settings)
    assert SECRET_VALUE not in f"{settings.plaid_secret}"
    assert "access-sandbox-aaa" not in repr(settings)
    assert [t.reveal() for t in settings.plaid_access_tokens] == [
        "access-sandbox-aaa",
        "access-sandbox-bbb",
    ]
    with pytest.raises(TypeError):
        __import__("pickle").dumps(Secret(SECRET_VALUE))


def test_environment_wins_over_dotenv_which_wins_over_secrets(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("PLAID_ENV=production\nCACHE_TTL_SECONDS=60\nEXPERIAN_ENV=uat\n")
    settings = load_settings(
        environ={"PLAID_ENV": "sandbox"},
        dotenv_path=dotenv,
        secrets={"CACHE_TTL_SECONDS": 30, "EXPERIAN_ENV": "production", "DATA_SOURCE": "demo"},
    )
    assert settings.plaid_env == "sandbox"
    assert settings.cache_ttl_seconds == 60
    assert settings.experian_env == "uat"
    assert settings.data_source == "demo"


def test_empty_values_fall_through_to_the_next_source(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"PLAID_ENV": ""}, dotenv_path=None, secrets={"PLAID_ENV": "production"}
    )
    assert settings.plaid_env == "production"


def test_timeouts_are_bounded_numbers() -> None:
    settings = parse_settings({"UPSTREAM_READ_TIMEOUT_SECONDS": "2.5"})
    assert (settings.connect_timeout_seconds, settings.read_timeout_seconds) == (5.0, 2.5)
    with pytest.raises(SettingsError, match="UPSTREAM_BUDGET_SECONDS must be a number of seconds"):
        parse_settings({"UPSTREAM_BUDGET_SECONDS": "forever"})
    with pytest.raises(SettingsError, match="UPSTREAM_CONNECT_TIMEOUT_SECONDS"):
        parse_settings({"UPSTREAM_CONNECT_TIMEOUT_SECONDS": "0"})


def test_production_redirect_uri_must_be_https() -> None:
    with pytest.raises(SettingsError, match="PLAID_REDIRECT_URI must be an https"):
        parse_settings({"PLAID_ENV": "production", "PLAID_REDIRECT_URI": "http://x.test/cb"})


def test_the_webhook_url_is_https_unless_it_is_this_machine() -> None:
    public = "https://app.example/webhooks/plaid"
    assert parse_settings({"PLAID_WEBHOOK_URL": public}).plaid_webhook_url == public
    local = "http://127.0.0.1:8501/webhooks/plaid"
    assert parse_settings({"PLAID_WEBHOOK_URL": local}).plaid_webhook_url == local
    with pytest.raises(SettingsError, match="PLAID_WEBHOOK_URL must be an https:// URL"):
        parse_settings({"PLAID_WEBHOOK_URL": "http://app.example/webhooks/plaid"})


def test_applicant_from_settings_is_validated_and_never_echoed() -> None:
    good = (
        '{"first_name": "Jordan", "last_name": "Demo", "dob": "07041980", '
        '"ssn": "666-12-3456", "line1": "1 Main St", "city": "Springfield", '
        '"state": "IL", "zip_code": "62704"}'
    )
    settings = parse_settings({"EXPERIAN_APPLICANT": good})
    assert settings.experian_applicant is not None
    assert "666123456" in settings.experian_applicant.reveal()  # normalised
    assert "666" not in repr(settings)
    for bad in (good.replace("666-12-3456", "666-12-345"), "not json", '{"first_name": "x"}'):
        with pytest.raises(SettingsError) as caught:
            parse_settings({"EXPERIAN_APPLICANT": bad})
        assert "EXPERIAN_APPLICANT must be" in str(caught.value)
        assert "666" not in str(caught.value)


GOOD_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()  # what `make key` prints


@pytest.mark.parametrize(
    ("keys", "entry"),
    [
        (SECRET_VALUE, 1),
        (f"{GOOD_KEY},{SECRET_VALUE}", 2),
        (GOOD_KEY[:-2] + "!=", 1),  # one character outside the alphabet
        (GOOD_KEY[:-1], 1),  # the padding left off
    ],
    ids=["not a key", "second of two", "one character off", "no padding"],
)
def test_a_malformed_encryption_key_is_rejected_when_settings_are_read(
    keys: str, entry: int
) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({"TOKEN_ENCRYPTION_KEY": keys})
    (problem,) = caught.value.problems
    assert problem.startswith("TOKEN_ENCRYPTION_KEY must be a comma-separated list of Fernet keys")
    assert f"entry {entry} is not one" in problem
    for key in keys.split(","):
        assert key not in str(caught.value)


def test_well_formed_encryption_keys_are_kept_in_order() -> None:
    newer = base64.urlsafe_b64encode(bytes(range(32, 64))).decode()
    settings = parse_settings({"TOKEN_ENCRYPTION_KEY": f" {newer} , {GOOD_KEY}"})
    assert [k.reveal() for k in settings.token_encryption_keys] == [newer, GOOD_KEY]


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("PLAID_BASE_URL", f"https://proxy-user:{SECRET_VALUE}@proxy.example"),
        ("EXPERIAN_BASE_URL", f"https://{SECRET_VALUE}@proxy.example/experian"),
        ("PLAID_REDIRECT_URI", f"https://me:{SECRET_VALUE}@app.example/return"),
        ("PLAID_WEBHOOK_URL", f"https://me:{SECRET_VALUE}@app.example/webhooks/plaid"),
    ],
)
def test_a_url_with_a_user_name_or_password_is_rejected_without_echoing_it(
    name: str, url: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({name: url})
    assert caught.value.problems == (
        f"{name} must be a URL without a user name or password in it.",
    )
    assert SECRET_VALUE not in str(caught.value)
    assert "proxy-user" not in str(caught.value)


@pytest.mark.parametrize("name", ["PLAID_BASE_URL", "EXPERIAN_BASE_URL"])
def test_a_base_url_takes_no_query_or_fragment(name: str) -> None:
    for url in (f"https://proxy.example/?key={SECRET_VALUE}", "https://proxy.example/#top"):
        with pytest.raises(SettingsError, match=f"{name} must be a base URL without a query"):
            parse_settings({name: url})


@pytest.mark.parametrize(
    ("env", "url", "accepted"),
    [
        ({"PLAID_ENV": "production"}, "http://proxy.example", False),
        ({"PLAID_ENV": "production"}, "https://proxy.example", True),
        ({"PLAID_ENV": "production"}, "http://127.0.0.1:8765", True),
        ({"PLAID_ENV": "production"}, "http://127.10.0.3:8765", True),
        ({"PLAID_ENV": "production"}, "http://localhost:8765", True),
        ({"PLAID_ENV": "production"}, "http://[::1]:8765", True),
        ({"PLAID_ENV": "production"}, "http://127.0.0.1.proxy.example", False),
        ({"PLAID_ENV": "sandbox"}, "http://proxy.example", True),
        ({"EXPERIAN_ENV": "production"}, "http://proxy.example", False),
        ({"EXPERIAN_ENV": "uat"}, "http://proxy.example", True),
    ],
)
def test_base_urls_need_https_in_production_except_to_this_machine(
    env: dict[str, str], url: str, accepted: bool
) -> None:
    name = "PLAID_BASE_URL" if "PLAID_ENV" in env else "EXPERIAN_BASE_URL"
    raw = {**env, name: url}
    if accepted:
        parse_settings(raw)
        return
    with pytest.raises(SettingsError) as caught:
        parse_settings(raw)
    assert caught.value.problems == (
        f"{name} must be an https:// URL in production (plain http:// only to this machine: "
        "localhost, 127.0.0.1 or ::1).",
    )


EXPERIAN_ONLY = {
    "EXPERIAN_CLIENT_ID": "experian-client",
    "EXPERIAN_CLIENT_SECRET": SECRET_VALUE,
    "EXPERIAN_USERNAME": "experian-user",
    "EXPERIAN_PASSWORD": SECRET_VALUE,
}


def test_auto_switches_to_live_data_on_plaid_credentials_only() -> None:
    # The README: `auto` is demo until Plaid credentials are set. Experian alone stays on demo
    # data; such a deployment sets DATA_SOURCE=plaid to open on live data.
    assert parse_settings(EXPERIAN_ONLY).effective_source == "demo"
    live = parse_settings({**EXPERIAN_ONLY, "DATA_SOURCE": "plaid"})
    assert (live.effective_source, live.experian_configured, live.plaid_configured) == (
        "plaid", True, False,
    )  # fmt: skip
    with_plaid = {**EXPERIAN_ONLY, "PLAID_CLIENT_ID": "cid", "PLAID_SECRET": SECRET_VALUE}
    assert parse_settings(with_plaid).effective_source == "plaid"


def test_identifiers_of_the_operators_accounts_are_secrets() -> None:
    plaid = {"PLAID_CLIENT_ID": "cid-canary", "PLAID_SECRET": SECRET_VALUE}
    settings = parse_settings({**EXPERIAN_ONLY, **plaid, "EXPERIAN_SUBSCRIBER_CODE": "SUB123"})
    for value in ("cid-canary", "experian-client", "experian-user", "SUB123"):
        assert value not in repr(settings)
    assert settings.plaid_client_id == Secret("cid-canary")
    assert settings.experian_subscriber_code == Secret("SUB123")


# --- Hybrid mode -------------------------------------------------------------------------------

FERNET_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1",
        "redis://localhost:6379/0",
        f"redis://:{SECRET_VALUE}@redis.internal:6380/13",
        f"rediss://default:{SECRET_VALUE}@cache.example.com:6380",
        "rediss://cache.example.com/",
    ],
)
def test_a_redis_url_is_kept_as_a_secret(url: str) -> None:
    settings = parse_settings({"REDIS_URL": url, "TOKEN_ENCRYPTION_KEY": FERNET_KEY})
    assert settings.redis_url == Secret(url)
    assert SECRET_VALUE not in repr(settings)


@pytest.mark.parametrize(
    "url",
    [
        f"http://:{SECRET_VALUE}@cache.example.com",  # not Redis
        f"unix://{SECRET_VALUE}/redis.sock",
        f"redis://:{SECRET_VALUE}@",  # no host
        f"redis://:{SECRET_VALUE}@cache.example.com:99999",
        f"redis://:{SECRET_VALUE}@cache.example.com/zero",
        f"redis://:{SECRET_VALUE}@cache.example.com/0/1",
        f"rediss://:{SECRET_VALUE}@cache.example.com?ssl_cert_reqs=none",  # options: refused
        f"redis://:{SECRET_VALUE}@cache.example.com/0?socket_timeout=60",
        f"redis://:{SECRET_VALUE}@cache.example.com#0",
        f"redis://:{SECRET_VALUE}@[::1",  # the standard library's own message would quote it
    ],
)
def test_a_bad_redis_url_is_rejected_without_quoting_it(url: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({"REDIS_URL": url, "TOKEN_ENCRYPTION_KEY": FERNET_KEY})
    (problem,) = caught.value.problems
    assert problem.startswith("REDIS_URL must be a redis:// or rediss:// URL")
    assert SECRET_VALUE not in str(caught.value)


def test_redis_needs_the_encryption_key_every_replica_shares() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({"REDIS_URL": "redis://127.0.0.1:6379/0"})
    (problem,) = caught.value.problems
    assert problem.startswith("REDIS_URL needs TOKEN_ENCRYPTION_KEY")


def test_sync_retention_is_a_bounded_number_of_days() -> None:
    assert parse_settings({}).sync_retention_days == 30
    assert parse_settings({"SYNC_RETENTION_DAYS": "400"}).sync_retention_days == 400
    for bad in ("0", "401", "30.5", "a month"):
        with pytest.raises(SettingsError, match="SYNC_RETENTION_DAYS must be a whole number"):
            parse_settings({"SYNC_RETENTION_DAYS": bad})


# --- Traditional mode --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("sqlite:///history.db", "sqlite:///history.db"),
        ("sqlite:////var/lib/credit-monitor/history.db", None),
        (f"postgresql+psycopg://app:{SECRET_VALUE}@db.internal:5432/history", None),
        (
            f"postgresql://app:{SECRET_VALUE}@db.example.com/history?sslmode=require",
            f"postgresql+psycopg://app:{SECRET_VALUE}@db.example.com/history?sslmode=require",
        ),
        ("postgres://db.internal/history", "postgresql+psycopg://db.internal/history"),
    ],
)
def test_a_database_url_is_kept_as_a_secret_and_speaks_psycopg(url: str, kept: str | None) -> None:
    settings = parse_settings({"DATABASE_URL": url, "TOKEN_ENCRYPTION_KEY": FERNET_KEY})
    assert settings.database_url == Secret(kept or url)
    assert SECRET_VALUE not in repr(settings)


@pytest.mark.parametrize(
    "url",
    [
        f"mysql://app:{SECRET_VALUE}@db.internal/history",
        f"postgresql+psycopg2://app:{SECRET_VALUE}@db.internal/history",  # not installed
        f"postgresql+psycopg://app:{SECRET_VALUE}@db.internal",  # no database
        f"postgresql+psycopg://app:{SECRET_VALUE}@/history",  # no host
        f"postgresql+psycopg://app:{SECRET_VALUE}@db.internal:99999/history",
        f"postgresql+psycopg://app:{SECRET_VALUE}@[::1/history",
        f"postgresql+psycopg://app:{SECRET_VALUE}@db.internal/history#{SECRET_VALUE}",
        "sqlite://",  # in memory: forgotten on restart
        "sqlite:///:memory:",
        f"sqlite:///{SECRET_VALUE}.db?mode=ro",
        f"sqlite://{SECRET_VALUE}/history.db",  # a host: not a file of this machine
        f"{SECRET_VALUE}.db",
    ],
)
def test_a_bad_database_url_is_rejected_without_quoting_it(url: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({"DATABASE_URL": url, "TOKEN_ENCRYPTION_KEY": FERNET_KEY})
    (problem,) = caught.value.problems
    assert problem.startswith("DATABASE_URL must be a sqlite:///<path> or postgresql+psycopg://")
    assert SECRET_VALUE not in str(caught.value)


def test_the_history_store_needs_the_encryption_key() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings({"DATABASE_URL": "sqlite:///history.db"})
    (problem,) = caught.value.problems
    assert problem.startswith("DATABASE_URL needs TOKEN_ENCRYPTION_KEY")


def test_history_retention_is_a_bounded_number_of_months_or_forever() -> None:
    assert parse_settings({}).history_retention_months == 24
    assert parse_settings({"HISTORY_RETENTION_MONTHS": "0"}).history_retention_months == 0
    assert parse_settings({"HISTORY_RETENTION_MONTHS": "120"}).history_retention_months == 120
    for bad in ("121", "-1", "12.5", "two years"):
        with pytest.raises(SettingsError) as caught:
            parse_settings({"HISTORY_RETENTION_MONTHS": bad})
        (problem,) = caught.value.problems
        assert problem.startswith("HISTORY_RETENTION_MONTHS must be a whole number from 0 to 120")
