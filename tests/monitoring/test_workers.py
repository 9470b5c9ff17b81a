"""Many gunicorn workers, one scrape: counts add up across workers and survive a worker killed with -9."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import requests

from tests import servers
from tests.monitoring.scrape import value

HEALTH = "api/v1/health/"


def health_count(url: str) -> float:
    text = requests.get(url + "/metrics", timeout=10).text
    return value(text, "medcamp_http_request_duration_seconds_count", route=HEALTH)


def test_counts_add_up_across_workers_and_survive_a_killed_worker(tmp_path: Path):
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    (metrics / "counter_424242.db").write_bytes(b"left by an earlier run")
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = servers.app_env(database, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(metrics))
    servers.manage(env, "migrate", "--noinput")
    server = servers.start(env, workers=3)
    try:
        assert not (metrics / "counter_424242.db").exists()  # emptied at start
        before, sent = health_count(server.url), 0
        # Concurrent batches until at least two workers have served (one idle worker could take
        # every request sent one at a time).
        while sent < 60 or (len(list(metrics.glob("histogram_*.db"))) < 2 and sent < 600):
            batch = servers.at_once([lambda: requests.get(server.url + "/api/v1/health/", timeout=10)] * 6)
            assert all(response.status_code == 200 for response in batch)
            sent += len(batch)
        assert health_count(server.url) == before + sent  # every worker's share, in one scrape
        pids = servers.workers_of(server.process.pid)
        assert len(pids) == 3 and len(list(metrics.glob("histogram_*.db"))) >= 2
        victim = min(pid for pid in pids if (metrics / f"histogram_{pid}.db").exists())  # one that served
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            victim in servers.workers_of(server.process.pid) or len(servers.workers_of(server.process.pid)) < 3
        ):
            time.sleep(0.2)
        while time.monotonic() < deadline and (metrics / f"histogram_{victim}.db").exists():
            time.sleep(0.2)
        assert not (metrics / f"histogram_{victim}.db").exists() and (metrics / "histogram_archive.db").exists()
        assert not list(metrics.glob(f"gauge_livesum_{victim}.db"))
        assert health_count(server.url) == before + sent  # the killed worker's counts are kept, once
        requests.get(server.url + "/api/v1/health/", timeout=10)
        assert health_count(server.url) == before + sent + 1
        remote = requests.get(server.url + "/metrics", headers={"X-Forwarded-For": "198.51.100.7"}, timeout=10)
        assert remote.status_code == 403 and "medcamp_" not in remote.text
    finally:
        server.stop()


def test_a_command_run_with_the_servers_environment_leaves_its_counts_not_its_files(tmp_path: Path):
    from prometheus_client import CollectorRegistry, generate_latest

    from core.metrics_merge import MergedFiles

    metrics = tmp_path / "not-yet" / "metrics"  # `make camp` migrates before gunicorn makes it
    env = servers.app_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path, PROMETHEUS_MULTIPROC_DIR=str(metrics))
    servers.manage(env, "migrate", "--noinput")
    emit = "from audit import event_types as E; from audit.events import emit; emit(E.AUDIT_EXPORTED)"
    servers.manage(env, "shell", "-c", emit)
    left = sorted(path.name for path in metrics.glob("*.db"))
    assert left and all("_archive" in name for name in left), left  # no file per process left behind
    registry = CollectorRegistry()
    registry.register(MergedFiles(metrics))
    assert value(generate_latest(registry).decode(), "medcamp_audit_events_total", family="audit") == 1
