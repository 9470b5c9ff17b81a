"""Our merge of the workers' files says what prometheus-client's own merge says, sample for sample."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from core.metrics_merge import MergedFiles

ROOT = Path(__file__).resolve().parents[2]
WORK = """
import os, sys
sys.path.insert(0, {root!r})
from core import metrics as M
for n in range({n}):
    route = ("api/v1/patients/{{pk}}/", "admin/", "api/v1/queue/")[n % 3]
    M.REQUEST_SECONDS.labels(route, "GET", ("2xx", "4xx")[n % 2]).observe(0.003 * (n % 40))
    M.REQUEST_QUERIES.observe(n % 9)
    M.AUDIT_EVENTS.labels("patient", ("success", "failure")[n % 5 == 0]).inc()
M.REQUESTS_IN_FLIGHT.inc({n})
os._exit(0)  # as a worker killed outright: no fold at exit, its own files stay for the merge
"""


def samples(text: str) -> set[tuple[str, tuple[tuple[str, str], ...], float]]:
    return {
        (s.name, tuple(sorted(s.labels.items())), round(s.value, 9))
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_the_merge_matches_the_library(tmp_path: Path):
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for n in (50, 77, 120):
        subprocess.run([sys.executable, "-c", WORK.format(root=str(ROOT), n=n)], env=env, check=True)
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    MultiProcessCollector(theirs, path=str(tmp_path))
    ours.register(MergedFiles(tmp_path))
    expected = samples(generate_latest(theirs).decode())
    assert expected and samples(generate_latest(ours).decode()) == expected
    success = (("family", "patient"), ("outcome", "success"))
    assert ("medcamp_audit_events_total", success, 40.0 + 61.0 + 96.0) in expected  # all 3 processes' counts
    assert ("medcamp_http_requests_in_flight", (), 247.0) in expected  # livesum over the 3 files
    assert len(list(tmp_path.glob("*.db"))) >= 9  # a counter, a histogram and a gauge file each
