"""A Streamlit app that signs people in at an OidcProvider, and the browser steps to do it.

Streamlit's sign-in is configured by the ``[auth]`` table of its secrets (see
``streamlit.auth_util.validate_auth_credentials``): ``redirect_uri`` and ``cookie_secret``,
and for the default provider ``client_id``, ``client_secret`` and ``server_metadata_url``.
``redirect_uri`` must be the app's own URL ending in ``/oauth2callback``: Streamlit uses it
as the callback, as the ``post_logout_redirect_uri`` it sends to the provider's
end-session endpoint, and its origin (scheme, host and port) as the only origin whose
websocket may read the identity cookie. So the app must be opened at exactly that origin:
``http://127.0.0.1:PORT``, never ``localhost``. ``cookie_secret`` signs the identity cookie
and the session cookie that carries the OAuth state; it is random per run here.

The secrets file is passed with ``--secrets.files``, which replaces Streamlit's default search
(the repository's own ``.streamlit/secrets.toml`` is not read).
"""

from __future__ import annotations

import secrets
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.support.browser_support import free_port, rerun_after, streamlit_server
from tests.support.oidc_provider import TITLE, OidcProvider

__all__ = [
    "SecretValue",
    "auth_secrets",
    "fill_provider_form",
    "sign_in",
    "signin_app",
    "toml_document",
    "write_auth_secrets",
]

# What a test may put in the secrets file: TOML scalars, lists of strings and inline tables of
# scalars (such as an allow-list at the top level, or client_kwargs under [auth]).
Scalar = str | int | bool
SecretValue = Scalar | Sequence[str] | Mapping[str, Scalar]


def _toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character escaped."""
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def _toml_value(value: SecretValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, Mapping):
        pairs = (f"{_toml_key(key)} = {_toml_value(item)}" for key, item in value.items())
        return "{ " + ", ".join(pairs) + " }" if value else "{}"
    return "[" + ", ".join(_toml_string(item) for item in value) + "]"


def _toml_key(key: str) -> str:
    bare = key and all(char.isascii() and (char.isalnum() or char in "_-") for char in key)
    return key if bare else _toml_string(key)


def toml_document(
    tables: Mapping[str, Mapping[str, SecretValue]], top: Mapping[str, SecretValue]
) -> str:
    """A TOML document: the `top` keys first, then one ``[table]`` per entry of `tables`.

    Checked by reading it back with ``tomllib``: a value the writer got wrong fails here, not
    as a puzzling sign-in failure in a browser."""
    lines = [f"{_toml_key(key)} = {_toml_value(value)}" for key, value in top.items()]
    for name, table in tables.items():
        lines += ["", f"[{_toml_key(name)}]"]
        lines += [f"{_toml_key(key)} = {_toml_value(value)}" for key, value in table.items()]
    document = "\n".join(lines) + "\n"
    expected = {key: _plain(value) for key, value in top.items()}
    expected.update({name: {k: _plain(v) for k, v in t.items()} for name, t in tables.items()})
    if tomllib.loads(document) != expected:
        raise ValueError("the TOML writer does not round-trip these values")
    return document


def _plain(value: SecretValue) -> object:
    if isinstance(value, str | int | bool):
        return value
    return dict(value) if isinstance(value, Mapping) else list(value)


def auth_secrets(idp: OidcProvider, app_url: str) -> dict[str, SecretValue]:
    """The ``[auth]`` table for the default provider (``st.login()`` with no argument)."""
    return {
        "redirect_uri": f"{app_url.rstrip('/')}/oauth2callback",
        "cookie_secret": secrets.token_urlsafe(32),
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
        "server_metadata_url": idp.metadata_url,
    }


def write_auth_secrets(
    path: Path,
    idp: OidcProvider,
    app_url: str,
    extra: Mapping[str, SecretValue] | None = None,
    auth_extra: Mapping[str, SecretValue] | None = None,
) -> Path:
    """Write a secrets.toml signing the app at `app_url` in at `idp`; returns `path`.

    `extra` are top-level keys (not under [auth]) for the app's own settings; `auth_extra`
    are added to (or replace keys of) the [auth] table, such as ``expose_tokens`` or
    ``client_kwargs``. The provider's registered redirect URI is not changed here:
    signin_app does both."""
    if extra and "auth" in extra:
        raise ValueError("the [auth] table is written from the provider; use auth_extra")
    auth = {**auth_secrets(idp, app_url), **(auth_extra or {})}
    document = toml_document({"auth": auth}, extra or {})
    path.write_text(document, encoding="utf-8")
    return path


@contextmanager
def signin_app(
    script: str | Path,
    workdir: Path,
    idp: OidcProvider,
    *,
    extra_secrets: Mapping[str, SecretValue] | None = None,
    auth_extra: Mapping[str, SecretValue] | None = None,
    extra_env: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """`streamlit run <script>` whose sign-in goes to `idp` (started); yields the app's URL.

    The port is chosen first, so the provider can register ``<url>/oauth2callback`` and the
    secrets can name it before the server starts. `workdir` receives ``secrets.toml`` and
    ``streamlit.log``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    idp.redirect_uri = f"{url}/oauth2callback"
    secrets_file = write_auth_secrets(workdir / "secrets.toml", idp, url, extra_secrets, auth_extra)
    args = ["--secrets.files", str(secrets_file), *extra_args]
    log = workdir / "streamlit.log"
    with streamlit_server(log, extra_env, str(script), args, port) as served:
        yield served


def fill_provider_form(page: Page, email: str) -> None:
    """On the provider's sign-in page: type `email`, send it, and wait until the app the
    provider sends the browser back to has finished its first run."""
    expect(page).to_have_title(TITLE)
    page.get_by_label("Email").fill(email)
    with rerun_after(page):
        page.get_by_role("button", name="Sign in").click()


def sign_in(page: Page, idp: OidcProvider, email: str, button: str = "Sign in") -> None:
    """From the app: click its sign-in `button`, sign in as `email` at the provider, and wait
    until the app is back and idle (whether or not it then lets the person in)."""
    page.get_by_role("button", name=button).click()
    page.wait_for_url(lambda url: url.startswith(f"{idp.url}/authorize?"))
    fill_provider_form(page, email)
