"""The floor of a page's warm rerun, run in AppTest by ``bench.suite``.

It fetches the same payload the page fetches (``services.session.snapshot`` and/or
``credit_report``, whatever ``bench_payloads`` names) and draws the very tables and charts the
page drew, recorded from the page's own run (``bench_elements``: Streamlit call name,
arguments). Nothing else: no sidebar, no filters, no analytics. What is left is the cost of
getting the cached payload plus Streamlit serialising the page's main output.
"""

from __future__ import annotations

import streamlit as st

from services import session
from services.settings import current_settings

settings = current_settings()
for payload in st.session_state.get("bench_payloads", ()):
    getattr(session, payload)(settings)
for name, args, kwargs in st.session_state.get("bench_elements", ()):
    getattr(st, name)(*args, **kwargs)
