"""One typed, immutable settings object.

Values come from the process environment first, then a ``.env`` file, then Streamlit secrets.
Validation collects every problem at once and names the setting and what it expects, never
the value of a secret.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints
from urllib.parse import urlparse

from dotenv import dotenv_values

from integrations.common.secret import Secret
from integrations.common.timeouts import (
    DEFAULT_CALL_BUDGET_SECONDS,
    DEFAULT_CONNECT_TIMEOUT_SECONDS,
    DEFAULT_READ_TIMEOUT_SECONDS,
)
from services.runtime.vault import InvalidKeyError, validate_key
from services.storage.urls import DatabaseUrlError, database_url

PlaidEnv = Literal["sandbox", "production"]
ExperianEnv = Literal["sandbox", "uat", "production"]
DataSource = Literal["auto", "demo", "plaid"]

PLAID_HOSTS: Mapping[str, str] = {
    "sandbox": "https://sandbox.plaid.com",
    "production": "https://production.plaid.com",
}
EXPERIAN_HOSTS: Mapping[str, str] = {
    "sandbox": "https://sandbox-us-api.experian.com",
    "uat": "https://uat-us-api.experian.com",
    "production": "https://us-api.experian.com",
}
PLAID_PRODUCTS = frozenset(
    {
        "assets",
        "auth",
        "balance",
        "identity",
        "investments",
        "liabilities",
        "transactions",
        "income_verification",
        "signal",
        "statements",
    }
)
PLAID_COUNTRIES = frozenset(
    {"US", "CA", "GB", "IE", "FR", "ES", "NL", "DE", "IT", "PL"}
    | {"DK", "NO", "SE", "EE", "LT", "LV", "PT", "BE", "AT", "FI"}
)
DEFAULT_CACHE_TTL_SECONDS = 300
DEFAULT_PULLS_PER_PERSON = 2
DEFAULT_PULLS_PER_DEPLOYMENT = 20
DEFAULT_REFRESH_INTERVAL_SECONDS = 60
DEFAULT_SYNC_RETENTION_DAYS = 30
DEFAULT_HISTORY_RETENTION_MONTHS = 24
MAX_HISTORY_RETENTION_MONTHS = 120
MAX_CACHE_TTL_SECONDS = 24 * 3600


class SettingsError(ValueError):
    """Every problem found in the configuration, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("Invalid configuration:\n" + "\n".join(f"- {p}" for p in problems))


@dataclass(frozen=True)
class SignIn:
    """Streamlit's OIDC sign-in, configured in the ``[auth]`` section of the secrets."""

    providers: tuple[str, ...]  # () for the unnamed provider st.login() uses by default
    cookie_secret: Secret  # the operator's: also keys the hashes that name a person in logs


@dataclass(frozen=True)
class Settings:
    # Every value that must not be shown or logged is a Secret: the type decides, nothing else.
    plaid_client_id: Secret | None = None
    plaid_secret: Secret | None = None
    plaid_env: PlaidEnv = "sandbox"
    plaid_base_url: str | None = None
    plaid_access_tokens: tuple[Secret, ...] = ()
    plaid_products: tuple[str, ...] = ("transactions", "liabilities")
    plaid_country_codes: tuple[str, ...] = ("US",)
    plaid_redirect_uri: str | None = None
    plaid_webhook_url: str | None = None
    experian_client_id: Secret | None = None
    experian_client_secret: Secret | None = None
    experian_username: Secret | None = None
    experian_password: Secret | None = None
    experian_env: ExperianEnv = "sandbox"
    experian_base_url: str | None = None
    experian_subscriber_code: Secret | None = None
    experian_client_reference_id: str | None = None
    experian_applicant: Secret | None = None  # canonical JSON of a validated applicant
    token_encryption_keys: tuple[Secret, ...] = field(default=(), repr=False)
    cache_ttl_seconds: int = DEFAULT_CACHE_TTL_SECONDS
    data_source: DataSource = "auto"
    connect_timeout_seconds: float = DEFAULT_CONNECT_TIMEOUT_SECONDS
    read_timeout_seconds: float = DEFAULT_READ_TIMEOUT_SECONDS
    call_budget_seconds: float = DEFAULT_CALL_BUDGET_SECONDS
    as_of_date: date | None = None  # None: the server's calendar date
    # Who may use a deployment with sign-in, and who owns the operator's credentials. People's
    # addresses are personal data: Secrets, so never shown or logged.
    allowed_users: tuple[Secret, ...] = ()
    owner_emails: tuple[Secret, ...] = ()
    credit_pulls_per_person_per_day: int = DEFAULT_PULLS_PER_PERSON
    credit_pulls_per_day: int = DEFAULT_PULLS_PER_DEPLOYMENT
    refresh_interval_seconds: int = DEFAULT_REFRESH_INTERVAL_SECONDS
    # Hybrid mode: a Redis shared by every replica. The URL may carry a password.
    redis_url: Secret | None = None
    sync_retention_days: int = DEFAULT_SYNC_RETENTION_DAYS
    # Traditional mode: a history store. The URL may carry a password.
    database_url: Secret | None = None
    history_retention_months: int = DEFAULT_HISTORY_RETENTION_MONTHS
    # The JSON API's operator token (services/web/api.py): whoever holds it reads the
    # operator's data, so it is a Secret, long and random.
    api_token: Secret | None = None
    sign_in: SignIn | None = None  # from the [auth] section of the secrets, not a setting

    @property
    def operator_credentials(self) -> bool:
        """Credentials that are the operator's own: a bank and an applicant configured."""
        return bool(self.plaid_access_tokens or self.experian_applicant)

    @property
    def plaid_configured(self) -> bool:
        return bool(self.plaid_client_id and self.plaid_secret)

    @property
    def experian_configured(self) -> bool:
        return bool(
            self.experian_client_id
            and self.experian_client_secret
            and self.experian_username
            and self.experian_password
        )

    @property
    def plaid_host(self) -> str:
        return self.plaid_base_url or PLAID_HOSTS[self.plaid_env]

    @property
    def experian_host(self) -> str:
        return self.experian_base_url or EXPERIAN_HOSTS[self.experian_env]

    @property
    def effective_source(self) -> Literal["demo", "plaid"]:
        """``auto`` means demo data until Plaid credentials are present, as the README says.
        Experian alone does not switch: a deployment without banks sets ``DATA_SOURCE=plaid``
        (or the person picks their own data on Setup)."""
        if self.data_source == "auto":
            return "plaid" if self.plaid_configured else "demo"
        return self.data_source

    def secret_values(self) -> tuple[str, ...]:
        """Every configured secret in clear, decided by type: what no log line may show."""
        values = (getattr(self, f.name) for f in fields(self))
        flat = (v for value in values for v in (value if isinstance(value, tuple) else (value,)))
        found = [v.reveal() for v in flat if isinstance(v, Secret)]
        if self.sign_in is not None:
            found.append(self.sign_in.cookie_secret.reveal())
        return tuple(found)


# Each setting: name -> (field, parser). Parsers raise ExpectationError saying what is expected;
# the message never contains the value, because the value may be a secret.
Parser = Callable[[str], Any]


class ExpectationError(ValueError):
    """What a setting's value should look like: our words, never the value itself."""


def _secret(raw: str) -> Secret:
    return Secret(raw)


def _secret_list(raw: str) -> tuple[Secret, ...]:
    parts = tuple(part.strip() for part in raw.split(","))
    if any(not part for part in parts):
        raise ExpectationError("a comma-separated list without empty entries")
    return tuple(Secret(part) for part in parts)


def _fernet_keys(raw: str) -> tuple[Secret, ...]:
    """Checked here, where a bad key stops the app with the other settings' problems, rather
    than when a page first opens the vault."""
    keys = _secret_list(raw)
    for position, key in enumerate(keys, start=1):
        try:
            validate_key(key.reveal(), position)
        except InvalidKeyError:
            raise ExpectationError(
                f"a comma-separated list of Fernet keys, newest first; entry {position} is "
                "not one (a key is 43 url-safe base64 characters and '='; `make key` prints one)"
            ) from None
    return keys


def _choice(*allowed: str) -> Parser:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise ExpectationError("one of " + ", ".join(allowed))
        return value

    return parse


def _url(raw: str) -> str:
    parsed = urlparse(raw.strip())
    try:
        parsed.port  # noqa: B018 - raises on a port that is not a number from 0 to 65535
    except ValueError:
        raise ExpectationError("an http:// or https:// URL with a valid port") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ExpectationError("an http:// or https:// URL with a host")
    if "@" in parsed.netloc:  # a user name or password would be sent, shown and logged
        raise ExpectationError("a URL without a user name or password in it")
    return raw.strip().rstrip("/")


def _base_url(raw: str) -> str:
    """An upstream host: paths are appended to it, so a query or fragment has no place."""
    url = _url(raw)
    parsed = urlparse(url)
    if parsed.query or parsed.fragment or url.endswith(("?", "#")):
        raise ExpectationError("a base URL without a query or fragment")
    return url


_REDIS_DATABASE = re.compile(r"/?([0-9]{1,5})?")


def _redis_url(raw: str) -> Secret:
    """A Redis server: ``redis://`` or ``rediss://`` (TLS), a host, an optional port and
    ``/db`` number. A password may be in it, so it is a Secret. Query options are refused:
    they could override the short timeouts the shared store relies on."""
    expected = "a redis:// or rediss:// URL with a host, an optional port and /db number"
    try:
        parsed = urlparse(raw.strip())
        parsed.port  # noqa: B018 - raises on a port that is not a number from 0 to 65535
    except ValueError:  # its message may quote the value, which may hold a password
        raise ExpectationError(expected) from None
    if parsed.scheme not in ("redis", "rediss") or not parsed.hostname:
        raise ExpectationError(expected)
    if parsed.params or parsed.query or parsed.fragment or raw.strip().endswith(("?", "#")):
        raise ExpectationError(expected + ", without options after ? or #")
    if not _REDIS_DATABASE.fullmatch(parsed.path):
        raise ExpectationError(expected)
    return Secret(raw.strip())


def _database_url(raw: str) -> Secret:
    """The history store's URL, as ``services.storage.urls`` defines it. A password may be in
    it, so it is a Secret."""
    try:
        return Secret(database_url(raw))
    except DatabaseUrlError as expected:
        raise ExpectationError(str(expected)) from None


def _is_loopback(url: str) -> bool:
    """A URL to this machine (a test double, or a local proxy that adds TLS)."""
    host = (urlparse(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _webhook_url(raw: str) -> str:
    """Where Plaid sends webhooks: reachable from the internet over TLS, or (tests, a local
    tunnel) this machine."""
    url = _url(raw)
    if urlparse(url).scheme != "https" and not _is_loopback(url):
        raise ExpectationError(
            "an https:// URL (plain http:// only to this machine: localhost, 127.0.0.1 or ::1)"
        )
    return url


def _products(raw: str) -> tuple[str, ...]:
    values = tuple(p.strip().lower() for p in raw.split(",") if p.strip())
    unknown = [p for p in values if p not in PLAID_PRODUCTS]
    if not values or unknown:
        raise ExpectationError(
            "a comma-separated list of Plaid products, e.g. transactions,liabilities"
        )
    return values


def _countries(raw: str) -> tuple[str, ...]:
    values = tuple(c.strip().upper() for c in raw.split(",") if c.strip())
    if not values or any(c not in PLAID_COUNTRIES for c in values):
        raise ExpectationError("a comma-separated list of country codes Plaid supports, e.g. US,CA")
    return values


def _ttl(raw: str) -> int:
    raw = raw.strip()
    if not re.fullmatch(r"[0-9]+", raw) or not 1 <= int(raw) <= MAX_CACHE_TTL_SECONDS:
        raise ExpectationError(f"a whole number of seconds from 1 to {MAX_CACHE_TTL_SECONDS}")
    return int(raw)


def _seconds(low: float, high: float) -> Parser:
    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not low <= value <= high:
            raise ExpectationError(f"a number of seconds from {low:g} to {high:g}")
        return value

    return parse


def _iso_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ExpectationError("a date written YYYY-MM-DD") from None


def _applicant(raw: str) -> Secret:
    """A JSON object of the applicant's fields, validated like the Setup form."""
    from integrations.experian.client import Applicant

    try:
        fields = json.loads(raw)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        raise ExpectationError("a JSON object with first_name, last_name, dob, ssn, line1, city, "
                         "state and zip_code")  # fmt: skip
    try:
        applicant = Applicant.create(**{k: v for k, v in fields.items() if k in APPLICANT_FIELDS})
    except (TypeError, ValueError) as problem:
        reason = str(problem) if isinstance(problem, ValueError) else "missing fields"
        raise ExpectationError(f"a valid applicant ({reason})") from None
    return Secret(applicant_json(applicant))


APPLICANT_FIELDS = (
    "first_name", "middle_name", "last_name", "generation_code", "dob", "ssn",
    "line1", "line2", "city", "state", "zip_code",
)  # fmt: skip


def applicant_json(applicant: Any) -> str:
    """The canonical JSON of an Applicant: its cache identity and what the vault seals."""
    values = {name: getattr(applicant, name) for name in APPLICANT_FIELDS}
    plain = {k: v.reveal() if isinstance(v, Secret) else v for k, v in values.items()}
    return json.dumps(plain, sort_keys=True)


def _whole(low: int, high: int) -> Parser:
    def parse(raw: str) -> int:
        raw = raw.strip()
        if not re.fullmatch(r"[0-9]+", raw) or not low <= int(raw) <= high:
            raise ExpectationError(f"a whole number from {low} to {high}")
        return int(raw)

    return parse


_EMAIL = re.compile(r"[^@\s,]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_DOMAIN = re.compile(r"@?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def _people(allow_domains: bool) -> Parser:
    """Email addresses (and, where allowed, whole domains written example.com or
    @example.com), compared without regard to case."""

    def parse(raw: str) -> tuple[Secret, ...]:
        entries = [part.strip().lower() for part in raw.split(",")]
        for entry in entries:
            if _EMAIL.fullmatch(entry):
                continue
            if allow_domains and _DOMAIN.fullmatch(entry):
                continue
            what = "email addresses or domains" if allow_domains else "email addresses"
            raise ExpectationError(f"a comma-separated list of {what}")
        return tuple(Secret(entry[1:] if entry.startswith("@") else entry) for entry in entries)

    return parse


API_TOKEN_MIN_LENGTH = 32
_API_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]+")


def _api_token(raw: str) -> Secret:
    """Long and random (``make key`` prints one), and made of characters a Bearer header
    carries as they are."""
    token = raw.strip()
    if len(token) < API_TOKEN_MIN_LENGTH or not _API_TOKEN.fullmatch(token):
        raise ExpectationError(
            f"at least {API_TOKEN_MIN_LENGTH} random letters, digits or -._~+/= characters "
            "(`make key` prints one)"
        )
    return Secret(token)


def _subscriber_code(raw: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9]{1,20}", raw.strip()):
        raise ExpectationError("letters and digits only")
    return raw.strip()


def _secret_code(raw: str) -> Secret:
    return Secret(_subscriber_code(raw))


SETTINGS: Mapping[str, tuple[str, Parser]] = {
    "PLAID_CLIENT_ID": ("plaid_client_id", _secret),
    "PLAID_SECRET": ("plaid_secret", _secret),
    "PLAID_ENV": ("plaid_env", _choice("sandbox", "production")),
    "PLAID_BASE_URL": ("plaid_base_url", _base_url),
    "PLAID_ACCESS_TOKEN": ("plaid_access_tokens", _secret_list),
    "PLAID_PRODUCTS": ("plaid_products", _products),
    "PLAID_COUNTRY_CODES": ("plaid_country_codes", _countries),
    "PLAID_REDIRECT_URI": ("plaid_redirect_uri", _url),
    "PLAID_WEBHOOK_URL": ("plaid_webhook_url", _webhook_url),
    "EXPERIAN_CLIENT_ID": ("experian_client_id", _secret),
    "EXPERIAN_CLIENT_SECRET": ("experian_client_secret", _secret),
    "EXPERIAN_USERNAME": ("experian_username", _secret),
    "EXPERIAN_PASSWORD": ("experian_password", _secret),
    "EXPERIAN_ENV": ("experian_env", _choice("sandbox", "uat", "production")),
    "EXPERIAN_BASE_URL": ("experian_base_url", _base_url),
    "EXPERIAN_SUBSCRIBER_CODE": ("experian_subscriber_code", _secret_code),
    "EXPERIAN_CLIENT_REFERENCE_ID": ("experian_client_reference_id", _subscriber_code),
    "EXPERIAN_APPLICANT": ("experian_applicant", _applicant),
    "TOKEN_ENCRYPTION_KEY": ("token_encryption_keys", _fernet_keys),
    "CACHE_TTL_SECONDS": ("cache_ttl_seconds", _ttl),
    "DATA_SOURCE": ("data_source", _choice("auto", "demo", "plaid")),
    "UPSTREAM_CONNECT_TIMEOUT_SECONDS": ("connect_timeout_seconds", _seconds(0.1, 60)),
    "UPSTREAM_READ_TIMEOUT_SECONDS": ("read_timeout_seconds", _seconds(0.1, 300)),
    "UPSTREAM_BUDGET_SECONDS": ("call_budget_seconds", _seconds(0.1, 600)),
    "AS_OF_DATE": ("as_of_date", _iso_date),
    "ALLOWED_USERS": ("allowed_users", _people(allow_domains=True)),
    "OWNER_EMAILS": ("owner_emails", _people(allow_domains=False)),
    "CREDIT_PULLS_PER_PERSON_PER_DAY": ("credit_pulls_per_person_per_day", _whole(1, 100)),
    "CREDIT_PULLS_PER_DAY": ("credit_pulls_per_day", _whole(1, 100_000)),
    "REFRESH_INTERVAL_SECONDS": ("refresh_interval_seconds", _whole(0, 3600)),
    "REDIS_URL": ("redis_url", _redis_url),
    "SYNC_RETENTION_DAYS": ("sync_retention_days", _whole(1, 400)),
    "DATABASE_URL": ("database_url", _database_url),
    "HISTORY_RETENTION_MONTHS": (
        "history_retention_months",
        _whole(0, MAX_HISTORY_RETENTION_MONTHS),
    ),
    "API_TOKEN": ("api_token", _api_token),
}


def _holds_secret(kind: Any) -> bool:
    return kind is Secret or any(_holds_secret(arg) for arg in get_args(kind))


# Settings whose field holds a Secret (alone or in a tuple): shown only as set or not set.
# Read from the declared types, so a new secret setting is hidden without a list to update.
_FIELD_TYPES = get_type_hints(Settings)
SECRET_SETTINGS: frozenset[str] = frozenset(
    name for name, (attr, _) in SETTINGS.items() if _holds_secret(_FIELD_TYPES[attr])
)


def merge_sources(*sources: Mapping[str, Any]) -> dict[str, str]:
    """Take each known setting from the first source that has a non-empty value."""
    merged: dict[str, str] = {}
    for name in SETTINGS:
        for source in sources:
            value = source.get(name)
            if value is not None and str(value).strip() != "":
                merged[name] = str(value)
                break
    return merged


def parse_settings(raw: Mapping[str, str]) -> Settings:
    """Validate raw strings into Settings, raising one SettingsError listing every problem."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, (attr, parse) in SETTINGS.items():
        if name not in raw:
            continue
        try:
            values[attr] = parse(raw[name])
        except ExpectationError as expected:
            problems.append(f"{name} must be {expected}.")
        except ValueError:  # from the standard library, whose message may quote the value
            problems.append(f"{name} has a value that cannot be read.")
    _check_consistency(values, problems)
    if problems:
        raise SettingsError(problems)
    return Settings(**values)


def _check_consistency(values: Mapping[str, Any], problems: list[str]) -> None:
    if bool(values.get("plaid_client_id")) != bool(values.get("plaid_secret")):
        problems.append("PLAID_CLIENT_ID and PLAID_SECRET must be set together.")
    live = values.get("plaid_client_id") or values.get("experian_client_id")
    if values.get("data_source") == "plaid" and not live:
        problems.append("DATA_SOURCE=plaid needs Plaid or Experian credentials.")
    redirect = values.get("plaid_redirect_uri")
    if values.get("plaid_env") == "production" and redirect and not redirect.startswith("https"):
        problems.append("PLAID_REDIRECT_URI must be an https:// URL in production.")
    if values.get("redis_url") and not values.get("token_encryption_keys"):
        problems.append(
            "REDIS_URL needs TOKEN_ENCRYPTION_KEY: every replica names and encrypts what it "
            "shares with that key, and without it each process makes a random one of its own."
        )
    if values.get("database_url") and not values.get("token_encryption_keys"):
        problems.append(
            "DATABASE_URL needs TOKEN_ENCRYPTION_KEY: the history store names people and seals "
            "their tokens and reports with that key, and a random one made per process could "
            "not read them again after a restart."
        )
    _check_base_urls(values, problems)


def _check_base_urls(values: Mapping[str, Any], problems: list[str]) -> None:
    """Production credentials travel only over TLS; sandbox and UAT carry test data and test
    credentials, and a double or TLS-adding proxy on this machine is reached over plain http."""
    for name, url_attr, env_attr in (
        ("PLAID_BASE_URL", "plaid_base_url", "plaid_env"),
        ("EXPERIAN_BASE_URL", "experian_base_url", "experian_env"),
    ):
        url = values.get(url_attr)
        production = values.get(env_attr) == "production"
        if production and url and urlparse(url).scheme != "https" and not _is_loopback(url):
            problems.append(
                f"{name} must be an https:// URL in production (plain http:// only to this "
                "machine: localhost, 127.0.0.1 or ::1)."
            )


def load_settings(
    environ: Mapping[str, str] | None = None,
    dotenv_path: Path | None = Path(".env"),
    secrets: Mapping[str, Any] | None = None,
) -> Settings:
    """Read settings from the environment, then ``.env``, then Streamlit secrets."""
    env = os.environ if environ is None else environ
    dotenv = dotenv_values(dotenv_path) if dotenv_path and dotenv_path.is_file() else {}
    return parse_settings(merge_sources(env, dotenv, secrets or {}))


def streamlit_secrets() -> dict[str, Any]:
    """Top-level values of ``.streamlit/secrets.toml`` (or the Cloud secrets box), if any."""
    import streamlit as st

    try:
        if not st.secrets.load_if_toml_exists():
            return {}
        return {k: v for k, v in st.secrets.items() if isinstance(v, str | int | float)}
    except Exception:  # a malformed secrets file must not take the app down
        return {}


def sign_in_from(auth: Mapping[str, Any] | None) -> SignIn | None:
    """The ``[auth]`` section, if there is one: which providers it names. Streamlit checks
    the rest when someone signs in; a section without what every provider needs is refused
    here, with the other settings' problems."""
    if not auth:
        return None
    secret = auth.get("cookie_secret")
    if not auth.get("redirect_uri") or not isinstance(secret, str) or len(secret) < 16:
        raise SettingsError(
            ["The [auth] section of the secrets needs redirect_uri and a cookie_secret of at "
             "least 16 random characters (see docs/DEPLOYMENT.md)."]
        )  # fmt: skip
    named = tuple(sorted(k for k, v in auth.items() if isinstance(v, Mapping)))
    providers = () if auth.get("client_id") or not named else named
    return SignIn(providers=providers, cookie_secret=Secret(secret))


def streamlit_auth_section() -> Mapping[str, Any] | None:
    import streamlit as st

    try:
        if not st.secrets.load_if_toml_exists():
            return None
        auth = st.secrets.get("auth")
    except Exception:  # a malformed secrets file must not take the app down
        return None
    return auth.to_dict() if hasattr(auth, "to_dict") else auth


def current_settings() -> Settings:
    settings = load_settings(secrets=streamlit_secrets())
    sign_in = sign_in_from(streamlit_auth_section())
    return replace(settings, sign_in=sign_in) if sign_in else settings
