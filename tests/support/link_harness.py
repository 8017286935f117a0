"""A tiny app around `plaid_link` for tests/browser/test_plaid_link_browser.py.

Run: streamlit run tests/support/link_harness.py (from the repository root). Open it with
`?delay=SECONDS` to make the run that receives a result slow. Opened with
`?oauth_state_id=X`, it is the page an OAuth bank sends the person back to, and finishes
Link with `resume_oauth_link` as the Setup page does.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from pages._plaid_link import plaid_link, resume_oauth_link  # noqa: E402

state = st.session_state
state.setdefault("runs", 0)
state.setdefault("received", 0)
state.runs += 1

if "oauth_state_id" in st.query_params:
    result = resume_oauth_link(key="link_oauth")
else:
    result = plaid_link("link-sandbox-test-token", key="link", remember_for_oauth=True)
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
