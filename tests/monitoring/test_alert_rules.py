"""The alert rules pass Prometheus's own checks and unit tests (promtool, from Debian's `prometheus`).

`promtool test rules deploy/prometheus/tests.yml` evaluates every alert of alerts.yml over
series written in the test file: the first chain alarm (a counter exported at 0, and one that
first appears already at 2), sealing stopped, the shipper behind, LogBull refusing. CI installs
promtool (.ci/services); elsewhere the test is skipped, saying so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/prometheus"
PROMTOOL = os.environ.get("PROMTOOL", "promtool")


def promtool() -> str:
    found = shutil.which(PROMTOOL)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{PROMTOOL} is missing: .ci/services installs Debian's prometheus")
        pytest.skip(f"needs promtool (apt-get install prometheus); {PROMTOOL} is not on PATH")
    return found


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], cwd=RULES, capture_output=True, text=True, timeout=120)


def test_promtool_checks_the_rules():
    done = run("check", "rules", "alerts.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_unit_tests_pass():
    done = run("test", "rules", "tests.yml")
    assert done.returncode == 0 and "SUCCESS" in done.stdout, done.stdout + done.stderr


def test_every_alert_has_a_case_that_fires_and_one_that_does_not():
    alerts = {rule["alert"] for rule in yaml.safe_load((RULES / "alerts.yml").read_text())["groups"][0]["rules"]}
    fired: set[str] = set()
    quiet: set[str] = set()
    for case in yaml.safe_load((RULES / "tests.yml").read_text())["tests"]:
        for check in case.get("alert_rule_test", []):
            (fired if check["exp_alerts"] else quiet).add(check["alertname"])
    assert alerts <= fired, f"no case fires {alerts - fired}"
    assert alerts <= quiet, f"no case keeps {alerts - quiet} quiet"


def test_a_unit_test_that_should_fail_fails(tmp_path: Path):
    """promtool really evaluates: the same cases against a rule that never fires fail."""
    broken = (
        (RULES / "alerts.yml")
        .read_text()
        .replace(
            "max(medcamp_audit_oldest_unsealed_seconds) > 300", "max(medcamp_audit_oldest_unsealed_seconds) > 1e12"
        )
    )
    (tmp_path / "alerts.yml").write_text(broken)
    (tmp_path / "tests.yml").write_text((RULES / "tests.yml").read_text())
    done = subprocess.run(
        [promtool(), "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0 and "MedCampSealingStopped" in done.stdout + done.stderr
