"""The local OIDC provider behaves like a strict real one, over plain HTTP.

The browser tests of sign-in are only worth something if the provider refuses what a real
one refuses: a code used twice, a wrong client secret, a redirect URI other than the
registered one, a PKCE verifier that does not match. These tests walk the authorization code
flow by hand with ``requests`` and check the ID token with joserfc, the library Authlib (and
so Streamlit) verifies it with.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.oidc_provider import OidcProvider, SignOut, subject_for
from tests.support.signin import write_auth_secrets

APP = "http://127.0.0.1:8599"
REDIRECT_URI = f"{APP}/oauth2callback"
TIMEOUT = 5


@dataclass
class Authorization:
    """What the client keeps between sending the browser away and getting the code back."""

    state: str
    nonce: str
    verifier: str | None

    def params(self, idp: OidcProvider, **changes: str) -> dict[str, str]:
        params = {
            "client_id": idp.client_id,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": "openid email profile",
            "state": self.state,
            "nonce": self.nonce,
            "prompt": "select_account",  # Streamlit sends it; the provider ignores it
        }
        if self.verifier is not None:
            digest = hashlib.sha256(self.verifier.encode()).digest()
            params["code_challenge"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            params["code_challenge_method"] = "S256"
        params.update(changes)
        return params


@pytest.fixture
def idp() -> Iterator[OidcProvider]:
    with OidcProvider(REDIRECT_URI) as provider:
        yield provider
    assert provider.internal_errors == []


def new_authorization(pkce: bool = True) -> Authorization:
    return Authorization(
        state=secrets.token_urlsafe(12),
        nonce=secrets.token_urlsafe(12),
        verifier=secrets.token_urlsafe(48) if pkce else None,
    )


def submit_form(idp: OidcProvider, auth: Authorization, email: str, **changes: str) -> str:
    """POST the sign-in form as a browser would; the authorization code sent back."""
    form = {**auth.params(idp, **changes), "email": email, "action": "sign_in"}
    answer = requests.post(
        f"{idp.url}/authorize", data=form, allow_redirects=False, timeout=TIMEOUT
    )
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == [auth.state]
    return query["code"][0]


def exchange(
    idp: OidcProvider,
    code: str,
    verifier: str | None,
    secret: str | None = None,
    redirect_uri: str = REDIRECT_URI,
    post: bool = False,
) -> requests.Response:
    """The token request, authenticated with client_secret_basic (or _post)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        form["code_verifier"] = verifier
    credentials = (idp.client_id, secret if secret is not None else idp.client_secret)
    if post:
        form.update(client_id=credentials[0], client_secret=credentials[1])
        return requests.post(f"{idp.url}/token", data=form, timeout=TIMEOUT)
    return requests.post(f"{idp.url}/token", data=form, auth=credentials, timeout=TIMEOUT)


def verified_claims(idp: OidcProvider, id_token: str) -> dict[str, Any]:
    """The ID token's claims, its RS256 signature checked against the published JWKS."""
    jwks = requests.get(f"{idp.url}/jwks", timeout=TIMEOUT).json()
    decoded = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    assert decoded.header["kid"] == jwks["keys"][0]["kid"] == idp.kid
    return dict(decoded.claims)


def assert_oauth_error(answer: requests.Response, status: int, error: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["error"] == error


def test_discovery_document_names_every_endpoint(idp: OidcProvider) -> None:
    document = requests.get(idp.metadata_url, timeout=TIMEOUT).json()

    assert document["issuer"] == idp.issuer == idp.url
    for key, path in {
        "authorization_endpoint": "/authorize",
        "token_endpoint": "/token",
        "jwks_uri": "/jwks",
        "userinfo_endpoint": "/userinfo",
        "end_session_endpoint": "/logout",
    }.items():
        assert document[key] == f"{idp.url}{path}"
    assert document["response_types_supported"] == ["code"]
    assert document["subject_types_supported"] == ["public"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert {"openid", "email", "profile"} <= set(document["scopes_supported"])
    assert set(document["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }
    # Streamlit turns PKCE on only when S256 is listed here.
    assert document["code_challenge_methods_supported"] == ["S256"]


def test_the_sign_in_form_is_a_page_a_person_can_fill_in(idp: OidcProvider) -> None:
    auth = new_authorization()
    answer = requests.get(f"{idp.url}/authorize", params=auth.params(idp), timeout=TIMEOUT)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "<title>Test identity provider</title>" in answer.text
    assert "<label for='email'>Email</label>" in answer.text
    assert re.search(r"<button[^>]*>Sign in</button>", answer.text)
    assert "method='post'" in answer.text


def test_full_code_flow_gives_a_signed_id_token_with_the_right_claims(idp: OidcProvider) -> None:
    auth = new_authorization()
    before = time.time()
    code = submit_form(idp, auth, "alice.smith@example.com")

    answer = exchange(idp, code, auth.verifier)

    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == idp.token_lifetime
    assert tokens["access_token"]
    claims = verified_claims(idp, tokens["id_token"])
    assert claims["iss"] == idp.issuer
    assert claims["aud"] == idp.client_id
    assert claims["sub"] == subject_for("alice.smith@example.com")
    assert claims["nonce"] == auth.nonce
    assert claims["email"] == "alice.smith@example.com"
    assert claims["email_verified"] is True
    assert claims["name"] == "Alice Smith"
    assert before - 1 <= claims["iat"] <= time.time() + 1
    assert claims["exp"] == claims["iat"] + idp.token_lifetime
    at_hash = hashlib.sha256(tokens["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(at_hash).rstrip(b"=").decode()

    userinfo = requests.get(
        f"{idp.url}/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=TIMEOUT,
    ).json()
    assert userinfo == {k: claims[k] for k in ("sub", "email", "email_verified", "name")}
    assert idp.codes_issued == idp.sign_ins == ["alice.smith@example.com"]
    assert idp.token_auth_methods == ["client_secret_basic"]
    assert idp.count("/token") == 1
    assert idp.count("/authorize") == 1  # the POST of the form; nobody fetched it here


def test_the_subject_is_stable_per_address_and_the_verified_flag_is_the_tests(
    idp: OidcProvider,
) -> None:
    idp.unverified.add("mallory@example.com")
    subjects = []
    for email in ("mallory@example.com", "Mallory@Example.com", "bob@example.com"):
        auth = new_authorization(pkce=False)  # and without PKCE, which is optional
        tokens = exchange(idp, submit_form(idp, auth, email), None, post=True).json()
        claims = verified_claims(idp, tokens["id_token"])
        subjects.append(claims["sub"])
        assert claims["email"] == email  # as typed
        assert claims["email_verified"] is (email != "mallory@example.com")

    assert subjects[0] == subjects[1] != subjects[2]
    assert idp.token_auth_methods == ["client_secret_post"] * 3


def test_a_code_works_once_and_its_reuse_revokes_what_it_bought(idp: OidcProvider) -> None:
    auth = new_authorization()
    code = submit_form(idp, auth, "alice@example.com")
    access_token = exchange(idp, code, auth.verifier).json()["access_token"]

    assert_oauth_error(exchange(idp, code, auth.verifier), 400, "invalid_grant")

    userinfo = requests.get(
        f"{idp.url}/userinfo",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=TIMEOUT,
    )
    assert_oauth_error(userinfo, 401, "invalid_token")
    assert idp.sign_ins == ["alice@example.com"]


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
@pytest.mark.parametrize("post", [False, True], ids=["basic", "post"])
def test_a_wrong_client_secret_is_refused(idp: OidcProvider, secret: str, post: bool) -> None:
    auth = new_authorization()
    code = submit_form(idp, auth, "alice@example.com")

    assert_oauth_error(
        exchange(idp, code, auth.verifier, secret=secret, post=post), 401, "invalid_client"
    )
    assert idp.sign_ins == []


def test_a_token_request_without_client_credentials_is_refused(idp: OidcProvider) -> None:
    auth = new_authorization()
    code = submit_form(idp, auth, "alice@example.com")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    form.update(client_id=idp.client_id, code_verifier=auth.verifier or "")

    answer = requests.post(f"{idp.url}/token", data=form, timeout=TIMEOUT)

    assert_oauth_error(answer, 401, "invalid_client")


def test_a_code_is_refused_with_another_redirect_uri(idp: OidcProvider) -> None:
    auth = new_authorization()
    code = submit_form(idp, auth, "alice@example.com")

    answer = exchange(idp, code, auth.verifier, redirect_uri=f"{APP}/elsewhere")

    assert_oauth_error(answer, 400, "invalid_grant")
    # The failed try used the code up.
    assert_oauth_error(exchange(idp, code, auth.verifier), 400, "invalid_grant")


@pytest.mark.parametrize(
    "redirect_uri",
    [f"{APP}/elsewhere", "http://127.0.0.1:1/oauth2callback", f"{REDIRECT_URI}?next=x", ""],
)
def test_the_form_never_sends_a_browser_to_an_unregistered_address(
    idp: OidcProvider, redirect_uri: str
) -> None:
    auth = new_authorization()
    for method in ("GET", "POST"):
        params = auth.params(idp, redirect_uri=redirect_uri)
        answer = requests.request(
            method,
            f"{idp.url}/authorize",
            params=params if method == "GET" else None,
            data={**params, "email": "alice@example.com"} if method == "POST" else None,
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert answer.status_code == 400
        assert "Location" not in answer.headers
        assert "redirect_uri is not the one registered" in answer.text


def test_an_unknown_client_gets_an_error_page(idp: OidcProvider) -> None:
    params = new_authorization().params(idp, client_id="someone-else")
    answer = requests.get(
        f"{idp.url}/authorize", params=params, allow_redirects=False, timeout=TIMEOUT
    )
    assert answer.status_code == 400
    assert "Unknown client_id" in answer.text


@pytest.mark.parametrize("verifier", ["the-wrong-verifier-" + "x" * 30, None])
def test_a_bad_or_missing_pkce_verifier_is_refused(idp: OidcProvider, verifier: str | None) -> None:
    auth = new_authorization()
    code = submit_form(idp, auth, "alice@example.com")

    assert_oauth_error(exchange(idp, code, verifier), 400, "invalid_grant")
    assert idp.codes_issued == ["alice@example.com"]
    assert idp.sign_ins == []


def test_a_verifier_without_a_challenge_is_refused(idp: OidcProvider) -> None:
    auth = new_authorization(pkce=False)
    code = submit_form(idp, auth, "alice@example.com")

    assert_oauth_error(exchange(idp, code, "a-verifier-nobody-asked-for"), 400, "invalid_grant")


def test_an_expired_code_is_refused(idp: OidcProvider) -> None:
    idp.code_lifetime = 0.0
    auth = new_authorization()
    code = submit_form(idp, auth, "alice@example.com")

    assert_oauth_error(exchange(idp, code, auth.verifier), 400, "invalid_grant")


def test_other_grant_types_are_refused(idp: OidcProvider) -> None:
    answer = requests.post(
        f"{idp.url}/token",
        data={"grant_type": "password", "username": "a", "password": "b"},
        auth=(idp.client_id, idp.client_secret),
        timeout=TIMEOUT,
    )
    assert_oauth_error(answer, 400, "unsupported_grant_type")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "email profile"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
    ],
)
def test_a_bad_request_from_a_known_client_goes_back_with_an_error(
    idp: OidcProvider, changes: dict[str, str], error: str
) -> None:
    auth = new_authorization()
    answer = requests.get(
        f"{idp.url}/authorize",
        params=auth.params(idp, **changes),
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == [error]
    assert query["state"] == [auth.state]


def test_cancelling_sends_access_denied_back(idp: OidcProvider) -> None:
    auth = new_authorization()
    form = {**auth.params(idp), "email": "alice@example.com", "action": "cancel"}
    answer = requests.post(
        f"{idp.url}/authorize", data=form, allow_redirects=False, timeout=TIMEOUT
    )
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == ["access_denied"]
    assert "code" not in query


def test_nothing_the_request_carries_is_echoed_unescaped(idp: OidcProvider) -> None:
    hostile = "'\"><script>alert(1)</script>"
    auth = new_authorization()
    answer = requests.get(
        f"{idp.url}/authorize",
        params=auth.params(idp, state=hostile, nonce=hostile),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200
    assert "<script>" not in answer.text
    values = re.findall(r"value='([^']*)'", answer.text)
    assert [unescape(value) for value in values].count(hostile) == 2
    # An empty address: the form again, with a notice, and still nothing unescaped.
    form = {**auth.params(idp, state=hostile), "email": "  ", "action": "sign_in"}
    again = requests.post(f"{idp.url}/authorize", data=form, timeout=TIMEOUT)
    assert again.status_code == 400
    assert "Type an email address." in again.text
    assert "<script>" not in again.text


def test_logout_goes_back_only_to_a_registered_address(idp: OidcProvider) -> None:
    auth = new_authorization()
    tokens = exchange(idp, submit_form(idp, auth, "alice@example.com"), auth.verifier).json()
    logout = f"{idp.url}/logout"

    back = requests.get(
        logout,
        params={
            "client_id": idp.client_id,
            "post_logout_redirect_uri": REDIRECT_URI,
            "id_token_hint": tokens["id_token"],
            "state": "s1",
        },
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert back.status_code == 302
    assert back.headers["Location"] == f"{REDIRECT_URI}?state=s1"

    elsewhere = requests.get(
        logout,
        params={"post_logout_redirect_uri": "http://127.0.0.1:1/", "id_token_hint": "junk"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert elsewhere.status_code == 400
    assert "Location" not in elsewhere.headers

    plain = requests.get(logout, timeout=TIMEOUT)
    assert plain.status_code == 200
    assert "Signed out" in plain.text

    assert idp.sign_outs == [
        SignOut("alice@example.com", REDIRECT_URI, redirected=True),
        SignOut(None, "http://127.0.0.1:1/", redirected=False),
        SignOut(None, None, redirected=False),
    ]
    assert idp.count("/logout") == 3


def test_a_token_request_with_its_form_in_the_url_is_refused(idp: OidcProvider) -> None:
    auth = new_authorization()
    code = submit_form(idp, auth, "alice@example.com")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": auth.verifier or "",
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
    }

    answer = requests.post(f"{idp.url}/token", params=form, timeout=TIMEOUT)

    assert_oauth_error(answer, 401, "invalid_client")
    assert idp.sign_ins == []


# ---- the secrets file Streamlit reads --------------------------------------------------------


def test_the_secrets_file_has_the_auth_table_streamlit_asks_for(
    idp: OidcProvider, tmp_path: Path
) -> None:
    hostile = 'quote " backslash \\ newline \n tab \t bell \x07 del \x7f ünï 🙂'
    extra = {"allowed_emails": ["alice@example.com", hostile], "mode": hostile, "limit": 3}
    auth_extra = {"expose_tokens": ["id"], "client_kwargs": {"prompt": "login"}}

    path = write_auth_secrets(tmp_path / "a.toml", idp, APP, extra, auth_extra)
    written = tomllib.loads(path.read_text(encoding="utf-8"))
    again = tomllib.loads(write_auth_secrets(tmp_path / "b.toml", idp, APP).read_text("utf-8"))

    auth = written.pop("auth")
    assert written == {
        "allowed_emails": ["alice@example.com", hostile],
        "mode": hostile,
        "limit": 3,
    }
    # The keys streamlit.auth_util.validate_auth_credentials requires of the default provider.
    assert auth == {
        "redirect_uri": REDIRECT_URI,
        "cookie_secret": auth["cookie_secret"],
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
        "server_metadata_url": f"{idp.url}/.well-known/openid-configuration",
        "expose_tokens": ["id"],
        "client_kwargs": {"prompt": "login"},
    }
    assert len(auth["cookie_secret"]) >= 32
    assert again["auth"]["cookie_secret"] != auth["cookie_secret"]  # random per file


def test_the_auth_table_cannot_be_overridden_by_extra_keys(
    idp: OidcProvider, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="auth"):
        write_auth_secrets(tmp_path / "s.toml", idp, APP, {"auth": "x"})
