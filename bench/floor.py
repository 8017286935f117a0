"""The floor of a page's warm rerun, run in AppTest by ``bench.suite``.

It fetches the same payload the page fetches (``bank_data.snapshot``,
``credit_file.credit_report`` and/or ``history.current_history`` of ``services.runtime``,
whatever ``bench_payloads`` names) and draws the very tables and charts the page drew,
recorded from the page's own run (``bench_elements``: Streamlit call name, arguments).
Nothing else: no sidebar, no filters, no analytics. What is left is the cost of getting the
cached payload plus Streamlit serialising the page's main output.
"""

from __future__ import annotations

import streamlit as st

from services.runtime import bank_data, credit_file, history
from services.runtime.settings import current_settings

# name -> its module, looked up on every run (so that the bench's injected payloads count)
PAYLOADS = {"snapshot": bank_data, "credit_report": credit_file, "current_history": history}
settings = current_settings()
for payload in st.session_state.get("bench_payloads", ()):
    getattr(PAYLOADS[payload], payload)(settings)
for name, args, kwargs in st.session_state.get("bench_elements", ()):
    getattr(st, name)(*args, **kwargs)
