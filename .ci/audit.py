"""Supply-chain and code checks: bandit on our code, pip-audit on the runtime requirements.

bandit fails the run on any unsuppressed medium or high finding. pip-audit fails the run on any
known advisory it reports, and on any answer it cannot explain. It is skipped, with a message,
only when nothing could be learned: the package index or the advisory service could not be
reached (no network), or the service answered for none of the packages.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CODE = ["app.py", "pages", "services", "integrations"]

# What requests, urllib3, pip and pip-audit print when a host cannot be reached at all.
UNREACHABLE = re.compile(
    r"NewConnectionError|NameResolutionError|Failed to establish a new connection"
    r"|Temporary failure in name resolution|Name or service not known|Network is unreachable"
    r"|ConnectTimeout|ProxyError|Max retries exceeded|Could not connect to"
    r"|your network may be blocking this service"
)


@dataclass(frozen=True)
class Verdict:
    exit_code: int  # 0 passes make audit, 1 fails it
    lines: tuple[str, ...]


def run_bandit() -> int:
    command = [str(BIN / "bandit"), "-q", "-r", *CODE, "--severity-level", "medium"]
    result = subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603
    print("bandit: no medium or high findings" if result.returncode == 0 else "bandit: FAILED")
    return result.returncode


def _report(stdout: str) -> dict[str, Any] | None:
    try:
        report = json.loads(stdout)
    except ValueError:
        return None
    if not isinstance(report, dict) or not isinstance(report.get("dependencies"), list):
        return None
    return report


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "nothing on stderr"


def pip_audit_verdict(returncode: int, stdout: str, stderr: str) -> Verdict:
    """Pass, skip or fail from what pip-audit printed (``--format json``)."""
    report = _report(stdout)
    if report is None:
        if UNREACHABLE.search(stderr):
            return Verdict(0, ("pip-audit: skipped, the package index or the advisory service "
                               "could not be reached from here",))  # fmt: skip
        return Verdict(1, (f"pip-audit: FAILED, no report (exit {returncode}): "
                           f"{_last_line(stderr)}",))  # fmt: skip
    dependencies = report["dependencies"]
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    lines = [
        f"pip-audit: {d['name']} {d['version']}: " + ", ".join(v["id"] for v in d["vulns"])
        for d in vulnerable
    ]
    skipped = len(dependencies) - len(audited)
    summary = (
        f"pip-audit: {len(audited)} packages audited, {len(vulnerable)} with advisories, "
        f"{skipped} not audited"
    )
    if vulnerable:
        return Verdict(1, (*lines, summary, "pip-audit: FAILED"))
    if not dependencies:
        return Verdict(1, ("pip-audit: FAILED, it reported no packages at all",))
    if not audited:
        reason = dependencies[0].get("skip_reason", "")
        return Verdict(0, ("pip-audit: skipped, the advisory service answered for none of the "
                           f"{skipped} packages (first: {reason})",))  # fmt: skip
    if returncode != 0:
        return Verdict(1, (summary, f"pip-audit: FAILED, it exited {returncode}"))
    return Verdict(0, (summary,))


def run_pip_audit() -> int:
    command = [str(BIN / "pip-audit"), "-r", "requirements.txt", "--format", "json",
               "--progress-spinner", "off"]  # fmt: skip
    try:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        print("pip-audit: FAILED, not installed (requirements-dev.txt installs it)")
        return 1
    verdict = pip_audit_verdict(result.returncode, result.stdout, result.stderr)
    for line in verdict.lines:
        print(line)
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(run_bandit() | run_pip_audit())
