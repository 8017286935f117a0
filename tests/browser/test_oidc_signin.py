"""Streamlit's own sign-in (st.login, st.user, st.logout) against the local OIDC provider.

The app here is a minimal script of its own, not the product: these tests prove the harness
(provider, secrets, server, browser steps) works end to end through the real redirects, so
the tests of the product's sign-in can trust it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser_support import new_page, open_app, require_chromium, wait_until_idle
from tests.support.oidc_provider import OidcProvider, SignOut
from tests.support.signin import sign_in, signin_app

pytestmark = pytest.mark.browser

SIGNIN_SCRIPT = """
import streamlit as st

if not st.user.is_logged_in:
    st.markdown("Nobody is signed in.")
    if st.button("Sign in"):
        st.login()
else:
    st.markdown(f"Signed in as **{st.user.email}**")
    st.text(f"sub={st.user.sub} verified={st.user.email_verified}")
    if st.button("Sign out"):
        st.logout()
"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, idp: OidcProvider) -> Iterator[str]:
    require_chromium()
    workdir = tmp_path_factory.mktemp("oidc_signin")
    script = workdir / "signin_app.py"
    script.write_text(SIGNIN_SCRIPT, encoding="utf-8")
    with signin_app(script, workdir, idp) as url:
        yield url


def signed_in_as(page: Page, email: str) -> None:
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_sign_in_and_out_through_the_provider(app_url: str, idp: OidcProvider, page: Page) -> None:
    open_app(page, app_url)
    expect(page.get_by_text("Nobody is signed in.")).to_be_visible()
    tokens_before = idp.count("/token")

    sign_in(page, idp, "alice.smith@example.com")

    assert page.url == f"{app_url}/"
    signed_in_as(page, "alice.smith@example.com")
    assert idp.count("/token") == tokens_before + 1
    assert idp.sign_ins[-1] == "alice.smith@example.com"
    assert idp.token_auth_methods[-1] == "client_secret_basic"  # Authlib's default
    cookies = {cookie["name"] for cookie in page.context.cookies(app_url)}
    assert {"_streamlit_user", "_streamlit_user_tokens"} <= cookies

    # st.logout() leaves through the provider's end-session endpoint, which sends the
    # browser back to the app's /oauth2callback and from there to the app's root.
    with page.expect_navigation(url=f"{app_url}/"):
        page.get_by_role("button", name="Sign out").click()
    wait_until_idle(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Nobody is signed in.")).to_be_visible()
    assert idp.sign_outs[-1] == SignOut(
        email="alice.smith@example.com",
        post_logout_redirect_uri=f"{app_url}/oauth2callback",
        redirected=True,
    )
    cookies = {cookie["name"] for cookie in page.context.cookies(app_url)}
    assert not cookies & {"_streamlit_user", "_streamlit_user_tokens"}

    # And back in again, as someone else this time: the provider asks every time.
    sign_in(page, idp, "bob@example.com")
    signed_in_as(page, "bob@example.com")


def test_two_people_signed_in_at_once_each_see_their_own_identity(
    app_url: str, idp: OidcProvider, browser: Browser
) -> None:
    first = new_page(browser)
    second = new_page(browser)
    try:
        open_app(first, app_url)
        open_app(second, app_url)
        sign_in(first, idp, "carol@example.com")
        sign_in(second, idp, "dave@example.com")

        signed_in_as(first, "carol@example.com")
        signed_in_as(second, "dave@example.com")
        # A fresh load of each page (a new Streamlit session from each one's cookie) too.
        carol, dave = "carol@example.com", "dave@example.com"
        for page, mine, theirs in ((first, carol, dave), (second, dave, carol)):
            open_app(page, app_url)
            signed_in_as(page, mine)
            expect(page.get_by_text(theirs)).to_have_count(0)
        assert idp.sign_ins[-2:] == ["carol@example.com", "dave@example.com"]
    finally:
        first.context.close()
        second.context.close()


def test_streamlit_lets_an_unverified_address_in_so_the_app_must_check(
    app_url: str, idp: OidcProvider, page: Page
) -> None:
    # Streamlit copies the ID token's claims into st.user and checks none of them beyond
    # what OIDC requires (signature, iss, aud, exp, nonce): email_verified is the app's job.
    idp.unverified.add("eve@example.com")
    open_app(page, app_url)

    sign_in(page, idp, "eve@example.com")

    signed_in_as(page, "eve@example.com")
    expect(page.get_by_text("verified=False")).to_be_visible()


def test_a_failed_token_exchange_leaves_nobody_signed_in(
    app_url: str, idp: OidcProvider, page: Page
) -> None:
    right_secret = idp.client_secret
    idp.client_secret = "not-the-secret-the-app-has"
    try:
        open_app(page, app_url)
        sign_in(page, idp, "frank@example.com")
    finally:
        idp.client_secret = right_secret

    # Streamlit swallows the refusal (a warning in its log) and shows the app signed out.
    assert page.url == f"{app_url}/"
    expect(page.get_by_text("Nobody is signed in.")).to_be_visible()
    assert "frank@example.com" in idp.codes_issued
    assert "frank@example.com" not in idp.sign_ins
