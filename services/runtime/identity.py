"""Who is looking: the signed-in person (Streamlit's OIDC sign-in) or, where the operator
configured no sign-in, a visitor of a local run, on this machine or not.

What a visitor may do follows from here alone: use the app at all, load the operator's
credentials (PLAID_ACCESS_TOKEN, EXPERIAN_APPLICANT), pull a credit report. A person is
named in logs and limits only by a keyed hash of who they are.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import streamlit as st

from services.runtime.cache_keys import keyed_hash
from services.runtime.settings import Settings
from services.runtime.shared_keys import person_secret_from

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})

Mode = Literal["sign_in", "local"]
Refusal = Literal["sign_in_needed", "not_allowed", "email_unverified"]


@dataclass(frozen=True)
class Visitor:
    mode: Mode
    key: str  # a keyed hash of who they are: for limits, audit lines and session binding
    email: str | None = None  # only when signed in; never logged
    name: str | None = None  # the name on the sign-in account, when the provider gives one
    refused: Refusal | None = None  # why they may not use the app, if they may not
    on_this_machine: bool = False
    owner: bool = False  # the operator's credentials load into this visitor's session

    @property
    def allowed(self) -> bool:
        return self.refused is None

    @property
    def may_pull_credit(self) -> bool:
        """A bureau pull runs under the operator's subscriber code: only for a person the
        app knows (signed in and allowed), or for the owner of a local run."""
        return self.allowed and (self.mode == "sign_in" or self.on_this_machine)


def _person_key(settings: Settings, kind: str, value: str) -> str:
    """Stable across restarts and replicas when the operator gave a secret to key it with
    (sign-in's cookie secret, else TOKEN_ENCRYPTION_KEY), so an audit trail, the shared
    limits and a kept history follow one person without naming them; random per process
    otherwise."""
    secret = _person_secret(settings)
    if secret is None:
        return keyed_hash(kind, value)
    digest = hmac.new(secret, f"person\0{kind}\0{value}".encode(), hashlib.sha256)
    return f"{kind}-{digest.hexdigest()[:24]}"


def _person_secret(settings: Settings) -> bytes | None:
    if settings.sign_in is not None:
        return settings.sign_in.cookie_secret.reveal().encode()
    if settings.token_encryption_keys:
        return person_secret_from(settings.token_encryption_keys[0].reveal())
    return None


def is_listed(email: str, entries: tuple[str, ...]) -> bool:
    """An address on the list, or one in a domain on it (whole domains only: a list naming
    example.com does not let in example.com.attacker.net or sub.example.com)."""
    email = email.strip().lower()
    domain = email.rpartition("@")[2]
    return any(entry == email or ("@" not in entry and entry == domain) for entry in entries)


def _revealed(values: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(v.reveal().lower() for v in values)


def on_this_machine(ip_address: str | None, host: str | None) -> bool:
    """Streamlit reports no address for a loopback connection. The Host header must name
    this machine too: a web page that rebinds its own name to 127.0.0.1 reaches us over
    loopback but says its own name."""
    if ip_address is not None:
        try:
            if not ipaddress.ip_address(ip_address).is_loopback:
                return False
        except ValueError:
            return False
    if host is None:  # no browser connection at all: a script or a test runner
        return True
    return _host_name(host) in LOCAL_HOSTS


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def signed_in_key(settings: Settings, email: str) -> str:
    """The key of the person signed in with ``email`` (``Visitor.key``): also how the API
    tells whether a token's person is still on ALLOWED_USERS."""
    return _person_key(settings, "person", email.strip().lower())


def local_owner_key(settings: Settings) -> str:
    """The key of the owner of a local run (on this machine)."""
    return _person_key(settings, "local", "-")


def signed_in_visitor(settings: Settings, user: Mapping[str, Any]) -> Visitor:
    email = str(user.get("email") or "").strip().lower()
    name = _account_name(user)
    if not user.get("is_logged_in") or not email:
        return Visitor("sign_in", _person_key(settings, "anonymous", "-"), refused="sign_in_needed")
    key = signed_in_key(settings, email)
    allowed = _revealed(settings.allowed_users)
    if not is_listed(email, allowed):
        return Visitor("sign_in", key, email, name, refused="not_allowed")
    # Anyone can type an address into some providers' accounts: a domain on the list admits
    # only addresses the provider says it verified. An address listed by itself is admitted
    # unless the provider says it is unverified (Entra ID, for one, sends no such claim).
    verified = user.get("email_verified")
    if verified is False or (verified is not True and email not in allowed):
        return Visitor("sign_in", key, email, name, refused="email_unverified")
    owner = is_listed(email, _revealed(settings.owner_emails))
    return Visitor("sign_in", key, email, name, owner=owner)


def local_visitor(settings: Settings, ip_address: str | None, host: str | None) -> Visitor:
    """No sign-in configured: everyone may look (the demo is open), but only someone on this
    machine gets the operator's credentials or a bureau pull."""
    local = on_this_machine(ip_address, host)
    key = local_owner_key(settings) if local else _person_key(settings, "visitor", str(ip_address))
    return Visitor("local", key, on_this_machine=local, owner=local)


def _account_name(user: Mapping[str, Any]) -> str | None:
    given, family = user.get("given_name"), user.get("family_name")
    if isinstance(given, str) and isinstance(family, str) and given and family:
        return f"{given} {family}"
    name = user.get("name")
    return name if isinstance(name, str) and name.strip() else None


def current_visitor(settings: Settings) -> Visitor:
    if settings.sign_in is not None:
        return signed_in_visitor(settings, st.user.to_dict())
    host = st.context.headers.get("Host") if st.context.headers else None
    address = st.context.ip_address
    # A browser's connection always has an address as text (None over loopback); a script
    # run without one (AppTest) has a stand-in object, and no Host header either.
    return local_visitor(settings, address if isinstance(address, str) else None, host)


def _folded(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(c if c.isalpha() else " " for c in plain).split()


def names_match(account_name: str | None, first_name: str, last_name: str) -> bool:
    """The applicant's first and last names both appear in the name on the sign-in account
    (ignoring case, accents and punctuation): a report is pulled only for the person who
    signed in, as far as the app can tell."""
    if not account_name:
        return False
    words = set(_folded(account_name))
    wanted = _folded(first_name) + _folded(last_name)
    return bool(wanted) and all(word in words for word in wanted)
