"""A tiny app around `plaid_link` for tests/test_plaid_link_browser.py.

Run: streamlit run tests/link_harness.py (from the repository root). Open it with
`?delay=SECONDS` to make the run that receives a result slow, or `?oauth_state_id=X` to
play the return from an OAuth bank.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from pages._plaid_link import plaid_link  # noqa: E402

state = st.session_state
state.setdefault("runs", 0)
state.setdefault("received", 0)
state.runs += 1

# ?oauth_state_id=... plays the return from an OAuth bank.
oauth_state_id = st.query_params.get("oauth_state_id")
redirect = f"http://127.0.0.1/?oauth_state_id={oauth_state_id}" if oauth_state_id else None

result = plaid_link("link-sandbox-test-token", key="link", received_redirect_uri=redirect)
if result is not None:
    state.received += 1

with st.container(key="runs"):
    st.text(f"runs={state.runs}")
with st.container(key="received"):
    st.text(f"received={state.received}")
if result is not None:
    # ?delay=SECONDS stands in for a slow token exchange, so a test can interrupt this run.
    time.sleep(min(float(st.query_params.get("delay", "0")), 5.0))
with st.container(key="result"):
    st.text(repr(result))
st.button("rerun")
