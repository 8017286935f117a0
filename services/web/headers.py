"""Security headers on every HTTP response the app sends, Streamlit's own included.

Pure ASGI (not Starlette's ``BaseHTTPMiddleware``): a WebSocket upgrade, Streamlit's session,
passes through untouched, and a response body streams as it is, never buffered here.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Plaid Link's loader, the one script of another origin the page runs (pages/_plaid_link.py).
PLAID_LINK_SCRIPT = "https://cdn.plaid.com/link/v2/stable/link-initialize.js"
# Link draws itself in a frame from here; its own pages then talk to Plaid under their policy.
PLAID_LINK_FRAME = "https://cdn.plaid.com"
# Plaid's guide for Link under a CSP also admits its API hosts for the loader's requests.
PLAID_API_HOSTS = ("https://production.plaid.com", "https://sandbox.plaid.com")

HSTS = "max-age=31536000; includeSubDomains"
# Streamlit's frontend marks its content-hashed bundles, fonts and images this way; they are
# the same for every visitor and change name when they change, so caching them is safe.
CACHEABLE_PREFIX = "/static/"
CACHEABLE_MARK = "immutable"


def content_security_policy(inline_script_hashes: Iterable[str]) -> str:
    """What Streamlit's frontend and Plaid Link need, and nothing more.

    - scripts: our origin; the hashes of Streamlit's own inline script (not any inline
      script); ``blob:``, because Streamlit loads a v2 component's JavaScript (the Link
      component) from a blob URL it makes from the code we gave it; Plaid's loader by its
      full URL; ``'wasm-unsafe-eval'``, which compiles WebAssembly only, never JavaScript:
      Streamlit's message decoder builds a small module for 64-bit numbers at every load.
      No ``'unsafe-eval'``: Streamlit draws Vega charts with its expression interpreter.
    - styles: ``'unsafe-inline'``, because Streamlit's frontend (Emotion) writes style elements
      and attributes at run time and offers no nonce.
    - images: ``data:`` and ``blob:`` for the favicon Streamlit makes from the page icon and
      the charts it renders. Fonts: ``data:`` for one of the maths fonts Streamlit's
      stylesheet inlines.
    - connections: our origin (the page's WebSocket too) and Plaid's API hosts.
    - frames: Plaid Link's. ``frame-ancestors 'none'``: no other site may frame the app.
    """
    scripts = " ".join(
        ["'self'", *inline_script_hashes, "'wasm-unsafe-eval'", "blob:", PLAID_LINK_SCRIPT]
    )
    directives = {
        "default-src": "'self'",
        "script-src": scripts,
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": " ".join(["'self'", *PLAID_API_HOSTS]),
        "frame-src": PLAID_LINK_FRAME,
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())


def cache_control(path: str, given: str | None) -> str:
    """``no-store`` for everything (pages, Streamlit's messages and media such as a CSV
    download, our routes), except what Streamlit itself marks immutable under /static/."""
    if path.startswith(CACHEABLE_PREFIX) and given and CACHEABLE_MARK in given:
        return given
    return "no-store"


def security_headers(
    scope: MutableMapping[str, Any], given_cache_control: str | None, policy: str
) -> dict[str, str]:
    """The headers one response gets. HSTS only over https: the scheme is the request's, which
    uvicorn takes from X-Forwarded-Proto only from the proxies it is told to trust."""
    headers = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": cache_control(scope.get("path", ""), given_cache_control),
    }
    if scope.get("scheme") == "https":
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SecurityHeaders:
    """ASGI middleware: every HTTP response gets ``security_headers``, replacing any value
    the app set for the same names."""

    def __init__(self, app: ASGIApp, policy: str) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                added = security_headers(scope, headers.get("cache-control"), self.policy)
                for name, value in added.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
