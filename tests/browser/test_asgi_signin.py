"""Sign-in under the ASGI entry (uvicorn on ``services.web.asgi:app``, as ``make run``, the
Dockerfile and the compose file serve the app): Streamlit's OIDC round trip through the local
provider lets an allowed person in, and the app's security headers are on every response of
the round trip, the sign-in redirect and the callback included."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, Response, expect

from tests.support.browser_support import free_port, open_app, require_chromium, streamlit_server
from tests.support.oidc_provider import OidcProvider
from tests.support.signin import sign_in, write_auth_secrets

pytestmark = pytest.mark.browser

ALICE = "alice@example.com"
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")


@dataclass(frozen=True)
class Served:
    url: str
    idp: OidcProvider


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, idp: OidcProvider) -> Iterator[Served]:
    require_chromium()
    workdir = tmp_path_factory.mktemp("asgi_signin")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    idp.redirect_uri = f"{url}/oauth2callback"
    secrets = write_auth_secrets(workdir / "secrets.toml", idp, url, {"ALLOWED_USERS": ALICE})
    env = {"STREAMLIT_SECRETS_FILES": str(secrets)}
    with streamlit_server(workdir / "server.log", env, port=port, asgi=True) as running:
        yield Served(running, idp)


def test_sign_in_round_trip_under_uvicorn_with_the_headers_on_every_step(
    served: Served, page: Page
) -> None:
    ours: list[Response] = []
    page.on("response", lambda r: ours.append(r) if r.url.startswith(served.url) else None)
    open_app(page, served.url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    sign_in(page, served.idp, ALICE)

    expect(page.get_by_role("heading", level=1, name="Overview")).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar").inner_text()
    # The app puts invisible word joiners in addresses so that they stay text, not links.
    assert f"Signed in as {ALICE}" in sidebar.replace("\u2060", "")
    steps = [r for r in ours if "/auth/login" in r.url or "/oauth2callback" in r.url]
    assert {("/oauth2callback" in r.url) for r in steps} == {False, True}, [r.url for r in steps]
    for response in steps:
        headers = response.all_headers()
        missing = [name for name in SECURITY_HEADERS if name not in headers]
        assert missing == [], (response.url.split("?")[0], missing)
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["cache-control"] == "no-store", response.url.split("?")[0]
