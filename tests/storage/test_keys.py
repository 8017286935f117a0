"""How the history names a person: stable for one deployment key, unrelated to every other key
derived from it, and never the identity itself."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from services.runtime.shared_keys import SharedKeys
from services.storage.keys import PersonKeys, checked_person

KEY = Fernet.generate_key().decode()
IDENTITY = "ann.canary@example.com"


def test_the_same_identity_is_the_same_key_in_every_process() -> None:
    assert PersonKeys(KEY).person_key(IDENTITY) == PersonKeys(KEY).person_key(IDENTITY)
    assert PersonKeys(KEY).person_key(IDENTITY) != PersonKeys(KEY).person_key(IDENTITY.upper())


def test_a_person_key_reveals_nothing_the_shared_cache_names_with() -> None:
    """Different HKDF labels: the history's key and the shared cache's name key differ, so
    a person's rows cannot be matched to their Redis entries without the root key."""
    person = PersonKeys(KEY).person_key(IDENTITY)
    cache_name = SharedKeys(KEY).name("item", IDENTITY)
    assert person not in cache_name
    assert checked_person(person) == person


@pytest.mark.parametrize("not_a_key", [IDENTITY, "A" * 64, "abc", ""])
def test_an_identity_where_a_person_key_belongs_is_refused(not_a_key: str) -> None:
    with pytest.raises(ValueError, match="not by identity") as caught:
        checked_person(not_a_key)
    assert IDENTITY not in str(caught.value)


def test_a_key_that_is_not_a_fernet_key_is_refused_without_quoting_it() -> None:
    with pytest.raises(ValueError, match="must be a Fernet key") as caught:
        PersonKeys("not-a-fernet-key-canary")
    assert "canary" not in str(caught.value)
