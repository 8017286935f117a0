"""Plaid's webhooks: whether a call really comes from Plaid, and what it says.

Plaid signs every webhook. The ``Plaid-Verification`` header is a JWT signed with ES256 whose
header names the signing key (``kid``, fetched from /webhook_verification_key/get) and whose
claims say when it was issued (``iat``) and the SHA-256 of the body it was sent with
(``request_body_sha256``). A call is accepted only when all of it holds, the token is at most
five minutes old, and it was not accepted before (by this process, or by any replica sharing
the caller's ``claim``).

The cheap checks (shape, algorithm, age, body hash, replay) run before a key is fetched, so a
stream of junk costs no call to Plaid; refused key ids are remembered for a while for the same
reason. Nothing here logs or keeps a body: only hashes of tokens, and key ids.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from integrations.common.errors import Action, UpstreamError

ALGORITHM = "ES256"
MAX_AGE_SECONDS = 5 * 60  # Plaid's rule: a token older than this is not to be trusted
# Clocks differ a little; a token from further in the future than this is refused.
CLOCK_SKEW_SECONDS = 60
# How long an accepted call is remembered: until its token is too old to be accepted anyway.
REPLAY_WINDOW_SECONDS = MAX_AGE_SECONDS + CLOCK_SKEW_SECONDS
KEY_LIFETIME_SECONDS = 24 * 3600  # a live key is asked for again after this, in case it expired
REFUSED_KID_SECONDS = 60  # an unknown key id is not asked about again within this
# Plaid is asked for at most this many keys a minute: forged calls naming new key ids must not
# spend the app's Plaid quota (Plaid retries a webhook refused with 503).
KEY_FETCHES_PER_MINUTE = 10
MAX_REMEMBERED = 10_000  # tokens seen, keys and refused ids: bounded whatever the traffic
SIGNATURE_BYTES = 64  # ES256: r and s, 32 bytes each (JWS's form, not DER)


class WebhookVerificationError(UpstreamError):
    """A webhook call that is not accepted. ``code`` says which check failed (for the log);
    the caller is told only that it was not verified."""

    service = "Plaid webhook"

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(code=code, user_message=reason, action=Action.NONE, error_type="REFUSED")


class KeyUnavailableError(WebhookVerificationError):
    """Plaid could not be asked for the key: the call may be genuine, so Plaid should retry."""


def _refused(code: str, reason: str) -> WebhookVerificationError:
    return WebhookVerificationError(code, reason)


def _unavailable() -> KeyUnavailableError:
    return KeyUnavailableError("KEY_UNAVAILABLE", "Plaid could not be asked for the key")


_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


def _b64url(part: str) -> bytes:
    """JWS's unpadded base64url, strictly: a lenient decoder would let one token be written
    in many ways (padding, ignored characters)."""
    if not _BASE64URL.fullmatch(part):
        raise _refused("MALFORMED_TOKEN", "the verification token is not a JWT")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise _refused("MALFORMED_TOKEN", "the verification token is not a JWT") from None


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict):
        raise _refused("MALFORMED_TOKEN", "the verification token is not a JWT")
    return value


@dataclass(frozen=True)
class SignedToken:
    """A JWT split into what is verified: its header, claims, signed text and signature."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signed: bytes
    signature: bytes

    @classmethod
    def parse(cls, token: str) -> SignedToken:
        parts = token.split(".")
        if len(parts) != 3 or not all(parts):
            raise _refused("MALFORMED_TOKEN", "the verification token is not a JWT")
        header, claims = _json_object(_b64url(parts[0])), _json_object(_b64url(parts[1]))
        return cls(header, claims, f"{parts[0]}.{parts[1]}".encode(), _b64url(parts[2]))

    @property
    def kid(self) -> str:
        kid = self.header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > 200:
            raise _refused("NO_KEY_ID", "the verification token names no key")
        return kid


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def public_key(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    """A P-256 public key from its JWK (``x`` and ``y`` in base64url)."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise _refused("UNUSABLE_KEY", "the signing key is not a P-256 key")
    try:
        x = int.from_bytes(_b64url(str(jwk["x"])), "big")
        y = int.from_bytes(_b64url(str(jwk["y"])), "big")
        return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except (KeyError, ValueError, WebhookVerificationError):
        raise _refused("UNUSABLE_KEY", "the signing key is not a P-256 key") from None


def signature_holds(key: ec.EllipticCurvePublicKey, token: SignedToken) -> bool:
    """ES256 over the token's signed text; JWS writes the signature as r||s, which
    cryptography wants DER-encoded."""
    if len(token.signature) != SIGNATURE_BYTES:
        return False
    r = int.from_bytes(token.signature[:32], "big")
    s = int.from_bytes(token.signature[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), token.signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


KeySource = Callable[[str], Mapping[str, Any]]
"""A key id -> its JWK as /webhook_verification_key/get gives it (``PlaidClient``'s method).
Raises an ``UpstreamError``: with an HTTP status below 500 when Plaid does not know the id."""


@dataclass(frozen=True)
class _CachedKey:
    key: ec.EllipticCurvePublicKey
    until: float


def _forget_oldest(entries: dict[Any, Any]) -> None:
    while len(entries) > MAX_REMEMBERED:
        del entries[next(iter(entries))]


ReplayClaim = Callable[[str, float], bool | None]
"""(SHA-256 of a call's signed text, seconds it could still be replayed) -> True when no
replica accepted it before (and now none will), False when one did, None when that could not
be asked (the verifier's own memory then decides alone)."""


class WebhookVerifier:
    """Verifies Plaid's webhook calls for one process: keys cached by id, tokens already
    accepted remembered until they would be too old anyway (and, given ``claim``, for every
    replica sharing it). Thread-safe."""

    def __init__(
        self,
        fetch_key: KeySource,
        clock: Callable[[], float] = time.time,
        claim: ReplayClaim | None = None,
    ) -> None:
        self._fetch_key = fetch_key
        self._clock = clock
        self._claim = claim
        self._lock = threading.Lock()
        self._keys: dict[str, _CachedKey] = {}
        self._refused_kids: dict[str, float] = {}
        self._seen: dict[str, float] = {}  # hash of an accepted token -> when it goes stale
        self._fetched_at: list[float] = []  # when keys were last asked for, this minute

    def verify(self, header: str | None, body: bytes) -> None:
        """Returns when the call is Plaid's, else raises ``WebhookVerificationError``."""
        if not header:
            raise _refused("NO_TOKEN", "the call has no Plaid-Verification header")
        token = SignedToken.parse(header.strip())
        if token.header.get("alg") != ALGORITHM:
            raise _refused("WRONG_ALGORITHM", "the verification token is not signed with ES256")
        kid = token.kid
        now = self._clock()
        self._check_age(token, now)
        self._check_body(token, body)
        # What was signed, not the header as sent: the signature part can be written anew
        # (ECDSA's s or n - s) while the call stays the same.
        seen = hashlib.sha256(token.signed).hexdigest()
        self._check_not_seen(seen, now)
        if not signature_holds(self._key(kid, now), token):
            raise _refused("BAD_SIGNATURE", "the signature does not match")
        self._remember(seen, now)
        # Only once the signature holds: a forger cannot spend a claim a genuine call needs.
        if self._claim is not None and self._claim(seen, REPLAY_WINDOW_SECONDS) is False:
            raise _refused("REPLAYED", "this call was received before")

    def _check_age(self, token: SignedToken, now: float) -> None:
        issued = token.claims.get("iat")
        if not isinstance(issued, int | float) or isinstance(issued, bool):
            raise _refused("NO_ISSUED_AT", "the verification token says not when it was issued")
        if now - issued > MAX_AGE_SECONDS:
            raise _refused("STALE", "the verification token is more than five minutes old")
        if issued - now > CLOCK_SKEW_SECONDS:
            raise _refused("FROM_THE_FUTURE", "the verification token is issued in the future")

    @staticmethod
    def _check_body(token: SignedToken, body: bytes) -> None:
        claimed = token.claims.get("request_body_sha256")
        if not isinstance(claimed, str):
            raise _refused("NO_BODY_HASH", "the verification token carries no body hash")
        # Constant time: how much of a guessed hash matched must not show in the timing.
        if not hmac.compare_digest(claimed.lower().encode(), body_sha256(body).encode()):
            raise _refused("BODY_CHANGED", "the body is not the one that was signed")

    def _check_not_seen(self, seen: str, now: float) -> None:
        with self._lock:
            until = self._seen.get(seen)
        if until is not None and now <= until:
            raise _refused("REPLAYED", "this call was received before")

    def _remember(self, seen: str, now: float) -> None:
        with self._lock:
            if seen in self._seen and now <= self._seen[seen]:
                # Two copies verified at once: only the first is accepted.
                raise _refused("REPLAYED", "this call was received before")
            self._seen = {k: v for k, v in self._seen.items() if v >= now}
            self._seen[seen] = now + REPLAY_WINDOW_SECONDS
            _forget_oldest(self._seen)

    def _key(self, kid: str, now: float) -> ec.EllipticCurvePublicKey:
        with self._lock:
            cached = self._keys.get(kid)
            refused_until = self._refused_kids.get(kid, 0.0)
        if cached is not None and now < cached.until:
            return cached.key
        if now < refused_until:
            raise _refused("UNKNOWN_KEY", "the signing key is not one of Plaid's")
        jwk = self._fetch(kid, now)
        if jwk.get("expired_at") is not None:
            self._refuse_kid(kid, now)
            raise _refused("EXPIRED_KEY", "the signing key has expired")
        if jwk.get("alg", ALGORITHM) != ALGORITHM or jwk.get("kid", kid) != kid:
            raise _refused("UNUSABLE_KEY", "the signing key is not the one named")
        key = public_key(jwk)
        with self._lock:
            self._keys[kid] = _CachedKey(key, now + KEY_LIFETIME_SECONDS)
            _forget_oldest(self._keys)
        return key

    def _fetch(self, kid: str, now: float) -> Mapping[str, Any]:
        with self._lock:
            self._fetched_at = [t for t in self._fetched_at if now - t < 60]
            if len(self._fetched_at) >= KEY_FETCHES_PER_MINUTE:
                raise _unavailable()
            self._fetched_at.append(now)
        try:
            jwk = self._fetch_key(kid)
        except UpstreamError as error:
            if error.status is not None and 400 <= error.status < 500 and error.status != 429:
                self._refuse_kid(kid, now)
                raise _refused("UNKNOWN_KEY", "the signing key is not one of Plaid's") from None
            raise _unavailable() from None
        if not isinstance(jwk, Mapping):
            raise _unavailable()
        return jwk

    def _refuse_kid(self, kid: str, now: float) -> None:
        with self._lock:
            self._refused_kids[kid] = now + REFUSED_KID_SECONDS
            _forget_oldest(self._refused_kids)


# --- What a webhook says -------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookEvent:
    """The parts of a webhook body the app acts on. Nothing else of the body is kept."""

    webhook_type: str
    webhook_code: str
    item_id: str | None
    error_code: str | None = None  # ITEM: ERROR (e.g. ITEM_LOGIN_REQUIRED)
    consent_expiration_time: str | None = None  # ITEM: PENDING_EXPIRATION / PENDING_DISCONNECT


class WebhookBodyError(ValueError):
    """A verified body that is not a webhook the app can read."""


def _text(body: Mapping[str, Any], name: str, limit: int = 200) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def parse_event(body: bytes) -> WebhookEvent:
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookBodyError("not JSON") from None
    if not isinstance(raw, dict):
        raise WebhookBodyError("not a JSON object")
    kind, code = _text(raw, "webhook_type", 64), _text(raw, "webhook_code", 64)
    if kind is None or code is None:
        raise WebhookBodyError("no webhook_type or webhook_code")
    error = raw.get("error")
    error_code = _text(error, "error_code", 64) if isinstance(error, dict) else None
    return WebhookEvent(
        webhook_type=kind.upper(),
        webhook_code=code.upper(),
        item_id=_text(raw, "item_id"),
        error_code=error_code,
        consent_expiration_time=_text(raw, "consent_expiration_time", 64),
    )
