"""Redis down is a degraded mode: sign-in, its throttle, /metrics and health keep answering.

A real redis-server on a loopback port is killed under a real app server (two workers): each
process keeps the cache in its own memory (core/cache.py), so sign-in works and the throttle
counts per process (at most workers x LOGIN_THROTTLE_ATTEMPTS failures: accounts/throttling.py),
/metrics exports medcamp_health_ok{check="redis"} 0 and health answers 503 naming redis. Started
again, Redis holds the counts once more and the lock is shared by both workers.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import redis
import requests

from core.cache import SharedCache
from tests import servers

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
ATTEMPTS = 3
WORKERS = 2
FALLBACK_SECONDS = 1.0


class RedisServer:
    """redis-server on 127.0.0.1:port, no persistence: killed, it comes back empty."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    if not os.path.exists(REDIS_SERVER):
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/services starts Redis from Debian's redis-server")
        pytest.skip("needs redis-server (apt-get install redis-server)")
    server = RedisServer(servers.free_port())
    server.start()
    yield server
    server.kill()


def login(server: servers.Server, username: str, password: str) -> requests.Response:
    return requests.post(
        f"{server.url}/api/v1/auth/login/", json={"username": username, "password": password}, timeout=30
    )


def failure_counts(client: redis.Redis, prefix: str) -> list[int]:
    return sorted(int(client.get(key)) for key in client.scan_iter(f"{prefix}:*login-failures:*"))


def test_sign_in_metrics_and_health_answer_while_redis_is_down(redis_server: RedisServer, tmp_path: Path):
    prefix = f"redis-down-{secrets.token_hex(4)}"
    shared = {
        "REDIS_URL": redis_server.url,
        "CACHE_KEY_PREFIX": prefix,
        "REDIS_FALLBACK_SECONDS": str(FALLBACK_SECONDS),
        "LOGIN_THROTTLE_ATTEMPTS": str(ATTEMPTS),
        "SECRET_KEY": secrets.token_urlsafe(40),
    }
    env, password = servers.migrated_with_user(
        f"sqlite:///{tmp_path / 'camp.sqlite3'}", tmp_path, "asha", "doctor", **shared
    )
    server = servers.start(env, workers=WORKERS)
    counted = redis.Redis.from_url(redis_server.url)
    try:
        assert login(server, "asha", "wrong").status_code == 401
        assert failure_counts(counted, prefix) == [1]  # the shared cache counts while Redis is up

        redis_server.kill()
        signed_in = login(server, "asha", password)
        assert signed_in.status_code == 200 and signed_in.json()["access"], signed_in.text[:300]
        # Each process counts on its own: the first ATTEMPTS failures are refused as wrong, and a
        # lock comes within WORKERS x ATTEMPTS (whichever worker each attempt reaches).
        answers = []
        while len(answers) <= WORKERS * ATTEMPTS and 429 not in answers:
            answers.append(login(server, "spray", f"guess-{len(answers)}").status_code)
        assert answers[:ATTEMPTS] == [401] * ATTEMPTS and answers[-1] == 429, answers
        assert set(answers[:-1]) == {401}

        scraped = requests.get(f"{server.url}/metrics", timeout=30)
        assert scraped.status_code == 200
        assert 'medcamp_health_ok{check="redis"} 0.0' in scraped.text
        assert 'medcamp_health_ok{check="database"} 1.0' in scraped.text
        health = requests.get(f"{server.url}/api/v1/health/", timeout=30)
        assert health.status_code == 503 and health.json()["failing"] == ["redis"]
        assert health.json()["checks"]["redis"] == {"ok": False, "error": "ConnectionError", "fallback": "memory"}

        redis_server.start()  # empty: no persistence
        time.sleep(FALLBACK_SECONDS * 1.5)  # every worker's back-off ends: the next call tries Redis
        late = [login(server, "late", f"guess-{i}").status_code for i in range(ATTEMPTS + 2)]
        assert late == [401] * ATTEMPTS + [429, 429]  # one count, shared by both workers
        assert failure_counts(redis.Redis.from_url(redis_server.url), prefix) == [ATTEMPTS]
        assert requests.get(f"{server.url}/api/v1/health/", timeout=30).status_code == 200
    finally:
        server.stop()
    events = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    refused = [e["reason"] for e in events if e["event"] == "auth.login" and e["outcome"] == "failure"]
    assert refused.count("throttled") == 3 and not [e for e in events if e["event"] == "request.failed"]


def test_a_redis_that_does_not_answer_costs_one_try_per_back_off(monkeypatch):
    """Per process: Django makes a backend per thread, and they share the back-off and the memory."""
    location = f"redis://127.0.0.1:{servers.free_port()}/0"
    params = {"FALLBACK_SECONDS": 60, "KEY_PREFIX": "t", "OPTIONS": {"socket_connect_timeout": 0.5}}
    cache, other_thread = SharedCache(location, params), SharedCache(location, params)
    tries = []
    for backend in (cache, other_thread):
        client = backend._cache.get_client
        monkeypatch.setattr(backend._cache, "get_client", partial(_counted, client, tries))
    cache.add("failures", 0)
    assert (cache.incr("failures"), other_thread.incr("failures"), cache.get("failures")) == (1, 2, 2)
    assert other_thread.check() == {"ok": False, "error": "ConnectionError", "fallback": "memory"}
    assert len(tries) == 1 and cache.degraded and other_thread.degraded
    cache.backoff.until = time.monotonic() - 1  # the back-off is over: one more try, refused again
    assert other_thread.get("failures") == 2
    assert len(tries) == 2 and cache.degraded


def _counted(client, tries: list[int], *args, **kwargs):
    tries.append(1)
    return client(*args, **kwargs)
