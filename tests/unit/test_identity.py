"""Who may use the app, who owns the operator's credentials, and who may pull a report."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.fernet import Fernet

from services.runtime.identity import (
    is_listed,
    local_visitor,
    names_match,
    on_this_machine,
    signed_in_visitor,
)
from services.runtime.settings import Settings, SettingsError, parse_settings, sign_in_from

AUTH = {
    "redirect_uri": "https://app.example.com/oauth2callback",
    "cookie_secret": "s" * 32,
    "client_id": "app",
    "client_secret": "x",
    "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration",
}


def signed_in(**raw: str) -> Settings:
    return replace(parse_settings(raw), sign_in=sign_in_from(AUTH))


def user(email: str, **claims: object) -> dict[str, object]:
    return {"is_logged_in": True, "email": email, "email_verified": True, **claims}


@pytest.mark.parametrize(
    ("email", "listed"),
    [
        ("ada@example.com", True),  # the address itself
        ("ADA@Example.com", True),  # addresses compare without case
        ("bob@corp.test", True),  # a whole domain
        ("bob@sub.corp.test", False),  # not its subdomains
        ("bob@corp.test.attacker.net", False),  # nor a name that merely starts with it
        ("eve@example.com", False),  # an address listed is not its domain
        ("ada@example.com.evil", False),
    ],
)
def test_the_allow_list_takes_addresses_and_whole_domains(email: str, listed: bool) -> None:
    assert is_listed(email, ("ada@example.com", "corp.test")) is listed


def test_a_person_not_signed_in_is_asked_to_sign_in() -> None:
    visitor = signed_in_visitor(signed_in(ALLOWED_USERS="corp.test"), {"is_logged_in": False})
    assert visitor.refused == "sign_in_needed"
    assert not visitor.may_pull_credit
    assert not visitor.owner


def test_only_listed_verified_addresses_get_in_and_only_owners_own() -> None:
    settings = signed_in(ALLOWED_USERS="corp.test", OWNER_EMAILS="boss@corp.test")
    assert signed_in_visitor(settings, user("eve@else.test")).refused == "not_allowed"
    unverified = user("ann@corp.test", email_verified=False)
    assert signed_in_visitor(settings, unverified).refused == "email_unverified"
    ann = signed_in_visitor(settings, user("ann@corp.test"))
    boss = signed_in_visitor(settings, user("Boss@corp.test"))
    assert ann.allowed
    assert not ann.owner
    assert ann.may_pull_credit
    assert boss.allowed
    assert boss.owner


def test_a_domain_admits_only_addresses_the_provider_verified() -> None:
    settings = signed_in(ALLOWED_USERS="corp.test,solo@else.test")
    silent = {"is_logged_in": True, "email": "ann@corp.test"}  # no email_verified claim
    assert signed_in_visitor(settings, silent).refused == "email_unverified"
    listed = {"is_logged_in": True, "email": "solo@else.test"}
    assert signed_in_visitor(settings, listed).allowed
    unverified = {**listed, "email_verified": False}
    assert signed_in_visitor(settings, unverified).refused == "email_unverified"


def test_no_allow_list_lets_nobody_in() -> None:
    assert signed_in_visitor(signed_in(), user("ann@corp.test")).refused == "not_allowed"


def test_a_person_is_named_by_a_stable_keyed_hash_never_their_address() -> None:
    settings = signed_in(ALLOWED_USERS="corp.test")
    first = signed_in_visitor(settings, user("ann@corp.test"))
    again = signed_in_visitor(settings, user("ANN@corp.test"))
    other = signed_in_visitor(settings, user("bob@corp.test"))
    assert first.key == again.key != other.key
    assert "ann" not in first.key
    assert "corp" not in first.key


def test_without_sign_in_the_encryption_key_names_a_visitor_the_same_on_every_replica() -> None:
    key = Fernet.generate_key().decode()
    configured = parse_settings({"TOKEN_ENCRYPTION_KEY": key})
    again = parse_settings({"TOKEN_ENCRYPTION_KEY": key})  # another process, the same key
    other = parse_settings({"TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode()})

    person = local_visitor(configured, None, None).key
    assert local_visitor(again, None, None).key == person
    assert local_visitor(other, None, None).key != person
    assert local_visitor(configured, "192.0.2.7", "h:1").key != person  # another visitor
    assert key not in person


@pytest.mark.parametrize(
    ("address", "host", "local"),
    [
        (None, None, True),  # a script run: no connection at all
        (None, "localhost:8501", True),
        (None, "127.0.0.1:8501", True),
        (None, "[::1]:8501", True),
        (None, "rebound.example:8501", False),  # a page that rebinds its name to 127.0.0.1
        ("192.0.2.7", "127.0.0.1:8501", False),  # another machine, whatever it calls us
        ("not an address", None, False),
    ],
)
def test_local_mode_trusts_only_this_machine(
    address: str | None, host: str | None, local: bool
) -> None:
    assert on_this_machine(address, host) is local
    visitor = local_visitor(Settings(), address, host)
    assert visitor.allowed  # the demo is open to everyone
    assert visitor.owner is local
    assert visitor.may_pull_credit is local


@pytest.mark.parametrize(
    ("account", "first", "last", "match"),
    [
        ("Ada Lovelace", "ADA", "LOVELACE", True),
        ("José Núñez-García", "Jose", "Nunez-Garcia", True),
        ("Ada Lovelace", "Ada", "Byron", False),
        ("Ada", "Ada", "Lovelace", False),
        (None, "Ada", "Lovelace", False),  # an account without a name proves nothing
    ],
)
def test_a_report_is_for_the_name_on_the_sign_in_account(
    account: str | None, first: str, last: str, match: bool
) -> None:
    assert names_match(account, first, last) is match


def test_given_and_family_names_are_preferred_to_the_display_name() -> None:
    settings = signed_in(ALLOWED_USERS="corp.test")
    visitor = signed_in_visitor(
        settings, user("ann@corp.test", name="Annie", given_name="Ann", family_name="Lee")
    )
    assert visitor.name == "Ann Lee"


def test_an_auth_section_without_its_secret_is_refused_by_name() -> None:
    with pytest.raises(SettingsError) as refused:
        sign_in_from({**AUTH, "cookie_secret": "short"})
    assert "cookie_secret" in str(refused.value)
    assert "short" not in str(refused.value)
    named = sign_in_from({k: v for k, v in AUTH.items() if k != "client_id"} | {"google": {}})
    assert named is not None
    assert named.providers == ("google",)
    assert sign_in_from(None) is None


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("ALLOWED_USERS", "ann@corp.test,,bob@corp.test"),
        ("ALLOWED_USERS", "not an address"),
        ("OWNER_EMAILS", "corp.test"),  # an owner is a person, not a domain
        ("CREDIT_PULLS_PER_PERSON_PER_DAY", "1000"),
        ("REFRESH_INTERVAL_SECONDS", "-57"),
    ],
)
def test_access_settings_are_checked_without_quoting_them(name: str, raw: str) -> None:
    with pytest.raises(SettingsError) as refused:
        parse_settings({name: raw})
    assert name in str(refused.value)
    assert raw not in str(refused.value)


def test_people_in_settings_are_secrets_and_masked_in_logs() -> None:
    settings = parse_settings({"ALLOWED_USERS": "@corp.test", "OWNER_EMAILS": "Boss@corp.test"})
    assert [v.reveal() for v in settings.allowed_users] == ["corp.test"]
    assert "boss@corp.test" in settings.secret_values()
    assert "boss" not in repr(settings)
