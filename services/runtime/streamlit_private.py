"""Every use of Streamlit's private API, in one place (Streamlit 1.67).

Streamlit offers no public way to do these things, so they are kept here, small, with
``tests/pages/test_streamlit_private.py`` failing loudly when an upgrade moves or changes them:

- carry the script run's context into worker threads (fetching several banks at once);
- convert an Altair chart to the Vega-Lite spec ``st.altair_chart`` would send, once;
- leave the legacy ``pages/`` folder mode for ``st.navigation`` on a deep link;
- rerun the page from a timed fragment without overriding a click made meanwhile, and keep
  the browser's own timer of that fragment from overriding it (``keep_clicks_over_timers``);
- for the ASGI entry (``services/web/asgi.py``): read Streamlit's ``STREAMLIT_*`` variables as
  ``streamlit run`` does, and find the inline scripts of Streamlit's page, whose hashes the
  Content-Security-Policy admits.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import altair as alt
import click
from streamlit import config, file_util
from streamlit.commands.execution_control import _force_yield_point
from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import RerunData, add_script_run_ctx, get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_requests import (
    ScriptRequests,
    ScriptRequestType,
)

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


def rerun_page_unless_asked(requests: ScriptRequests, rerun: RerunData) -> bool:
    """Ask for ``rerun`` unless a rerun is already pending; whether it was asked.

    ``st.rerun`` from a fragment asks for the fragment's page, and Streamlit folds two pending
    requests into the newer one's page: a timed fragment rerunning just after the person
    clicked another page would take them back. Checked and asked under the requests' own lock,
    so a click cannot slip in between."""
    with requests._lock:
        if requests._state != ScriptRequestType.CONTINUE:
            return False
        return requests._request_rerun_locked(rerun)


_TIMERS_YIELD = threading.Lock()
_timers_yield: list[bool] = []  # installed once per process


def _is_timer_tick(rerun: RerunData) -> bool:
    return rerun.is_auto_rerun and bool(rerun.fragment_id or rerun.fragment_id_queue)


def keep_clicks_over_timers() -> None:
    """A timed fragment's tick sent by the browser carries the page it was drawn on, and
    Streamlit folds it with a pending request into the tick's page: a click on another page
    made just before the tick would be undone. From this call on, a tick folded into a
    pending request keeps that request's page (and its query string)."""
    with _TIMERS_YIELD:
        if _timers_yield:
            return
        fold = ScriptRequests._request_rerun_locked

        def fold_keeping_the_page(requests: ScriptRequests, rerun: RerunData) -> bool:
            pending = requests._rerun_data if requests._state == ScriptRequestType.RERUN else None
            if pending is not None and _is_timer_tick(rerun):
                rerun = replace(
                    rerun,
                    page_script_hash=pending.page_script_hash,
                    page_name=pending.page_name,
                    query_string=pending.query_string,
                )
            return fold(requests, rerun)

        ScriptRequests._request_rerun_locked = fold_keeping_the_page  # type: ignore[method-assign]
        _timers_yield.append(True)


def rerun_this_page_unless_asked() -> None:
    """``st.rerun(scope="app")`` for a timed fragment, yielding to any rerun already asked for
    (a click on another page, a widget: that run draws the page anew anyway; another timed
    fragment's tick: the next tick of this one asks again)."""
    ctx = get_script_run_ctx()
    if ctx is None or ctx.script_requests is None:
        return
    rerun = RerunData(
        query_string=ctx.query_string,
        page_script_hash=ctx.page_script_hash,
        cached_message_hashes=ctx.cached_message_hashes,
        context_info=ctx.context_info,
    )
    if rerun_page_unless_asked(ctx.script_requests, rerun):
        _force_yield_point()


def apply_environment_options(environ: Mapping[str, str]) -> tuple[str, ...]:
    """Set the Streamlit options named by ``STREAMLIT_*`` variables, as ``streamlit run`` does.

    Served by uvicorn, Streamlit reads only its config files and its sensitive variables (the
    cookie secret); ``streamlit run`` reads every option's variable through its command line
    parser. Doing the same here keeps one way to configure both (``STREAMLIT_SERVER_ALLOWED_HOSTS``
    for ``make run``). Values are parsed as the command line would (a list splits on spaces).
    Returns the options set."""
    found: dict[str, Any] = {}
    for key, option in config._config_options_template.items():
        raw = environ.get(option.env_var)
        if raw is None or option.sensitive:  # Streamlit reads sensitive ones itself
            continue
        kind = click.types.convert_type(option.type)
        found[key] = (
            [kind.convert(part, None, None) for part in raw.split()]
            if option.multiple
            else kind.convert(raw, None, None)
        )
    if found:
        config.get_config_options(force_reparse=True, options_from_flags=found)
    return tuple(sorted(found))


_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def frontend_inline_script_hashes() -> tuple[str, ...]:
    """CSP sources (``'sha256-...'``) for the inline scripts of Streamlit's own page, read from
    the installed frontend, so the policy admits exactly them rather than any inline script."""
    page = Path(file_util.get_static_dir()) / "index.html"
    scripts = _INLINE_SCRIPT.findall(page.read_text(encoding="utf-8"))
    return tuple(f"'sha256-{_sha256_base64(script)}'" for script in scripts)


def _sha256_base64(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
