"""The private Streamlit API the app relies on (services.runtime.streamlit_private) still works.

Each test fails loudly, naming what moved, when a Streamlit upgrade breaks one of the three
uses; fix the adapter, not its callers.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
from streamlit.runtime.scriptrunner import RerunData
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequests
from streamlit.testing.v1 import AppTest

from services.runtime import streamlit_private


def test_an_altair_chart_converts_to_the_spec_st_altair_chart_sends() -> None:
    frame = pd.DataFrame({"month": ["Jan", "Feb"], "amount": [1.0, 2.0]})
    chart = alt.Chart(frame).mark_bar().encode(x="month", y="amount")
    spec = streamlit_private.vega_lite_spec(chart)
    assert isinstance(spec, dict), "the Altair conversion no longer returns a dict spec"
    assert spec["mark"]["type"] == "bar" if isinstance(spec["mark"], dict) else spec["mark"]
    assert "datasets" in spec, "the spec no longer carries its data as named datasets"


def test_the_pages_folder_switch_is_still_there() -> None:
    from streamlit.runtime.pages_manager import PagesManager

    assert hasattr(PagesManager, "uses_pages_directory"), (
        "PagesManager.uses_pages_directory is gone: require_entry's deep-link start must change"
    )
    before = PagesManager.uses_pages_directory
    try:
        streamlit_private.use_navigation_mode()
        assert PagesManager.uses_pages_directory is False
    finally:
        PagesManager.uses_pages_directory = before


def _threads_see_the_run() -> None:
    from concurrent.futures import ThreadPoolExecutor

    import streamlit as st

    from services.runtime.streamlit_private import in_this_run

    st.session_state["marker"] = "this run"

    def read_marker(_: int) -> object:
        try:
            return st.session_state.get("marker")
        except Exception as problem:
            return type(problem).__name__

    with ThreadPoolExecutor(max_workers=2) as pool:
        st.session_state["threads"] = list(pool.map(in_this_run(read_marker), [1, 2]))


def test_worker_threads_run_as_part_of_the_script_run() -> None:
    at = AppTest.from_function(_threads_see_the_run).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["threads"] == ["this run", "this run"], (
        "a worker thread lost the script run context"
    )


def test_streamlit_variables_set_options_as_streamlit_run_would() -> None:
    from streamlit import config

    try:
        applied = streamlit_private.apply_environment_options(
            {
                "STREAMLIT_SERVER_ALLOWED_HOSTS": "localhost 127.0.0.1",
                "STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "1",
                "STREAMLIT_SERVER_COOKIE_SECRET": "read by Streamlit itself",
            }
        )
        assert applied == ("server.allowedHosts", "server.maxUploadSize")
        assert config.get_option("server.allowedHosts") == ["localhost", "127.0.0.1"]
        assert config.get_option("server.maxUploadSize") == 1
    finally:
        config.get_config_options(force_reparse=True)


def test_the_inline_script_of_streamlits_page_is_found() -> None:
    hashes = streamlit_private.frontend_inline_script_hashes()
    assert hashes, "no inline <script> in Streamlit's index.html: check the CSP's script hashes"
    assert all(h.startswith("'sha256-") and h.endswith("='") for h in hashes)


def _pending_page(requests: ScriptRequests) -> str | None:
    request = requests.on_scriptrunner_yield()
    return request.rerun_data.page_script_hash if request and request.rerun_data else None


def test_a_timed_rerun_never_takes_the_person_back_from_a_page_they_clicked() -> None:
    """The syncing fragment asks for its page again; a click on another page made just before
    must win, where ``st.rerun`` would have folded it into the fragment's page."""
    clicked, syncing = (
        RerunData(page_script_hash="transactions"),
        RerunData(page_script_hash="overview"),
    )
    requests = ScriptRequests()
    requests.request_rerun(clicked)
    assert not streamlit_private.rerun_page_unless_asked(requests, syncing)
    assert _pending_page(requests) == "transactions"
    # Nothing pending: the page is asked for, as st.rerun would.
    assert streamlit_private.rerun_page_unless_asked(requests, syncing)
    assert _pending_page(requests) == "overview", "ScriptRequests no longer takes the rerun asked"


def test_the_browsers_fragment_timer_never_takes_the_person_back_either() -> None:
    """The browser's own tick of the syncing fragment, sent just after a click on another
    page, carries the page it was drawn on: the click's page must still be the one run."""
    streamlit_private.keep_clicks_over_timers()
    clicked = RerunData(page_script_hash="setup", query_string="")
    tick = RerunData(
        page_script_hash="overview", query_string="tx_from=x", fragment_id="f1", is_auto_rerun=True
    )
    requests = ScriptRequests()
    requests.request_rerun(clicked)
    requests.request_rerun(tick)
    pending = requests.on_scriptrunner_yield()
    assert pending is not None
    assert pending.rerun_data is not None
    assert pending.rerun_data.page_script_hash == "setup"
    assert pending.rerun_data.query_string == ""
