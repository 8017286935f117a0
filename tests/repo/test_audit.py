"""`make audit`'s pip-audit step: fails on a known advisory or an answer it cannot explain,
skips only when no advisory service or package index could be reached. pip-audit's answers are
the shapes it prints (--format json), replayed without a network."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from importlib.metadata import version
from types import ModuleType
from typing import Any

import pytest
from packaging.requirements import Requirement

from tests.support.apps import ROOT

UNREACHABLE_SERVICE = """Traceback (most recent call last):
  File "pip_audit/_service/pypi.py", line 64, in query
requests.exceptions.ProxyError: HTTPSConnectionPool(host='pypi.org', port=443): Max retries \
exceeded with url: /pypi/requests/2.34.2/json (Caused by ProxyError('Unable to connect to proxy', \
NewConnectionError("HTTPSConnection(host='127.0.0.1', port=9): Failed to establish a new \
connection: [Errno 111] Connection refused")))
"""
UNREACHABLE_INDEX = """ERROR:pip_audit._virtual_env:internal pip failure: WARNING: Retrying \
(Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by \
'NewConnectionError("HTTPConnection(host='pypi.example', port=443): Failed to establish a new \
connection: [Errno -3] Temporary failure in name resolution")': /simple/streamlit/
ERROR: Could not find a version that satisfies the requirement streamlit==1.67.0
ERROR:pip_audit._cli:Failed to install packages: ['python', '-m', 'pip', 'install', '-r', \
'requirements.txt']
"""
CONFLICT = """ERROR:pip_audit._virtual_env:internal pip failure: ERROR: Cannot install \
streamlit==1.67.0 and pandas<2 because these package versions have conflicting dependencies.
ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution
ERROR:pip_audit._cli:Failed to install packages: ['python', '-m', 'pip', 'install', '-r', \
'requirements.txt']
"""


def load_audit(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """.ci/audit.py is a script, not a package module: load it from its file."""
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def dependency(name: str, version: str, *advisories: str) -> dict[str, Any]:
    vulns = [{"id": a, "fix_versions": ["9.9.9"], "aliases": [], "description": "x"}
             for a in advisories]  # fmt: skip
    return {"name": name, "version": version, "vulns": vulns}


def not_found(name: str) -> dict[str, Any]:
    return {"name": name, "skip_reason": f"Dependency not found on PyPI and could not be "
                                         f"audited: {name} (1.0)"}  # fmt: skip


def make_audit(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    returncode: int, stdout: str = "", stderr: str = "",
) -> tuple[int, str]:  # fmt: skip
    """Run the audit's pip-audit step on a replayed answer: its exit code and what it printed."""
    audit = load_audit(monkeypatch)

    def answer(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert "pip-audit" in command[0]
        return subprocess.CompletedProcess(command, returncode, stdout, stderr)

    monkeypatch.setattr(audit.subprocess, "run", answer)
    code = audit.run_pip_audit()
    return code, capsys.readouterr().out


def report(*dependencies: dict[str, Any]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_a_known_advisory_fails_the_audit_and_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = report(dependency("requests", "2.32.3", "GHSA-9hjg-9r4m-mvj7"),
                    dependency("pandas", "3.1.1"), not_found("streamlit"))  # fmt: skip
    code, printed = make_audit(monkeypatch, capsys, 1, answer)
    assert code == 1
    assert "pip-audit: requests 2.32.3: GHSA-9hjg-9r4m-mvj7" in printed
    assert "2 packages audited, 1 with advisories, 1 not audited" in printed


def test_a_clean_answer_passes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, printed = make_audit(monkeypatch, capsys, 0, report(dependency("pandas", "3.1.1")))
    assert (code, printed.strip()) == (
        0, "pip-audit: 1 packages audited, 0 with advisories, 0 not audited",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("stdout", "stderr"),
    [("", UNREACHABLE_SERVICE), ("", UNREACHABLE_INDEX),
     (report(not_found("streamlit"), not_found("requests")), "")],
    ids=["advisory service unreachable", "package index unreachable", "service knows nothing"],
)  # fmt: skip
def test_without_a_reachable_service_the_audit_is_skipped_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdout: str, stderr: str
) -> None:
    code, printed = make_audit(monkeypatch, capsys, 1 if stderr else 0, stdout, stderr)
    assert code == 0
    assert printed.startswith("pip-audit: skipped, ")


@pytest.mark.parametrize(
    ("returncode", "stdout", "stderr", "says"),
    [(1, "", CONFLICT, "FAILED, no report (exit 1): ERROR:pip_audit._cli:Failed to install"),
     (1, "", "Traceback ...\nKeyError: 'vulns'", "FAILED, no report (exit 1): KeyError: 'vulns'"),
     (0, report(), "", "FAILED, it reported no packages at all")],
    ids=["requirements cannot be resolved", "pip-audit crashed", "empty report"],
)  # fmt: skip
def test_an_answer_the_audit_cannot_explain_fails_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    returncode: int, stdout: str, stderr: str, says: str,
) -> None:  # fmt: skip
    code, printed = make_audit(monkeypatch, capsys, returncode, stdout, stderr)
    assert code == 1
    assert f"pip-audit: {says}" in printed


# The last release of each with a known advisory, and the advisory: the floors must exclude them.
ADVISED = {
    "requests": ("2.32.5", "CVE-2026-25645, fixed in 2.33.0"),
    "cryptography": ("49.0.0", "CVE-2026-69247, fixed in 50.0.0"),
}


@pytest.mark.parametrize("name", sorted(ADVISED))
def test_runtime_floors_exclude_releases_with_known_advisories(name: str) -> None:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    requirements = [Requirement(line.split("#")[0]) for line in lines if line.startswith(name)]
    (requirement,) = [r for r in requirements if r.name == name]
    advised, advisory = ADVISED[name]
    assert not requirement.specifier.contains(advised), f"{name} {advised} admitted: {advisory}"
    assert requirement.specifier.contains(version(name))  # what the suite runs on
