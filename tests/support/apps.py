"""The app under Streamlit's AppTest: one way to build it and one to open it on a page."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
# Seconds a run may take before AppTest gives up; a first run builds the demo data.
RUN_TIMEOUT = 60


def app_test(timeout: float = RUN_TIMEOUT) -> AppTest:
    """The app, not run yet: set session state, query parameters or secrets, then run it."""
    return AppTest.from_file(APP, default_timeout=timeout)


def app_on_page(page: str | None = None, timeout: float = RUN_TIMEOUT) -> AppTest:
    """The app run once, then switched to `page` (a path such as "pages/cards.py") if given."""
    at = app_test(timeout).run()
    if page:
        at.switch_page(page).run()
    return at


def labelled(widgets: Iterable[Any], label: str) -> Any:
    """The one widget of `widgets` (such as ``at.text_input``) shown with `label`: for the
    fields that hold a secret or a person's details, which have no key so that nothing of
    them is kept under a name of ours in the session."""
    found = [widget for widget in widgets if widget.label == label]
    assert len(found) == 1, (label, [widget.label for widget in widgets])
    return found[0]
