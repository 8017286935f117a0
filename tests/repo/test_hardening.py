"""Configuration and code rules that keep the app safe wherever it is deployed."""

from __future__ import annotations

import ast
import http.client
import json
import os
import shlex
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

from tests.support.apps import ROOT
from tests.support.browser_support import ASGI_APP, SETTING_NAMES, free_port, wait_healthy

APP_SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").rglob("*.py")),
               *sorted((ROOT / "services").rglob("*.py")),
               *sorted((ROOT / "integrations").rglob("*.py"))]  # fmt: skip


def test_streamlit_config_keeps_protections_on() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["enableCORS"] is True
    assert config["server"]["maxUploadSize"] <= 1
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False


def _module_constants(tree: ast.Module) -> set[str]:
    """Names bound at import time: they exist before any upstream data does, so are ours."""
    return {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _raw_html_uses(path: Path) -> list[str]:
    """Calls that would render HTML from something other than our own constants."""
    tree = ast.parse(path.read_text(), filename=str(path))
    constants = _module_constants(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node)
        for keyword in node.keywords:
            if keyword.arg == "unsafe_allow_html" and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            ):
                found.append(f"{path.name}:{node.lineno} {name}(unsafe_allow_html=...)")
            if name == "component" and keyword.arg in {"html", "css", "js"}:
                value = keyword.value
                if not (isinstance(value, ast.Name) and value.id in constants):
                    found.append(f"{path.name}:{node.lineno} component({keyword.arg}=<not ours>)")
        if name == "html" and isinstance(node.func, ast.Attribute):
            found.append(f"{path.name}:{node.lineno} .html(...)")
    return found


def test_no_html_is_rendered_from_anything_but_our_own_constants() -> None:
    uses = [use for path in APP_SOURCES for use in _raw_html_uses(path)]
    assert uses == []


def test_the_guard_itself_catches_what_it_forbids(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import streamlit as st\n"
        "HTML = '<b>ours</b>'\n"
        "def show(name):\n"
        "    st.markdown(name, unsafe_allow_html=True)\n"
        "    st.html(name)\n"
        "    st.components.v2.component('x', html=name)\n"
        "    st.components.v2.component('y', html=HTML)\n"
    )
    assert [use.split(" ", 1)[1] for use in _raw_html_uses(bad)] == [
        "markdown(unsafe_allow_html=...)",
        ".html(...)",
        "component(html=<not ours>)",
    ]


def _dockerfile_instructions() -> list[tuple[str, str]]:
    lines = (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1].strip())
        for line in lines
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_dockerfile_runs_as_non_root_with_a_health_check_and_runtime_deps_only() -> None:
    instructions = _dockerfile_instructions()
    users = [value for kind, value in instructions if kind == "USER"]
    assert users
    assert users[-1] not in {"root", "0"}
    health = next(value for kind, value in instructions if kind == "HEALTHCHECK")
    # The ASGI entry's own route: it fails if the image falls back to `streamlit run app.py`.
    assert "/healthz" in health
    installs = " ".join(value for kind, value in instructions if kind == "RUN")
    assert "requirements.txt" in installs
    assert "requirements-dev" not in installs
    copies = [value for kind, value in instructions if kind == "COPY"]
    assert not any(value.split()[0] in {".", "tests", ".env"} for value in copies)


def _answer(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310
        return answer.status, dict(answer.headers.items()), answer.read()


def test_the_dockerfile_command_serves_the_asgi_entry_with_its_routes_and_headers(
    tmp_path: Path,
) -> None:
    command = json.loads(next(v for k, v in _dockerfile_instructions() if k == "CMD"))
    assert command[:2] == ["uvicorn", ASGI_APP]
    port = free_port()
    args = [a for a in command[2:] if not a.startswith(("--port", "--host"))]
    run = [sys.executable, "-m", *command[:2], *args, f"--port={port}", "--host=127.0.0.1"]
    log = tmp_path / "docker-cmd.log"
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as sink:
        process = subprocess.Popen(run, cwd=ROOT, env=env, stdout=sink, stderr=sink)
        try:
            wait_healthy(url, process, log, timeout=60, path="/healthz")
            assert _answer(f"{url}/_stcore/health")[2] == b"ok"  # Streamlit's own, still there
            status, headers, _ = _answer(f"{url}/")
            assert status == 200
            assert "frame-ancestors 'none'" in headers["content-security-policy"]
            assert headers["cache-control"] == "no-store"
            assert "server" not in {name.lower() for name in headers}
        finally:
            process.terminate()
            process.wait(timeout=15)
    # No access log: a request line would carry every path and query.
    assert '"GET /' not in log.read_text()


def test_streamlit_is_pinned_to_one_release() -> None:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    pins = [line for line in lines if line.startswith("streamlit")]
    assert len(pins) == 1
    # With the extra that sign-in needs (Authlib): st.login fails without it.
    assert pins[0].startswith("streamlit[auth]==")


def _make_run_command() -> tuple[dict[str, str], list[str]]:
    """The variables `make run` sets and the command it runs."""
    planned = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.replace("\\\n", " ")
    (line,) = [line for line in planned.splitlines() if ASGI_APP in line]
    words = shlex.split(line)
    variables = dict(w.split("=", 1) for w in words[: words.index(ASGI_APP) - 1] if "=" in w)
    return variables, words[len(variables) :]


def _websocket_answer(port: int, host: str) -> int:
    """The status Streamlit answers a websocket upgrade with, for a page that calls itself
    `host` (as one that rebinds its own name to 127.0.0.1 does)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Host": host, "Connection": "Upgrade", "Upgrade": "websocket",
               "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
               "Sec-WebSocket-Protocol": "streamlit"}  # fmt: skip
    connection.request("GET", "/_stcore/stream", headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


def test_make_run_listens_on_this_machine_only_and_refuses_rebound_names(tmp_path: Path) -> None:
    """A local run loads the operator's data: it answers on the loopback address only, and
    its websocket only to pages that call it by a local name."""
    variables, command = _make_run_command()
    assert command[0].endswith("uvicorn")
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert "--no-proxy-headers" in command  # nothing in front: no forwarded header is trusted
    port = free_port()
    args = command[command.index(ASGI_APP) + 1 :]
    args[args.index("--port") + 1] = str(port)
    log = tmp_path / "make-run.log"
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES} | variables
    run = [sys.executable, "-m", "uvicorn", ASGI_APP, *args]
    with log.open("wb") as sink:
        process = subprocess.Popen(run, cwd=ROOT, env=env, stdout=sink, stderr=sink)
        try:
            wait_healthy(f"http://127.0.0.1:{port}", process, log, timeout=60, path="/healthz")
            assert _websocket_answer(port, f"rebound.example:{port}") == 403
            assert _websocket_answer(port, f"localhost:{port}") == 101
            assert _websocket_answer(port, f"127.0.0.1:{port}") == 101
        finally:
            process.terminate()
            process.wait(timeout=15)
