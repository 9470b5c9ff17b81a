"""Login throttling holds across two app processes that share Redis."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest
import redis
import requests

from tests import servers

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def redis_up() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is needed at {REDIS_URL}: {exc}")
        pytest.skip(f"needs Redis at {REDIS_URL} ({exc})")


def test_brute_force_is_stopped_on_both_servers_and_logged(redis_up, tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'throttle.sqlite3'}"
    shared = {
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"throttle-test-{secrets.token_hex(4)}",  # this run's own keys
        "LOGIN_THROTTLE_ATTEMPTS": "4",
        "SECRET_KEY": secrets.token_urlsafe(40),
    }
    env = servers.app_env(database, tmp_path, **shared)
    servers.manage(env, "migrate", "--noinput")
    password = secrets.token_urlsafe(12)
    servers.manage(
        env,
        "shell",
        "-c",
        f"from accounts.services import user_create; "
        f"user_create(by=None, username='target', password={password!r}, roles=['doctor'])",
    )
    first = servers.start(servers.app_env(database, tmp_path / "a", **shared))
    second = servers.start(servers.app_env(database, tmp_path / "b", **shared))
    try:
        answers = []
        for attempt in range(6):  # alternate between the two processes
            server = (first, second)[attempt % 2]
            response = requests.post(
                f"{server.url}/api/v1/auth/login/",
                json={"username": "target", "password": f"guess-{attempt}"},
                timeout=10,
            )
            answers.append(response.status_code)
        assert answers == [401, 401, 401, 401, 429, 429]
        for server in (first, second):  # the right password is refused too while locked
            locked = requests.post(
                f"{server.url}/api/v1/auth/login/", json={"username": "target", "password": password}, timeout=10
            )
            assert (locked.status_code, locked.json()["code"]) == (429, "throttled")
    finally:
        first.stop()
        second.stop()
    events = [json.loads(line) for d in ("a", "b") for line in (tmp_path / d / "audit.jsonl").read_text().splitlines()]
    logins = [e for e in events if e["event"] == "auth.login"]
    assert sorted(e["reason"] for e in logins) == ["invalid_credentials"] * 4 + ["throttled"] * 4
    assert {e["request"]["ip"] for e in logins} == {"127.0.0.1"}
    assert all(password not in json.dumps(e) and "guess-" not in json.dumps(e) for e in events)
