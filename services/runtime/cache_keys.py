"""Cache keys, in one place. A key identifies whose data an entry is without revealing it:
an HMAC of the access token (or applicant) under a secret that lives only in this process.
The names every replica shares in Redis (hybrid mode) need a shared secret instead: they are
made in ``shared_keys``."""

from __future__ import annotations

import hashlib
import hmac
import os

_PROCESS_KEY = os.urandom(32)


def keyed_hash(kind: str, secret_value: str) -> str:
    digest = hmac.new(_PROCESS_KEY, f"{kind}\0{secret_value}".encode(), hashlib.sha256)
    return f"{kind}-{digest.hexdigest()[:32]}"


def item_key(access_token: str) -> str:
    return keyed_hash("item", access_token)
