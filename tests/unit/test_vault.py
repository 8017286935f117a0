from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet

from services.runtime.vault import InvalidKeyError, ReconnectRequired, TokenVault, validate_key

TOKEN = "access-sandbox-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def new_key() -> str:
    return Fernet.generate_key().decode()


def test_seal_and_open_round_trip_without_plaintext_in_ciphertext() -> None:
    vault = TokenVault([new_key()])
    sealed = vault.seal(TOKEN)
    assert TOKEN.encode() not in sealed
    assert vault.open(sealed) == TOKEN
    with vault.revealed(sealed) as token:
        assert token == TOKEN


def test_rotation_old_tokens_open_and_rotate_to_the_new_key() -> None:
    old, new = new_key(), new_key()
    sealed_with_old = TokenVault([old]).seal(TOKEN)
    rotated_vault = TokenVault([new, old])
    assert rotated_vault.open(sealed_with_old) == TOKEN
    resealed = rotated_vault.rotate(sealed_with_old)
    assert TokenVault([new]).open(resealed) == TOKEN
    with pytest.raises(ReconnectRequired):
        TokenVault([old]).open(resealed)


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s[:-5] + b"AAAAA",  # tampered
        lambda s: b"not a token at all",
        lambda s: b"",
    ],
)
def test_tampered_token_asks_to_reconnect(damage) -> None:  # type: ignore[no-untyped-def]
    vault = TokenVault([new_key()])
    with pytest.raises(ReconnectRequired) as caught:
        vault.open(damage(vault.seal(TOKEN)))
    assert "reconnect" in str(caught.value)
    assert caught.value.__cause__ is None


def test_wrong_key_asks_to_reconnect() -> None:
    sealed = TokenVault([new_key()]).seal(TOKEN)
    with pytest.raises(ReconnectRequired):
        TokenVault([new_key()]).open(sealed)


def test_expired_token_asks_to_reconnect() -> None:
    vault = TokenVault([new_key()])
    sealed = vault.seal(TOKEN)
    # Fernet tokens carry their issue time; a token from the "future" minus ttl is expired.
    with pytest.raises(ReconnectRequired):
        vault.open(sealed, max_age_seconds=-1)


def test_without_a_key_the_vault_is_ephemeral_but_works() -> None:
    vault = TokenVault()
    assert vault.ephemeral
    assert vault.open(vault.seal(TOKEN)) == TOKEN
    assert not TokenVault([new_key()]).ephemeral


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "short",
        new_key()[:-1],  # no padding
        new_key()[:-1] + "!",  # stray character the library would skip
        "!" + new_key()[1:],
        base64.urlsafe_b64encode(b"x" * 31).decode() + "A=",  # 31 bytes dressed as 44 chars
        new_key().replace("=", "") + "==",
    ],
    # Named by kind: the keys are random, and every test process must collect the same ids.
    ids=[
        "empty",
        "short",
        "no padding",
        "stray character",
        "bad first character",
        "31 bytes",
        "double padding",
    ],
)
def test_malformed_keys_are_rejected_strictly(bad: str) -> None:
    with pytest.raises(InvalidKeyError) as caught:
        validate_key(bad, position=2)
    assert "TOKEN_ENCRYPTION_KEY entry 2" in str(caught.value)
    if bad:
        assert bad not in str(caught.value)


def test_non_canonical_last_character_is_rejected() -> None:
    key = new_key()
    # The 43rd character carries 2 unused bits; flipping them decodes to the same bytes.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(key[42])
    variant = key[:42] + alphabet[last ^ 1] + "="
    with pytest.raises(InvalidKeyError):
        validate_key(variant)
    assert validate_key(key) == key.encode()
