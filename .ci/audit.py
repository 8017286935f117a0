"""Supply-chain and code checks: bandit on our code, pip-audit on the runtime requirements.

bandit fails the run on any unsuppressed medium or high finding. pip-audit needs an advisory
service; where none can be reached (every package comes back "could not be audited"), the
audit says so and is skipped rather than failed, because nothing was learned either way.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CODE = ["app.py", "pages", "services", "integrations"]


def run_bandit() -> int:
    command = [str(BIN / "bandit"), "-q", "-r", *CODE, "--severity-level", "medium"]
    result = subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603
    print("bandit: no medium or high findings" if result.returncode == 0 else "bandit: FAILED")
    return result.returncode


def run_pip_audit() -> int:
    command = [str(BIN / "pip-audit"), "-r", "requirements.txt", "--format", "json",
               "--progress-spinner", "off"]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        report = json.loads(result.stdout or "{}")
    except ValueError:
        print(f"pip-audit: skipped, no usable answer (exit {result.returncode})")
        return 0
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    if dependencies and not audited:
        print("pip-audit: skipped, the advisory service could not be reached from here")
        return 0
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        ids = ", ".join(v["id"] for v in dependency["vulns"])
        print(f"pip-audit: {dependency['name']} {dependency['version']}: {ids}")
    print(f"pip-audit: {len(audited)} packages audited, {len(vulnerable)} with advisories")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(run_bandit() | run_pip_audit())
