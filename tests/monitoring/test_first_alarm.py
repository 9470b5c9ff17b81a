"""Every alarm series is exported at 0 from a process's start, so Prometheus's increase() sees the
first alarm (a series that first appears already at N reads as no increase)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from django.test import Client

from core.metrics import ALARM_KINDS, DOORS, SINKS
from tests import servers
from tests.monitoring.scrape import samples

pytestmark = pytest.mark.django_db


def zeros(text: str) -> dict[tuple[str, str], float]:
    """(series, label value) -> value of the alarm, sign-in and sink counters."""
    wanted = {
        "medcamp_audit_chain_alarms_total": "kind",
        "medcamp_auth_failures_total": "door",
        "medcamp_auth_throttled_total": "door",
        "medcamp_audit_sink_failed_total": "sink",
    }
    return {(name, labels[wanted[name]]): value for name, labels, value in samples(text) if name in wanted}


def expected() -> set[tuple[str, str]]:
    return (
        {("medcamp_audit_chain_alarms_total", kind) for kind in ALARM_KINDS}
        | {(name, door) for name in ("medcamp_auth_failures_total", "medcamp_auth_throttled_total") for door in DOORS}
        | {("medcamp_audit_sink_failed_total", sink) for sink in SINKS}
    )


def test_every_alarm_series_is_served_in_one_process():
    """Present whatever ran before in this test process (its values may be above 0 by now)."""
    assert expected() <= zeros(Client().get("/metrics").content.decode()).keys()


def test_a_fresh_server_in_multiprocess_mode_exports_them_at_0(tmp_path: Path):
    metrics = tmp_path / "metrics"
    env = servers.app_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path, PROMETHEUS_MULTIPROC_DIR=str(metrics))
    servers.manage(env, "migrate", "--noinput")
    server = servers.start(env, workers=2)
    try:
        text = requests.get(server.url + "/metrics", timeout=10).text
    finally:
        server.stop()
    assert 'medcamp_audit_chain_alarms_total{kind="forgery"} 0.0' in text
    found = zeros(text)
    assert expected() <= found.keys() and all(found[key] == 0 for key in expected())
