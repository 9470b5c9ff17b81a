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
    _, password = servers.migrated_with_user(database, tmp_path, "target", "doctor", **shared)
    first, second = servers.two_servers(database, tmp_path, **shared)
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


def _admin_attempt(server: servers.Server, username: str, password: str) -> str:
    """One sign-in on /admin/login/ as a browser makes it; the page's answer."""
    session = requests.Session()
    session.get(f"{server.url}/admin/login/", timeout=10)
    response = session.post(
        f"{server.url}/admin/login/?next=/admin/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=10,
    )
    if response.status_code == 302:
        return "signed in"
    return "throttled" if "Try again in" in response.text else "refused"


def test_admin_and_api_share_one_lock_across_two_servers(redis_up, tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'door.sqlite3'}"
    shared = {
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"door-test-{secrets.token_hex(4)}",
        "LOGIN_THROTTLE_ATTEMPTS": "4",
        "SECRET_KEY": secrets.token_urlsafe(40),
    }
    _, password = servers.migrated_with_user(database, tmp_path, "doc", "doctor", **shared)
    first, second = servers.two_servers(database, tmp_path, **shared)
    try:
        answers = [_admin_attempt(first, "doc", "guess-1"), _admin_attempt(second, "doc", "guess-2")]
        for attempt, server in enumerate((first, second)):
            api = requests.post(
                f"{server.url}/api/v1/auth/login/", json={"username": "doc", "password": f"try-{attempt}"}, timeout=10
            )
            answers.append(str(api.status_code))
        answers += [_admin_attempt(first, "doc", password), _admin_attempt(second, "doc", password)]
        api = requests.post(
            f"{second.url}/api/v1/auth/login/", json={"username": "doc", "password": password}, timeout=10
        )
        answers.append(str(api.status_code))
    finally:
        first.stop()
        second.stop()
    assert answers == ["refused", "refused", "401", "401", "throttled", "throttled", "429"]
    events = [json.loads(line) for d in ("a", "b") for line in (tmp_path / d / "audit.jsonl").read_text().splitlines()]
    logins = [(e["source"], e["reason"]) for e in events if e["event"] == "auth.login"]
    assert sorted(logins) == sorted(
        [("admin", "invalid_credentials")] * 2
        + [("auth", "invalid_credentials")] * 2
        + [("admin", "throttled")] * 2
        + [("auth", "throttled")]
    )
    assert all(password not in json.dumps(e) and "guess-" not in json.dumps(e) for e in events)
