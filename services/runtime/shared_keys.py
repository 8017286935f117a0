"""The keys every replica shares to name and seal what it puts in Redis (hybrid mode).

``cache_keys`` names this process's own cache entries with a random per-process secret, so two
replicas could never agree on a name. Here both keys are derived with HKDF from the first
(newest) ``TOKEN_ENCRYPTION_KEY``, which every replica is given:

- a key for names: ``cm:v1:<kind>:<HMAC-SHA256 hex>`` of the identity (an access token, an
  applicant), so a name says which kind of entry it is and nothing about whose;
- a Fernet key for values: encrypted and authenticated, and bound to the name they were written
  under, so a value copied to another person's name does not open there.

Different HKDF labels make the two keys independent of each other and of the vault's key:
knowing one reveals neither of the others. Adding a new key in front of ``TOKEN_ENCRYPTION_KEY``
changes every name, so what was shared before is simply not found again and expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.runtime.vault import validate_key

NAME_PREFIX = "cm:v1:"
_NAMES_LABEL = b"credit-monitor shared cache: key names v1"
_VALUES_LABEL = b"credit-monitor shared cache: values v1"
# A kind is ours (a short word), never data: it is the one readable part of a name.
_KIND = re.compile(r"[a-z][a-z0-9-]{0,31}")


class ValueRejected(Exception):  # noqa: N818 - it names what happened to the value
    """A value that does not open: tampered with, sealed under another key, or written under
    another name. Carries no part of the value."""


_PEOPLE_LABEL = b"credit-monitor person keys v1"


def _derive(root: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(root)


def person_secret_from(encryption_key: str) -> bytes:
    """The key that names people (``identity``) where no sign-in secret is configured: every
    replica derives the same one, and it reveals nothing of the key it came from."""
    return _derive(base64.urlsafe_b64decode(validate_key(encryption_key)), _PEOPLE_LABEL)


class SharedKeys:
    """Names and seals shared cache entries with keys derived from one Fernet key."""

    __slots__ = ("_fernet", "_names")

    def __init__(self, encryption_key: str) -> None:
        root = base64.urlsafe_b64decode(validate_key(encryption_key))
        self._names = _derive(root, _NAMES_LABEL)
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(root, _VALUES_LABEL)))

    def __repr__(self) -> str:
        return "SharedKeys(***)"

    def __reduce__(self) -> object:
        raise TypeError("shared keys are never pickled")

    def name(self, kind: str, identity: str) -> str:
        """The Redis key of one entry: the kind in clear, the identity as a keyed hash."""
        if not _KIND.fullmatch(kind):
            raise ValueError("a kind is a short lower-case word")
        message = f"{kind}\0{identity}".encode("utf-8", "surrogatepass")
        digest = hmac.new(self._names, message, hashlib.sha256).hexdigest()
        return f"{NAME_PREFIX}{kind}:{digest}"

    def seal(self, name: str, payload: bytes) -> bytes:
        """Encrypt and authenticate ``payload`` for the entry called ``name``."""
        return self._fernet.encrypt(_bound(name, payload))

    def open(self, name: str, sealed: bytes) -> bytes:
        """The payload sealed for ``name``; ValueRejected for anything else."""
        try:
            plain = self._fernet.decrypt(sealed)
        except (InvalidToken, TypeError, ValueError):
            raise ValueRejected("the value does not open with this deployment's key") from None
        prefix = _bound(name, b"")
        if not plain.startswith(prefix):
            raise ValueRejected("the value was written under another name")
        return plain[len(prefix) :]


def _bound(name: str, payload: bytes) -> bytes:
    """The name travels inside the ciphertext: Fernet has no associated data, and a value
    must open only under the name it was written for."""
    encoded = name.encode("ascii")
    return len(encoded).to_bytes(2, "big") + encoded + payload
