"""A small OpenID Connect provider on 127.0.0.1, for driving Streamlit's own sign-in.

``st.login()`` only talks to a real OIDC provider: it reads the provider's discovery document,
sends the browser to its authorization endpoint, swaps the code for tokens server-side with
Authlib (client_secret_basic, PKCE S256 when the provider offers it) and checks the ID
token's RS256 signature against the provider's JWKS, its issuer, audience, expiry and nonce.
This provider does all of that for real, with an RSA key made for the test run, so a browser
test goes through the very redirects a deployment does. There is no password: whoever types
an email into the sign-in form is that person, which is what a test wants.

One registered client (``client_id``/``client_secret``) with one registered redirect URI. The
app's port is only known once its server is about to start, so ``redirect_uri`` is an
attribute to set before the first sign-in. The provider keeps no sign-in session of its own:
every authorization request shows the form again (Streamlit asks for
``prompt=select_account`` anyway), so a test chooses who signs in each time.

What it saw (``hits`` per path, ``codes_issued``, ``sign_ins``, ``sign_outs``) is kept under a
lock and read as copies, so a test can read it while the app's server is talking to the
provider. Nothing is logged: codes, tokens and the client secret travel in the requests.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import html
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support.local_http import LocalServer, ServedDouble

__all__ = ["OidcProvider", "SignOut", "name_from_email", "subject_for"]

JsonDict = dict[str, Any]

TITLE = "Test identity provider"
SCOPES = ("openid", "email", "profile")
CLAIMS = (
    "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
    "email", "email_verified", "name",
)  # fmt: skip
FORM_PATH = "/authorize"


# --------------------------------------------------------------------------------------------
# Public data types and helpers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignOut:
    """One visit to the end-session endpoint, as the provider understood it."""

    email: str | None  # from a valid id_token_hint; None when there was none or it was bad
    post_logout_redirect_uri: str | None
    redirected: bool  # False: the provider refused the redirect or showed "Signed out"


def subject_for(email: str) -> str:
    """The ``sub`` claim of an address: the same for every run and every case of the address,
    as a provider's account id stays the same whatever case the person types."""
    return "user-" + hashlib.sha256(email.strip().casefold().encode()).hexdigest()[:20]


def name_from_email(email: str) -> str:
    """``alice.smith@example.com`` -> ``Alice Smith``: a display name for the ``name`` claim."""
    local = email.split("@", 1)[0]
    words = local.replace(".", " ").replace("_", " ").replace("-", " ").split()
    return " ".join(word.capitalize() for word in words) or email


@functools.cache
def _run_key() -> rsa.RSAPrivateKey:
    """The signing key every provider of this test run shares (made once: 2048-bit RSA
    takes about a tenth of a second, which a hundred short tests would notice)."""
    return _new_key()


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def _s256(verifier: str) -> str:
    """The PKCE S256 challenge of a code verifier (RFC 7636 section 4.2)."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def _with_query(url: str, params: Mapping[str, str]) -> str:
    """`url` with `params` added to whatever query it already has."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


# --------------------------------------------------------------------------------------------
# Internal types
# --------------------------------------------------------------------------------------------


class _OAuthError(Exception):
    """An OAuth error answered as JSON (token and userinfo endpoints)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.description = description


class _PageError(Exception):
    """A request the provider must not redirect back for (unknown client or redirect URI):
    answered with an HTML error page, as the OIDC spec asks."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class _Grant:
    """What an authorization code stands for."""

    client_id: str
    redirect_uri: str
    email: str
    nonce: str | None
    code_challenge: str | None
    expires_at: float


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def _json_reply(status: int, body: JsonDict, *headers: tuple[str, str]) -> _Reply:
    # Token answers must not be cached (RFC 6749 section 5.1); harmless on the others.
    no_store = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
    return _Reply(status, json.dumps(body).encode(), "application/json", no_store + headers)


def _redirect(location: str) -> _Reply:
    return _Reply(302, b"", "text/plain", (("Location", location),))


def _page(status: int, heading: str, body_html: str = "") -> _Reply:
    document = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{TITLE}</title></head><body>"
        f"<h1>{html.escape(heading)}</h1>{body_html}</body></html>"
    )
    return _Reply(status, document.encode(), "text/html; charset=utf-8")


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """Hands every GET and POST to the provider; silences the request log."""

    server: LocalServer

    def do_GET(self) -> None:
        self.server.owner._serve(self, "GET")

    def do_POST(self) -> None:
        self.server.owner._serve(self, "POST")

    def log_message(self, format: str, *args: Any) -> None:
        """Never log: codes, tokens and secrets travel in request lines and headers."""


# --------------------------------------------------------------------------------------------
# The provider
# --------------------------------------------------------------------------------------------


class OidcProvider(ServedDouble):
    """An OpenID Connect provider with one client, serving on a free 127.0.0.1 port.

    Use it as a context manager (``with OidcProvider() as idp:``) or call start()/stop().

    Attributes:
        url, issuer: ``http://127.0.0.1:PORT`` once started (the issuer is the base URL).
        client_id, client_secret: the one registered client (the secret is random per run
            unless given).
        redirect_uri: the client's registered redirect URI; authorization and token requests
            must name exactly this one. Set it once the app's URL is known.
        post_logout_redirect_uris: where the end-session endpoint may send the browser back
            to, besides ``redirect_uri`` (Streamlit sends its ``/oauth2callback``).
        unverified: addresses (as typed) whose ID token says ``email_verified: false``.
        extra_claims: more or different ID token and userinfo claims per address (as typed),
            laid over the defaults of claims_for().
        code_lifetime: seconds an authorization code stays good (one use only, whatever).
        token_lifetime: seconds until the ID and access tokens expire.
        internal_errors: failures of the provider's own code, without their messages.
    """

    HANDLER = _Handler

    def __init__(
        self,
        redirect_uri: str | None = None,
        *,
        client_id: str = "streamlit-test-app",
        client_secret: str | None = None,
        code_lifetime: float = 60.0,
        token_lifetime: int = 3600,
        own_key: bool = False,
    ) -> None:
        """Set the client up; call start() (or use ``with``) to serve.

        The RSA signing key is made once per test run and shared, each provider naming it
        with a kid of its own; ``own_key`` makes a fresh one, for a test in which one
        provider's tokens must not verify at another."""
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.redirect_uri = redirect_uri
        self.post_logout_redirect_uris: set[str] = set()
        self.unverified: set[str] = set()
        self.extra_claims: dict[str, JsonDict] = {}
        self.code_lifetime = code_lifetime
        self.token_lifetime = token_lifetime
        self.kid = "test-" + secrets.token_hex(6)
        self._key = _new_key() if own_key else _run_key()
        self._lock = threading.Lock()
        self._hits: Counter[str] = Counter()
        self._codes_issued: list[str] = []
        self._sign_ins: list[str] = []
        self._sign_outs: list[SignOut] = []
        self._token_auth: list[str] = []
        self._codes: dict[str, _Grant] = {}
        self._used_codes: dict[str, list[str]] = {}  # code -> access tokens it bought
        self._access_tokens: dict[str, tuple[JsonDict, float]] = {}  # token -> claims, expiry

    # ---- lifecycle -------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def metadata_url(self) -> str:
        """The discovery document's URL: ``server_metadata_url`` in Streamlit's secrets."""
        return f"{self.url}/.well-known/openid-configuration"

    # ---- what a test reads -----------------------------------------------------------------

    @property
    def hits(self) -> dict[str, int]:
        """Requests received so far, by path (query left off), unknown paths included."""
        with self._lock:
            return dict(self._hits)

    def count(self, path: str) -> int:
        """Requests received so far for one path, such as ``"/token"``."""
        with self._lock:
            return self._hits[path]

    @property
    def codes_issued(self) -> list[str]:
        """The address typed into every accepted sign-in form, oldest first, whether or not
        the app went on to use the code."""
        with self._lock:
            return list(self._codes_issued)

    @property
    def sign_ins(self) -> list[str]:
        """The address of every successful token exchange, oldest first: a sign-in is only
        complete once the app has swapped its code for tokens."""
        with self._lock:
            return list(self._sign_ins)

    @property
    def sign_outs(self) -> list[SignOut]:
        """Every visit to the end-session endpoint, oldest first."""
        with self._lock:
            return list(self._sign_outs)

    @property
    def token_auth_methods(self) -> list[str]:
        """How each accepted token request authenticated its client (client_secret_basic or
        client_secret_post), oldest first."""
        with self._lock:
            return list(self._token_auth)

    def public_jwk(self) -> JsonDict:
        """The signing key's public half as a JWK (what ``/jwks`` lists)."""
        numbers = self._key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": _b64url(_int_bytes(numbers.n)),
            "e": _b64url(_int_bytes(numbers.e)),
        }

    def discovery(self) -> JsonDict:
        """The discovery document (``/.well-known/openid-configuration``)."""
        base = self.url
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{base}{FORM_PATH}",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "end_session_endpoint": f"{base}/logout",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": list(SCOPES),
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "claims_supported": list(CLAIMS),
            "code_challenge_methods_supported": ["S256"],
        }

    def claims_for(self, email: str) -> JsonDict:
        """The identity claims of an address (ID token and userinfo share them)."""
        claims: JsonDict = {
            "sub": subject_for(email),
            "email": email,
            "email_verified": email not in self.unverified,
            "name": name_from_email(email),
        }
        claims.update(self.extra_claims.get(email, {}))
        return claims

    # ---- JWTs ------------------------------------------------------------------------------

    def sign_jwt(self, claims: Mapping[str, Any]) -> str:
        """An RS256 JWT of `claims`, signed with this run's key and naming its kid."""
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def _verified_claims(self, token: str) -> JsonDict | None:
        """The claims of a JWT this provider signed (expired or not), else None."""
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(_b64url_decode(header_b64))
            if not isinstance(header, dict) or header.get("kid") != self.kid:
                return None
            if header.get("alg") != "RS256":
                return None
            self._key.public_key().verify(
                _b64url_decode(signature_b64),
                f"{header_b64}.{claims_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
            claims = json.loads(_b64url_decode(claims_b64))
        except (ValueError, InvalidSignature):
            return None
        return claims if isinstance(claims, dict) else None

    # ---- request handling ------------------------------------------------------------------

    def _serve(self, handler: _Handler, method: str) -> None:
        """Read, count and answer one request (runs on a handler thread)."""
        target = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        # A GET says everything in its query, a POST in its form body (never both: a client
        # secret or a code in a URL is refused by leaving it out).
        source = target.query
        if method == "POST":
            form = "form-urlencoded" in (handler.headers.get("Content-Type") or "")
            source = raw.decode("utf-8", "replace") if form else ""
        params = dict(parse_qsl(source, keep_blank_values=True))
        with self._lock:
            self._hits[target.path] += 1
        reply = self._answer(method, target.path, params, handler.headers.get("Authorization"))
        with contextlib.suppress(OSError):  # the client may have gone away
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers:
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(reply.body)

    def _answer(
        self, method: str, path: str, params: dict[str, str], authorization: str | None
    ) -> _Reply:
        routes = {
            ("GET", "/.well-known/openid-configuration"): lambda: _json_reply(
                200, self.discovery()
            ),
            ("GET", "/jwks"): lambda: _json_reply(200, {"keys": [self.public_jwk()]}),
            ("GET", FORM_PATH): lambda: self._authorize_form(params),
            ("POST", FORM_PATH): lambda: self._authorize_submit(params),
            ("POST", "/token"): lambda: self._token(params, authorization),
            ("GET", "/userinfo"): lambda: self._userinfo(authorization),
            ("POST", "/userinfo"): lambda: self._userinfo(authorization),
            ("GET", "/logout"): lambda: self._logout(params),
            ("POST", "/logout"): lambda: self._logout(params),
        }
        route = routes.get((method, path))
        if route is None:
            return _json_reply(404, {"error": "not_found", "error_description": path})
        try:
            return route()
        except _OAuthError as failure:
            body = {"error": failure.error, "error_description": failure.description}
            extra: tuple[tuple[str, str], ...] = ()
            if failure.status == 401 and path == "/token":
                extra = (("WWW-Authenticate", 'Basic realm="token"'),)
            elif failure.status == 401:
                extra = (("WWW-Authenticate", f'Bearer error="{failure.error}"'),)
            return _json_reply(failure.status, body, *extra)
        except _PageError as failure:
            return _page(400, "Sign-in error", f"<p>{html.escape(failure.message)}</p>")

    # ---- /authorize ------------------------------------------------------------------------

    def _check_client(self, params: Mapping[str, str]) -> str:
        """The registered redirect URI, if the request names the client and exactly that URI;
        otherwise an error page (never a redirect to an unchecked address)."""
        if params.get("client_id") != self.client_id:
            raise _PageError("Unknown client_id.")
        if self.redirect_uri is None:
            raise _PageError("The client has no registered redirect_uri yet.")
        if params.get("redirect_uri") != self.redirect_uri:
            raise _PageError("redirect_uri is not the one registered for this client.")
        return self.redirect_uri

    def _request_error(self, params: Mapping[str, str]) -> tuple[str, str] | None:
        """An OAuth error to send back to the client for a bad authorization request."""
        if params.get("response_type") != "code":
            return "unsupported_response_type", "only response_type=code is supported"
        if "openid" not in params.get("scope", "").split():
            return "invalid_scope", "the openid scope is required"
        if params.get("code_challenge") and params.get("code_challenge_method") != "S256":
            return "invalid_request", "code_challenge_method must be S256"
        return None

    def _error_redirect(
        self, redirect_uri: str, params: Mapping[str, str], error: tuple[str, str]
    ) -> _Reply:
        """Send the browser back to the client with an OAuth error (and its state)."""
        answer = {"error": error[0], "error_description": error[1]}
        if params.get("state"):
            answer["state"] = params["state"]
        return _redirect(_with_query(redirect_uri, answer))

    def _authorize_form(self, params: Mapping[str, str], problem: str = "") -> _Reply:
        redirect_uri = self._check_client(params)
        error = self._request_error(params)
        if error is not None:
            return self._error_redirect(redirect_uri, params, error)
        carried = (
            "client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
            "code_challenge", "code_challenge_method",
        )  # fmt: skip
        hidden = "".join(
            f"<input type='hidden' name='{name}' value='{html.escape(params[name], quote=True)}'>"
            for name in carried
            if name in params
        )
        notice = f"<p role='alert'>{html.escape(problem)}</p>" if problem else ""
        form = (
            f"{notice}<form method='post' action='{FORM_PATH}'>{hidden}"
            "<label for='email'>Email</label> "
            "<input id='email' name='email' type='text' autocomplete='off' autofocus> "
            "<button type='submit' name='action' value='sign_in'>Sign in</button> "
            "<button type='submit' name='action' value='cancel'>Cancel</button>"
            "</form>"
        )
        return _page(400 if problem else 200, TITLE, form)

    def _authorize_submit(self, params: Mapping[str, str]) -> _Reply:
        """The form came back: issue a code for the typed address, or the person cancelled."""
        redirect_uri = self._check_client(params)
        error = self._request_error(params)
        if error is not None:
            return self._error_redirect(redirect_uri, params, error)
        if params.get("action") == "cancel":
            return self._error_redirect(
                redirect_uri, params, ("access_denied", "the person cancelled sign-in")
            )
        email = params.get("email", "").strip()
        if not email:
            return self._authorize_form(params, problem="Type an email address.")
        code = secrets.token_urlsafe(24)
        grant = _Grant(
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            email=email,
            nonce=params.get("nonce") or None,
            code_challenge=params.get("code_challenge") or None,
            expires_at=time.monotonic() + self.code_lifetime,
        )
        with self._lock:
            self._codes[code] = grant
            self._codes_issued.append(email)
        answer = {"code": code}
        if params.get("state"):
            answer["state"] = params["state"]
        return _redirect(_with_query(redirect_uri, answer))

    # ---- /token ----------------------------------------------------------------------------

    def _client_auth(self, params: Mapping[str, str], authorization: str | None) -> str:
        """Check the client's credentials; the method it used (one only, RFC 6749 2.3)."""
        if authorization is not None:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "basic" or "client_secret" in params:
                raise _OAuthError(401, "invalid_client", "use one client authentication method")
            try:
                pair = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except ValueError:
                raise _OAuthError(401, "invalid_client", "malformed Basic credentials") from None
            raw_id, sep, raw_secret = pair.partition(":")
            # Both halves are form-encoded before they are joined (RFC 6749 2.3.1).
            client_id, secret, method = unquote_plus(raw_id), unquote_plus(raw_secret), "basic"
            if not sep:
                raise _OAuthError(401, "invalid_client", "malformed Basic credentials")
        elif "client_secret" in params:
            client_id, secret = params.get("client_id", ""), params["client_secret"]
            method = "post"
        else:
            raise _OAuthError(401, "invalid_client", "client authentication is required")
        good_id = secrets.compare_digest(client_id.encode(), self.client_id.encode())
        good_secret = secrets.compare_digest(secret.encode(), self.client_secret.encode())
        if not (good_id and good_secret):
            raise _OAuthError(401, "invalid_client", "unknown client or wrong secret")
        if params.get("client_id", client_id) != client_id:
            raise _OAuthError(400, "invalid_request", "client_id does not match the credentials")
        return f"client_secret_{method}"

    def _take_grant(self, params: Mapping[str, str]) -> _Grant:
        """The grant behind the request's code, used up whatever happens next: a code is
        good for one try only, and a second use revokes what the first one bought."""
        code = params.get("code", "")
        with self._lock:
            grant = self._codes.pop(code, None)
            if grant is None:
                for token in self._used_codes.get(code, []):
                    self._access_tokens.pop(token, None)
                raise _OAuthError(400, "invalid_grant", "unknown, used or expired code")
            self._used_codes[code] = []
        if time.monotonic() > grant.expires_at:
            raise _OAuthError(400, "invalid_grant", "the code has expired")
        if grant.client_id != self.client_id:
            raise _OAuthError(400, "invalid_grant", "the code was issued to another client")
        if params.get("redirect_uri") != grant.redirect_uri:
            raise _OAuthError(400, "invalid_grant", "redirect_uri differs from the request's")
        verifier = params.get("code_verifier")
        if grant.code_challenge is None:
            if verifier:
                raise _OAuthError(400, "invalid_grant", "no code_challenge was sent")
        elif not verifier or not secrets.compare_digest(_s256(verifier), grant.code_challenge):
            raise _OAuthError(400, "invalid_grant", "code_verifier does not match")
        return grant

    def _token(self, params: Mapping[str, str], authorization: str | None) -> _Reply:
        method = self._client_auth(params, authorization)
        if params.get("grant_type") != "authorization_code":
            raise _OAuthError(400, "unsupported_grant_type", "only authorization_code")
        code = params.get("code", "")
        grant = self._take_grant(params)
        now = int(time.time())
        access_token = secrets.token_urlsafe(32)
        identity = self.claims_for(grant.email)
        id_claims: JsonDict = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + self.token_lifetime,
            "auth_time": now,
            # left half of the SHA-256 of the access token (OIDC Core 3.3.2.11)
            "at_hash": _b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16]),
            **identity,
        }
        if grant.nonce is not None:
            id_claims["nonce"] = grant.nonce
        with self._lock:
            self._access_tokens[access_token] = (identity, time.time() + self.token_lifetime)
            self._used_codes[code] = [access_token]
            self._sign_ins.append(grant.email)
            self._token_auth.append(method)
        return _json_reply(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "scope": " ".join(SCOPES),
                "id_token": self.sign_jwt(id_claims),
            },
        )

    # ---- /userinfo -------------------------------------------------------------------------

    def _userinfo(self, authorization: str | None) -> _Reply:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _OAuthError(401, "invalid_request", "a Bearer access token is required")
        with self._lock:
            found = self._access_tokens.get(token.strip())
        if found is None or time.time() > found[1]:
            raise _OAuthError(401, "invalid_token", "unknown, revoked or expired access token")
        return _json_reply(200, dict(found[0]))

    # ---- /logout ---------------------------------------------------------------------------

    def _logout(self, params: Mapping[str, str]) -> _Reply:
        """RP-initiated logout: back to a registered post-logout URI, or a "Signed out" page."""
        hint = params.get("id_token_hint")
        claims = self._verified_claims(hint) if hint else None
        email = claims.get("email") if claims else None
        target = params.get("post_logout_redirect_uri") or None
        allowed = self.post_logout_redirect_uris | (
            {self.redirect_uri} if self.redirect_uri else set()
        )
        wrong_client = params.get("client_id") not in (None, self.client_id)
        redirected = target is not None and target in allowed and not wrong_client
        with self._lock:
            self._sign_outs.append(SignOut(email, target, redirected))
        if redirected and target is not None:
            back = {"state": params["state"]} if params.get("state") else {}
            return _redirect(_with_query(target, back))
        if target is not None:
            raise _PageError("post_logout_redirect_uri is not registered for this client.")
        return _page(200, "Signed out")


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcProvider]:
    """A provider shared by a module's tests, which fails them if its own code failed."""
    with OidcProvider() as provider:
        yield provider
    assert provider.internal_errors == []
