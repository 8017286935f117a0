"""Every use of Streamlit's private API, in one place (Streamlit 1.67).

Streamlit offers no public way to do these three things, so they are kept here, small, with
``tests/pages/test_streamlit_private.py`` failing loudly when an upgrade moves or changes them:

- carry the script run's context into worker threads (fetching several banks at once);
- convert an Altair chart to the Vega-Lite spec ``st.altair_chart`` would send, once;
- leave the legacy ``pages/`` folder mode for ``st.navigation`` on a deep link.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import altair as alt
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

T = TypeVar("T")
R = TypeVar("R")


def in_this_run(function: Callable[[T], R]) -> Callable[[T], R]:
    """``function`` made to run in another thread as part of the current script run, so that
    Streamlit's caches and session work there as they do in the run itself."""
    context = get_script_run_ctx()

    def run(argument: T) -> R:
        add_script_run_ctx(threading.current_thread(), context)
        return function(argument)

    return run


def vega_lite_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec of an Altair chart, by Streamlit's own conversion: what reaches the
    browser is the same as ``st.altair_chart`` sends."""
    return _convert_altair_to_vega_lite_spec(chart)


def use_navigation_mode() -> None:
    """A folder named ``pages/`` makes Streamlit start in its legacy multipage mode until the
    first ``st.navigation`` call in the process; this switches the process to navigation mode
    (for a deep link that reached a page file before app.py ran)."""
    PagesManager.uses_pages_directory = False
