"""How the history store names a person: a keyed hash that every replica and every restart
agrees on.

The cache keys of ``services.runtime.cache_keys`` use a secret made per process, which is right
for a cache and wrong for a history that must find the same person tomorrow on another
replica. Here the key is derived with HKDF from the first (newest) ``TOKEN_ENCRYPTION_KEY``
under a label of its own, so it reveals neither the vault's key nor the shared cache's keys,
and a database dump alone cannot tell whose rows are whose.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PERSON_LABEL = b"credit-monitor history store: person keys v1"
PERSON_KEY = re.compile(r"[0-9a-f]{64}")


def _root(encryption_key: str) -> bytes:
    """The 32 bytes of a Fernet key (the settings have checked its exact form already)."""
    try:
        raw = base64.urlsafe_b64decode(encryption_key.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValueError("TOKEN_ENCRYPTION_KEY entry 1 must be a Fernet key (`make key`).")
    return raw


class PersonKeys:
    """Turns an identity (a signed-in address, a visitor's hash) into the key of its rows."""

    __slots__ = ("_key",)

    def __init__(self, encryption_key: str) -> None:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PERSON_LABEL)
        self._key = hkdf.derive(_root(encryption_key))

    def __repr__(self) -> str:
        return "PersonKeys(***)"

    def __reduce__(self) -> object:
        raise TypeError("person keys are never pickled")

    def person_key(self, identity: str) -> str:
        """64 hex characters, the same for the same identity on every replica."""
        message = identity.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def checked_person(person: str) -> str:
    """``person`` if it is a person key: a guard against passing an address or a name where a
    key belongs, which would put it in a column in clear."""
    if not isinstance(person, str) or not PERSON_KEY.fullmatch(person):
        raise ValueError("a person is named by the key person_key() gives, not by identity")
    return person
