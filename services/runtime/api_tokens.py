"""Personal API tokens (traditional mode): a person the app keeps a history for makes and
revokes them on Setup, and the JSON API reads that person's kept history with one.

A token is ``cmk_`` and 32 random bytes (URL-safe base64): the prefix lets a secret scanner
spot a leaked one. It is shown once, when it is made; the store keeps only its SHA-256. With
256 random bits no salt or slow hash is needed: those protect guessable secrets, and nothing
about this one can be guessed or precomputed. A token is found by an equality on its hash,
so no comparison ever runs over the token itself (a lookup's timing tells at most something
about a hash nobody can invert).

Tokens exist only where a person's data outlives their session (``DATABASE_URL``): elsewhere
there is nothing for a token to read when the person is not looking.
"""

from __future__ import annotations

import hashlib
import secrets

from services.runtime import keeping, state
from services.runtime.identity import local_owner_key, signed_in_key
from services.runtime.settings import Settings
from services.storage.errors import StoreError
from services.storage.store import MAX_LIVE_TOKENS, ApiToken, HistoryStore, TokenHolder

__all__ = [
    "ApiToken",
    "TokenRefusedError",
    "create_token",
    "holder_of",
    "is_personal",
    "my_tokens",
    "offers_tokens",
    "revoke_token",
    "still_admitted",
    "token_digest",
]

TOKEN_PREFIX = "cmk_"  # noqa: S105 - the public prefix of every personal token
TOKEN_BYTES = 32
NAME_RULE = "Name the token with 1 to 40 characters: letters, digits, spaces, punctuation."
DOMAIN_LABEL = "allowed-domain:"  # names a sign-in domain apart from every person's key


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What the store keeps of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def is_personal(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX)


def offers_tokens(settings: Settings) -> bool:
    """Whether this session's person may have tokens: traditional mode, and kept."""
    return keeping.keeps_history(settings) and keeping.may_be_kept()


# --- On Setup: the signed-in person's own tokens -------------------------------------------------


class TokenRefusedError(ValueError):
    """A token was not made, for a reason the person can act on (the text is ours)."""


def _domain_key(store: HistoryStore) -> str | None:
    email = state.visitor().email
    if state.visitor().mode != "sign_in" or not email:
        return None
    return store.person_key(DOMAIN_LABEL + email.rpartition("@")[2])


def create_token(settings: Settings, name: str) -> str | None:
    """A new token for this session's person, to be shown once; None when the store is not
    answering. ``TokenRefusedError`` for a name that will not do, or one token too many."""
    found = keeping.keeper(settings)
    if found is None:
        return None
    token = new_token()
    try:
        made = found.store.add_api_token(
            found.person, name, token_digest(token), _domain_key(found.store)
        )
    except ValueError as problem:
        raise TokenRefusedError(NAME_RULE) from problem
    except StoreError as error:
        keeping.failed(error)
        return None
    if made is None:
        raise TokenRefusedError(f"You have {MAX_LIVE_TOKENS} tokens already: revoke one first.")
    return token


def my_tokens(settings: Settings) -> list[ApiToken] | None:
    """This session's person's live tokens; None when the store is not answering."""
    found = keeping.keeper(settings)
    if found is None:
        return None
    try:
        return found.store.api_tokens(found.person)
    except StoreError as error:
        keeping.failed(error)
        return None


def revoke_token(settings: Settings, token_id: int) -> bool:
    """Revoke one of this session's person's own tokens; whether it was revoked."""
    found = keeping.keeper(settings)
    if found is None:
        return False
    try:
        return found.store.revoke_api_token(found.person, token_id)
    except StoreError as error:
        keeping.failed(error)
        return False


# --- In the API: whose token, and are they still admitted --------------------------------------


def holder_of(store: HistoryStore, token: str) -> TokenHolder | None:
    """The live token's person, or None (unknown, revoked, or not a personal token)."""
    return store.token_holder(token_digest(token)) if is_personal(token) else None


def still_admitted(settings: Settings, store: HistoryStore, holder: TokenHolder) -> bool:
    """Whether the app would let the token's person in today. With sign-in: an address on
    ALLOWED_USERS, or a domain on it that was their sign-in domain; without: the owner of a
    local run only. Decided from keyed hashes: the store knows no address."""
    if settings.sign_in is None:
        return holder.person == store.person_key(local_owner_key(settings))
    entries = [entry.reveal().strip().lower() for entry in settings.allowed_users]
    people = {store.person_key(signed_in_key(settings, e)) for e in entries if "@" in e}
    domains = {store.person_key(DOMAIN_LABEL + e) for e in entries if "@" not in e}
    return holder.person in people or holder.domain_key in domains
