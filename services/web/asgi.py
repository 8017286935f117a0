"""The ASGI application: ``uvicorn services.web.asgi:app`` from the repository's root.

The same pages as ``streamlit run app.py`` (``st.App`` runs app.py), plus the routes beside
them and the security headers on every response. Routes go in ``ROUTES``: health and
readiness, Plaid's webhooks under ``/webhooks/``; the JSON API to come under ``/api/``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from services.runtime.streamlit_private import (
    apply_environment_options,
    frontend_inline_script_hashes,
)
from services.web import api, health, webhooks
from services.web.headers import SecurityHeaders, content_security_policy

# Absolute, so the entry does not depend on how it was started (uvicorn resolves a relative
# script path against its working directory, `streamlit run` against this file's folder).
ENTRY_SCRIPT = Path(__file__).resolve().parents[2] / "app.py"

ROUTES: list[BaseRoute] = [*health.ROUTES, *api.ROUTES, *webhooks.ROUTES]


def no_access_log() -> None:
    """No line per request: it would carry every path and query (an OAuth return's state id,
    for one). ``--no-access-log`` is not enough, because Streamlit gives uvicorn's access
    logger a handler of its own; a proxy's log is the place to count requests."""
    logging.getLogger("uvicorn.access").disabled = True


def build_app() -> st.App:
    policy = content_security_policy(frontend_inline_script_hashes())
    app = st.App(
        ENTRY_SCRIPT,
        routes=ROUTES,
        # Ours wraps Streamlit's own middleware, so its answers get the headers too.
        middleware=[Middleware(SecurityHeaders, policy=policy)],
    )
    # After st.App: it names app.py's folder as where Streamlit's config file is, and this
    # reads the config files again with the variables on top, as `streamlit run` would.
    apply_environment_options(os.environ)
    no_access_log()
    return app


app = build_app()
