"""cProfile of warm reruns of one page: ``python -m bench.profile_rerun [page] [rows]``.

``page`` is a file under pages/ (default ``transactions``); ``rows``, for the transactions
page, replaces the demo transactions with that many synthetic ones (bench.transactions).
Prints the functions with the most cumulative time over 5 reruns. Not part of ``make bench``.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import threading
from dataclasses import replace
from datetime import date

from bench.suite import (
    APP,
    clean_settings,
    injected_snapshot,
    quiet,
    server_like_script_cache,
    with_filter,
)


def main(argv: list[str]) -> None:
    from streamlit.testing.v1 import AppTest

    from bench.transactions import synthetic_frame
    from services.runtime import loaders as data

    quiet()
    server_like_script_cache()
    clean_settings()
    os.environ["DATA_SOURCE"] = "demo"
    page = argv[0] if argv else "transactions"
    snapshot = None
    if len(argv) > 1:
        base = data.load_demo_snapshot(date.today())
        snapshot = replace(
            base,
            transactions=synthetic_frame(base.transactions, int(argv[1])),
            version=f"bench-{argv[1]}",
        )
    with injected_snapshot(snapshot):
        at = AppTest.from_file(APP, default_timeout=600)
        at.run()
        at.switch_page(f"pages/{page}.py").run()
        if page == "transactions":
            with_filter(at)
        at.run()
        # AppTest runs the script on a thread of its own: profile inside that thread.
        profiler = cProfile.Profile()
        original = threading.Thread.run

        def profiled(thread: threading.Thread) -> None:
            profiler.enable()
            try:
                original(thread)
            finally:
                profiler.disable()

        threading.Thread.run = profiled  # type: ignore[method-assign]
        try:
            for _ in range(5):
                at.run()
        finally:
            threading.Thread.run = original  # type: ignore[method-assign]
    stats = pstats.Stats(profiler)
    stats.sort_stats(os.environ.get("SORT", "cumulative")).print_stats(45)


if __name__ == "__main__":
    main(sys.argv[1:])
