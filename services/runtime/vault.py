"""Fernet encryption for access tokens and other secrets kept in a session.

Only ciphertext is stored in ``st.session_state``; the plaintext exists only inside the call
that uses it. Several keys (newest first) allow rotation without disconnecting anyone.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# cryptography's own decoder skips characters outside the alphabet, so a key with a typo can
# still load as a different key; we insist on the exact canonical form instead.
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}=")


class InvalidKeyError(ValueError):
    """TOKEN_ENCRYPTION_KEY is not a list of Fernet keys. Never carries the key itself."""


class ReconnectRequired(Exception):  # noqa: N818 - it names what the user must do
    """A stored secret can no longer be read: tampered, expired, or sealed with another key."""

    def __init__(self) -> None:
        super().__init__("This connection can no longer be read; please reconnect.")


def validate_key(key: str, position: int = 1) -> bytes:
    """Return the key as bytes if it is a canonical 32-byte url-safe base64 Fernet key."""
    problem = InvalidKeyError(
        f"TOKEN_ENCRYPTION_KEY entry {position} must be a Fernet key: 43 url-safe base64 "
        "characters followed by '=' (generate one with `make key`)."
    )
    if not _KEY_SHAPE.fullmatch(key):
        raise problem
    try:
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, ValueError):
        raise problem from None
    if len(raw) != 32 or base64.urlsafe_b64encode(raw).decode("ascii") != key:
        raise problem
    return key.encode("ascii")


class TokenVault:
    """Seals and opens secrets with MultiFernet: the first key encrypts, every key decrypts."""

    def __init__(self, keys: Sequence[str] = ()) -> None:
        if keys:
            fernets = [Fernet(validate_key(k, i)) for i, k in enumerate(keys, start=1)]
            self.ephemeral = False
        else:
            fernets = [Fernet(Fernet.generate_key())]
            self.ephemeral = True
        self._fernet = MultiFernet(fernets)

    def seal(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def open(self, ciphertext: bytes, max_age_seconds: int | None = None) -> str:
        try:
            return self._fernet.decrypt(ciphertext, ttl=max_age_seconds).decode("utf-8")
        except (InvalidToken, TypeError, UnicodeDecodeError):
            raise ReconnectRequired() from None

    @contextmanager
    def revealed(self, ciphertext: bytes, max_age_seconds: int | None = None) -> Iterator[str]:
        """Give the plaintext to a ``with`` block only."""
        yield self.open(ciphertext, max_age_seconds)

    def rotate(self, ciphertext: bytes) -> bytes:
        """Re-seal under the newest key (after a key was added to the front of the list)."""
        try:
            return self._fernet.rotate(ciphertext)
        except (InvalidToken, TypeError):
            raise ReconnectRequired() from None
