"""Names and seals of the shared cache: replicas with the same key agree, nothing in a name is
readable about a person, and a value opens only under its own name and key."""

from __future__ import annotations

import pickle
import re

import pytest
from cryptography.fernet import Fernet

from services.runtime.shared_keys import SharedKeys, ValueRejected
from services.runtime.vault import ReconnectRequired, TokenVault

KEY = Fernet.generate_key().decode()
OTHER_KEY = Fernet.generate_key().decode()
TOKEN = "access-sandbox-canary-0000-1111-2222"
NAME_SHAPE = re.compile(r"cm:v1:[a-z][a-z0-9-]*:[0-9a-f]{64}")


def test_replicas_with_the_same_key_agree_on_names() -> None:
    assert SharedKeys(KEY).name("item", TOKEN) == SharedKeys(KEY).name("item", TOKEN)
    assert SharedKeys(KEY).name("item", TOKEN) != SharedKeys(OTHER_KEY).name("item", TOKEN)


def test_a_name_shows_its_kind_and_nothing_of_the_identity() -> None:
    keys = SharedKeys(KEY)
    name = keys.name("item", TOKEN)
    assert NAME_SHAPE.fullmatch(name)
    assert name.startswith("cm:v1:item:")
    assert TOKEN not in name
    assert "canary" not in name
    # Each kind has its own hash: one entry's name does not lead to another kind's.
    assert name.split(":")[-1] != keys.name("sync", TOKEN).split(":")[-1]


@pytest.mark.parametrize("kind", ["", "Item", "item:x", "a person's name", "x" * 40])
def test_a_kind_is_a_short_word_of_ours(kind: str) -> None:
    with pytest.raises(ValueError, match="kind"):
        SharedKeys(KEY).name(kind, TOKEN)


def test_a_value_opens_under_its_own_name_only() -> None:
    keys = SharedKeys(KEY)
    mine, theirs = keys.name("item", TOKEN), keys.name("item", "access-sandbox-other")
    sealed = keys.seal(mine, b"payload")
    assert keys.open(mine, sealed) == b"payload"
    with pytest.raises(ValueRejected, match="another name"):
        keys.open(theirs, sealed)


def test_a_tampered_value_or_another_key_is_rejected() -> None:
    keys = SharedKeys(KEY)
    name = keys.name("report", "applicant")
    sealed = bytearray(keys.seal(name, b"payload"))
    sealed[40] ^= 1
    with pytest.raises(ValueRejected):
        keys.open(name, bytes(sealed))
    with pytest.raises(ValueRejected):
        SharedKeys(OTHER_KEY).open(name, keys.seal(name, b"payload"))
    with pytest.raises(ValueRejected):
        keys.open(name, b"not a fernet token")


def test_the_shared_keys_are_not_the_vault_key() -> None:
    """Derived with their own labels: the vault cannot open a shared value, nor the other way."""
    keys, vault = SharedKeys(KEY), TokenVault([KEY])
    name = keys.name("item", TOKEN)
    with pytest.raises(ReconnectRequired):
        vault.open(keys.seal(name, b"payload"))
    with pytest.raises(ValueRejected):
        keys.open(name, vault.seal("payload"))


def test_the_keys_never_show_or_pickle() -> None:
    keys = SharedKeys(KEY)
    assert KEY not in repr(keys)
    with pytest.raises(TypeError):
        pickle.dumps(keys)
