"""The floor of a page's warm rerun, run in AppTest by ``bench.suite``.

It fetches the same payload the page fetches (``bank_data.snapshot`` and/or
``credit_file.credit_report`` of ``services.runtime``, whatever ``bench_payloads`` names) and
draws the very tables and charts the page drew, recorded from the page's own run
(``bench_elements``: Streamlit call name, arguments). Nothing else: no sidebar, no filters,
no analytics. What is left is the cost of getting the cached payload plus Streamlit
serialising the page's main output.
"""

from __future__ import annotations

import streamlit as st

from services.runtime import bank_data, credit_file
from services.runtime.settings import current_settings

PAYLOADS = {"snapshot": bank_data, "credit_report": credit_file}  # name -> its module
settings = current_settings()
for payload in st.session_state.get("bench_payloads", ()):
    getattr(PAYLOADS[payload], payload)(settings)
for name, args, kwargs in st.session_state.get("bench_elements", ()):
    getattr(st, name)(*args, **kwargs)
