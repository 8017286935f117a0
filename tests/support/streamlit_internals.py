"""Every use of Streamlit's private API by the tests and `make bench`, in one place.

The app's own uses are in ``services/runtime/streamlit_private.py``. These are the test side:
looking into what Streamlit keeps (cache entries, cache-key arguments, session state,
deferred downloads) to prove nothing of a person is left or leaked, and, for the bench,
timing the script run alone and compiling scripts once as a server does. All of it is
Streamlit 1.67's; an upgrade that moves any of it fails here first, by name.
"""

from __future__ import annotations

import inspect
import pickle
import time
from collections.abc import Callable
from typing import Any

import pytest
from streamlit.runtime.caching import cache_utils
from streamlit.runtime.caching.cache_data_api import _data_caches
from streamlit.runtime.caching.cache_resource_api import _resource_caches
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.scriptrunner import script_runner
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest, app_test, local_script_runner


def record_hashed_arguments(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argument Streamlit hashes into a cache key from now on, as text (the list fills
    as cached functions are called)."""
    seen: list[str] = []
    original = cache_utils._make_value_key
    signature = inspect.signature(original)

    def recording(*args: Any, **kwargs: Any) -> str:
        call = signature.bind(*args, **kwargs).arguments
        func, func_args = call["func"], call["func_args"]
        names = [cache_utils._get_positional_arg_name(func, i) for i in range(len(func_args))]
        pairs = [*zip(names, func_args, strict=True), *call["func_kwargs"].items()]
        seen.extend(repr(value) for name, value in pairs if not str(name).startswith("_"))
        return original(*args, **kwargs)

    monkeypatch.setattr(cache_utils, "_make_value_key", recording)
    return seen


SHARED_DATA = "services.runtime.loaders."  # the st.cache_resource functions holding data


def cache_entries() -> list[tuple[str, bytes]]:
    """Every entry of every st.cache_data function, as Streamlit keeps it (pickled), and of
    the loaders' st.cache_resource functions (the shared figures), pickled here."""
    found = []
    for caches in _data_caches._function_caches.values():
        for cache in caches.values():
            storage: Any = cache.storage
            found += [(cache.display_name, bytes(v)) for v in storage._mem_cache.values()]
    found += [(name, pickle.dumps(value)) for name, value in shared_resources(SHARED_DATA)]
    return found


def shared_resources(prefix: str) -> list[tuple[str, Any]]:
    """Every value held by the st.cache_resource functions whose name starts with ``prefix``
    (module path and function name), the very objects sessions are handed."""
    found = []
    for caches in _resource_caches._function_caches.values():
        for cache in caches.values():
            if cache.display_name.startswith(prefix):
                found += [(cache.display_name, e.value) for e in cache._mem_cache.values()]
    return found


def session_values(at: AppTest) -> list[tuple[str, Any]]:
    """Every key of an AppTest session's state (ours, the pages' and the widgets') with the
    value it now holds."""
    state: Any = at._session_state._state
    found = []
    for key in state._keys():
        for store in (state._new_session_state, state._new_widget_state.states, state._old_state):
            if key in store:
                found.append((key, store[key]))
                break
    return found


def record_deferred_downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], Any]]:
    """What each download button hands Streamlit to run on a click, by its file id."""
    registered: dict[str, Callable[[], Any]] = {}
    original = MediaFileManager.add_deferred

    def record(
        self: MediaFileManager, data_callable: Callable[[], Any], *args: Any, **kw: Any
    ) -> str:
        file_id = original(self, data_callable, *args, **kw)
        registered[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return registered


def time_script_runs(record: Callable[[float], None]) -> None:
    """Hand ``record`` the milliseconds of each script run inside Streamlit's runner, from
    now on in this process."""
    original = script_runner.ScriptRunner._run_script

    def timed(runner: Any, rerun_data: Any) -> None:
        started = time.perf_counter()
        try:
            original(runner, rerun_data)
        finally:
            record((time.perf_counter() - started) * 1000)

    script_runner.ScriptRunner._run_script = timed  # type: ignore[method-assign]


def share_script_cache() -> ScriptCache:
    """Make every AppTest of this process use one ScriptCache (each script compiled once, as
    a server does) and return it."""
    shared = ScriptCache()
    app_test.ScriptCache = lambda: shared  # type: ignore[attr-defined]
    local_script_runner.ScriptCache = lambda: shared  # type: ignore[attr-defined]
    return shared
