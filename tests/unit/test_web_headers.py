"""The security headers (services/web/headers.py): which response gets what, and that the
middleware leaves a WebSocket alone."""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket

from services.web.headers import (
    HSTS,
    PLAID_LINK_SCRIPT,
    SecurityHeaders,
    content_security_policy,
    security_headers,
)
from tests.support.apps import ROOT

POLICY = content_security_policy(["'sha256-abc='"])
HASHED = "public, immutable, max-age=31536000"


def directives(policy: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in policy.split(";"))}


def headers_for(path: str, given: str | None = None, scheme: str = "http") -> dict[str, str]:
    return security_headers({"path": path, "scheme": scheme}, given, POLICY)


def test_pages_and_everything_not_hashed_are_never_stored() -> None:
    assert headers_for("/")["Cache-Control"] == "no-store"
    assert headers_for("/cards", "no-cache")["Cache-Control"] == "no-store"
    assert headers_for("/_stcore/health", "no-cache")["Cache-Control"] == "no-store"
    # Media (a CSV download) holds a person's data even where Streamlit says public.
    assert headers_for("/media/a1b2.csv", "public")["Cache-Control"] == "no-store"
    # A path under /static/ that fell back to the page is no asset.
    assert headers_for("/static/missing", "no-cache")["Cache-Control"] == "no-store"


def test_streamlits_hashed_assets_keep_their_long_cache() -> None:
    assert headers_for("/static/js/index.DormvYxC.js", HASHED)["Cache-Control"] == HASHED


def test_hsts_only_over_https() -> None:
    assert "Strict-Transport-Security" not in headers_for("/")
    assert headers_for("/", scheme="https")["Strict-Transport-Security"] == HSTS


def test_the_policy_admits_only_what_streamlit_and_plaid_link_need() -> None:
    policy = directives(POLICY)
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["script-src"] == [
        "'self'", "'sha256-abc='", "'wasm-unsafe-eval'", "blob:", PLAID_LINK_SCRIPT,
    ]  # fmt: skip
    assert policy["frame-src"] == ["https://cdn.plaid.com"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert not any("*" in source for sources in policy.values() for source in sources)


def test_the_deployment_guide_lists_the_headers_the_app_sends() -> None:
    text = (ROOT / "docs" / "DEPLOYMENT.md").read_text().split("Headers the app sends", 1)[1]
    listing = text.split("```", 2)[1]
    documented = dict(line.strip().split(": ", 1) for line in listing.splitlines() if ": " in line)
    sent = headers_for("/", scheme="https")
    # The guide cannot know the hash of the installed Streamlit's inline script.
    sent["Content-Security-Policy"] = re.sub(
        r"'sha256-[^']+'", "'sha256-…'", sent["Content-Security-Policy"]
    )
    assert documented == sent


async def page(_: Request) -> Response:
    return PlainTextResponse("page", headers={"Cache-Control": "public, max-age=600"})


async def echo(websocket: WebSocket) -> None:
    await websocket.accept(subprotocol="streamlit")
    await websocket.send_text(await websocket.receive_text())
    await websocket.close()


def app_with_headers() -> SecurityHeaders:
    routes = [Route("/", page), WebSocketRoute("/stream", echo)]
    return SecurityHeaders(Starlette(routes=routes), policy=POLICY)


def test_every_http_answer_gets_the_headers_replacing_the_apps_cache_control() -> None:
    answer = TestClient(app_with_headers()).get("/")
    assert answer.text == "page"
    assert answer.headers["content-security-policy"] == POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers.get_list("content-security-policy") == [POLICY]  # once, not twice
    missing = TestClient(app_with_headers()).get("/nowhere")
    assert missing.status_code == 404
    assert missing.headers["content-security-policy"] == POLICY


def test_a_websocket_passes_through_untouched() -> None:
    with TestClient(app_with_headers()).websocket_connect(
        "/stream", subprotocols=["streamlit"]
    ) as socket:
        assert socket.accepted_subprotocol == "streamlit"
        socket.send_text("hello")
        assert socket.receive_text() == "hello"
