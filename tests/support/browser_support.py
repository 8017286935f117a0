"""Start the app (`streamlit run`, or the ASGI entry under uvicorn) on a free localhost port and
drive Debian's chromium with Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from services.runtime.settings import SETTINGS
from tests.support.clock import TODAY

ROOT = Path(__file__).resolve().parents[2]
SETTING_NAMES = tuple(SETTINGS)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
RUN_FINISHED = '[data-testid="stApp"][data-test-script-state="notRunning"]'
RUN_TIMEOUT_MS = 60_000
ASGI_APP = "services.web.asgi:app"  # what `make run`, the Dockerfile and compose serve

# Streamlit's page reads "notRunning" between a click and the start of the run the click asks
# for, and between a run that calls st.rerun() and the next one: that attribute alone cannot
# tell "done" from "not started yet". So every test page counts runs where they are announced,
# on the app's websocket, before Streamlit's own code sees the message. A run begins with a
# `new_session` message; it ends with `script_finished` (whose status says whether another run
# follows at once), or without a word when a rerun request replaces it. `settled` is the
# number of runs started when the last one finished for good. It is set from a posted message,
# a task queued behind the render React schedules for that websocket message, so by then the
# screen shows the finished run.
_RUN_WATCH_TEMPLATE = """
(() => {
  if (window.__runWatch) { return; }
  const NEW_SESSION = __NEW_SESSION__, SCRIPT_FINISHED = __SCRIPT_FINISHED__;
  const FINISHED_EARLY_FOR_RERUN = __EARLY__;
  const page = Math.random().toString(36).slice(2);  // tells one page load from the next
  const watch = { page: page, started: 0, settled: 0, interrupted: 0, running: false };
  window.__runWatch = watch;
  const drawn = new MessageChannel();
  drawn.port1.onmessage = (event) => { watch.settled = event.data; };
  const varint = (bytes, at) => {
    let value = 0, shift = 0, byte = 0x80;
    while (byte & 0x80) { byte = bytes[at.i++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; }
    return value;
  };
  const note = (data) => {
    if (!(data instanceof ArrayBuffer)) { return; }
    const bytes = new Uint8Array(data), at = { i: 0 };
    while (at.i < bytes.length) {  // the message's top-level fields only
      const tag = varint(bytes, at), field = Math.floor(tag / 8), wire = tag % 8;
      let value = null;
      if (wire === 0) { value = varint(bytes, at); }
      else if (wire === 1) { at.i += 8; }
      else if (wire === 2) { const length = varint(bytes, at); at.i += length; }
      else if (wire === 5) { at.i += 4; }
      else { return; }
      if (field === NEW_SESSION) {
        // A run replaced before it finished says nothing more: the next one just starts.
        watch.interrupted += watch.running ? 1 : 0;
        watch.started += 1;
        watch.running = true;
      } else if (field === SCRIPT_FINISHED) {
        watch.running = false;
        if (value === FINISHED_EARLY_FOR_RERUN) {
          watch.interrupted += 1;
        } else {
          const finished = watch.started;
          setTimeout(() => drawn.port2.postMessage(finished));
        }
      }
    }
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => note(event.data));
    }
  };
})();
"""
_FIELDS = ForwardMsg.DESCRIPTOR.fields_by_name
RUN_WATCH_SCRIPT = (
    _RUN_WATCH_TEMPLATE.replace("__NEW_SESSION__", str(_FIELDS["new_session"].number))
    .replace("__SCRIPT_FINISHED__", str(_FIELDS["script_finished"].number))
    .replace("__EARLY__", str(ForwardMsg.FINISHED_EARLY_FOR_RERUN))
)
# True once a run that started after `mark` (any run, on a page loaded since) has finished
# for good and the page shows it.
_SETTLED_SINCE = """
([mark, finished]) => {
  const watch = window.__runWatch;
  if (!watch) { throw new Error("runs are not counted here: open the page with new_page()"); }
  const fresh = mark === null || watch.page !== mark.page;
  const started = fresh ? watch.started > 0 : watch.started > mark.started;
  return started && watch.settled === watch.started && document.querySelector(finished) !== null;
}
"""

SYNCING_STATUS = "Syncing transaction history…"  # pages/_shared.render_syncing's status
_SYNCING_SHOWN = """
(syncing) => Array.from(document.querySelectorAll('[data-testid="stExpander"]'))
  .some((status) => status.textContent.includes(syncing))
"""
# True once every run the page heard of is over and drawn and none left the syncing status on
# screen: the page is whole, not between two of its fragment's reruns while banks sync.
_FILLED_IN = f"""
([finished, syncing]) => {{
  const watch = window.__runWatch;
  if (!watch) {{ throw new Error("runs are not counted here: open the page with new_page()"); }}
  return watch.started > 0 && watch.settled === watch.started
    && document.querySelector(finished) !== null && !({_SYNCING_SHOWN})(syncing);
}}
"""


def require_chromium() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    message = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(
    url: str,
    process: subprocess.Popen[bytes],
    log: Path,
    timeout: float,
    path: str = "/_stcore/health",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}{path}", timeout=2) as answer:  # noqa: S310
                if answer.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy:\n{log.read_text()[-3000:]}")


def server_environment(extra_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment less the app's own settings, on demo data and the tests'
    day, plus `extra_env` (a later value wins)."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update({"DATA_SOURCE": "demo", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"})
    env["AS_OF_DATE"] = TODAY.isoformat()  # the same day as the test's own expectations
    env.update(extra_env or {})
    return env


@contextmanager
def streamlit_server(
    log: Path,
    extra_env: Mapping[str, str] | None = None,
    script: str = "app.py",
    extra_args: Sequence[str] = (),
    port: int | None = None,
    asgi: bool = False,
) -> Iterator[str]:
    """A fresh `streamlit run <script>` on 127.0.0.1, ended when the block exits.

    `extra_args` go after the defaults (a later flag wins), such as ``--secrets.files``.
    `port` is for a caller that must name the app's URL before it starts (the sign-in
    redirect URI registered at an identity provider); by default any free port.
    With `asgi`, the ASGI entry under uvicorn instead (`make run`'s way, app.py only);
    Streamlit's options then come as ``STREAMLIT_*`` variables in `extra_env`."""
    if asgi:
        if script != "app.py" or extra_args:
            raise ValueError("the ASGI entry runs app.py; give options as STREAMLIT_* variables")
        with uvicorn_server(ASGI_APP, log, extra_env, port=port) as url:
            yield url
        return
    port = port or free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", script,
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        *extra_args,
    ]  # fmt: skip
    with serving(command, port, server_environment(extra_env), log) as url:
        yield url


@contextmanager
def uvicorn_server(
    module: str,
    log: Path,
    extra_env: Mapping[str, str] | None = None,
    port: int | None = None,
    app_dir: Path | None = None,
) -> Iterator[str]:
    """``uvicorn <module>`` (an ``st.App``) on 127.0.0.1 as `make run` serves the app, ended
    when the block exits; `app_dir` is where `module` is found, if not in the project."""
    port = port or free_port()
    env = server_environment(extra_env)
    env.setdefault("STREAMLIT_SERVER_FILE_WATCHER_TYPE", "none")
    command = uvicorn_command(port, module)
    if app_dir is not None:
        command += ["--app-dir", str(app_dir)]
    with serving(command, port, env, log) as url:
        yield url


@contextmanager
def serving(command: Sequence[str], port: int, env: Mapping[str, str], log: Path) -> Iterator[str]:
    """`command` (a server of ours on 127.0.0.1:`port`) as a child process, its output in
    `log`: the URL once it answers its health check, ended when the block exits."""
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, process, log, timeout=90)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def uvicorn_command(port: int, module: str = ASGI_APP) -> list[str]:
    """`module` (by default the ASGI entry) as `make run` serves it, on 127.0.0.1:`port`."""
    return [
        sys.executable, "-m", "uvicorn", module,
        "--host", "127.0.0.1", "--port", str(port),
        "--no-server-header", "--no-access-log",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium driven by Playwright, shared by a module's tests."""
    executable = require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def watch_runs(context: BrowserContext) -> BrowserContext:
    """Every page of `context` counts the app's runs (see RUN_WATCH_SCRIPT)."""
    context.add_init_script(RUN_WATCH_SCRIPT)
    return context


def new_page(browser: Browser, **options: Any) -> Page:
    """A page in a fresh browser context (a new Streamlit session) that counts runs."""
    context = watch_runs(browser.new_context(**options))
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    return opened


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (a new Streamlit session) with one page."""
    opened = new_page(browser, viewport={"width": 1400, "height": 1000})
    yield opened
    opened.context.close()


def _run_mark(page: Page) -> dict[str, Any]:
    return page.evaluate("() => ({page: __runWatch.page, started: __runWatch.started})")


def _wait_settled(page: Page, mark: dict[str, Any] | None) -> None:
    page.wait_for_function(_SETTLED_SINCE, arg=[mark, RUN_FINISHED], timeout=RUN_TIMEOUT_MS)


def wait_until_idle(page: Page) -> None:
    """Wait until the runs the page has heard of are over and drawn.

    Sound after a page load (goto, reload, a redirect), or once something a run drew is on
    screen (say, after an `expect` of it). Not right after a click: the page has not heard
    of the run the click asks for yet; use `rerun_after` around the click instead."""
    _wait_settled(page, None)


def wait_until_filled_in(page: Page, timeout_ms: float = RUN_TIMEOUT_MS) -> None:
    """Wait until the page is whole: its runs over and drawn with no "Syncing transaction
    history…" status left, however many reruns its fragment needed to get there. Sound after
    a page load, as `wait_until_idle`, which alone may stop between two of those reruns."""
    page.wait_for_function(_FILLED_IN, arg=[RUN_FINISHED, SYNCING_STATUS], timeout=timeout_ms)


def syncing_shown(page: Page) -> bool:
    """Whether the page shows the "Syncing transaction history…" status right now (as
    `wait_until_filled_in` looks for it)."""
    return bool(page.evaluate(_SYNCING_SHOWN, SYNCING_STATUS))


@contextmanager
def rerun_after(page: Page) -> Iterator[None]:
    """Wait, after the block, until the run its action starts has finished for good.

    Any st.rerun() that run makes is waited for too. If the action leaves the page (a
    redirect), the new page's runs count instead."""
    mark = _run_mark(page)
    yield
    _wait_settled(page, mark)


def runs_interrupted(page: Page) -> int:
    """How many runs on this page were cut short by a newer rerun request."""
    return int(page.evaluate("() => __runWatch.interrupted"))


def go_to(page: Page, link: str, heading: str | None = None) -> None:
    """Open a page from the sidebar and wait until it is drawn."""
    with rerun_after(page):
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", level=1, name=heading or link)).to_be_visible()
    # The run awaited above may have been a syncing fragment's tick of the page left: the new
    # page's own run is the one drawing its heading, and it may not be over yet.
    wait_until_idle(page)


def open_app(page: Page, url: str) -> None:
    """Load `url` and wait until the app's first run is over."""
    page.goto(url)
    wait_until_idle(page)
