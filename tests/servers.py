"""Start and stop MedCamp app servers (gunicorn) on 127.0.0.1 for tests and benchmarks."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from tests import schema_check

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(database: str, work: Path, **extra: str) -> dict[str, str]:
    """The environment of an app server: production settings on loopback, audit files under `work`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGBULL_", "AUDIT_", "DJANGO_"))}
    env.pop("MEDCAMP_TESTING", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "clinic.settings",
            "DATABASE_URL": database,
            "SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "AUDIT_LOG_FILE": str(work / "audit.jsonl"),
            "AUDIT_CONSOLE": "off",
            "LOGBULL_SPOOL_DIR": str(work / "spool"),
            "STATIC_MANIFEST": "0",  # no collectstatic for test servers
        }
    )
    env.update(extra)
    return env


def workers_of(master: int) -> set[int]:
    """The pids of a gunicorn master's workers."""
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return {int(pid) for pid in out.split()}


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start(
    env: dict[str, str],
    workers: int = 1,
    bind: str = "127.0.0.1",
    *options: str,
    failing: tuple[str, ...] = (),
    port: int | None = None,
) -> Server:
    """A gunicorn on a free port, or `port` (of loopback, or of every interface with bind="0.0.0.0");
    returns once /api/v1/health/ answers 200 on loopback, or 503 naming exactly the checks in
    `failing` (a test that tampered with the trail serves on while the audit check says so)."""
    port = port or free_port()
    command = [
        str(BIN / "gunicorn"),
        "clinic.wsgi",
        "-b",
        f"{bind}:{port}",
        "-w",
        str(workers),
        "--timeout",
        "120",
        "--log-level",
        "warning",
        "-c",
        "clinic/gunicorn_conf.py",  # as make camp and the systemd sample run it
        *options,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(process, f"http://127.0.0.1:{port}")
    schema_check.servers.add(f"127.0.0.1:{port}")  # its API answers are checked against the schema
    deadline, last = time.monotonic() + 60, "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            answer = requests.get(server.url + "/api/v1/health/", timeout=2)
            if answer.status_code == 200 or (failing and answer.json().get("failing") == list(failing)):
                return server
            last = f"{answer.status_code} {answer.text[:2000]}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer 200 within 60 s; last: {last}")


def migrated_with_user(
    database: str, work: Path, username: str, role: str, **shared: str
) -> tuple[dict[str, str], str]:
    """Migrate `database` and create one user with a generated password; returns (env, password)."""
    env = app_env(database, work, **shared)
    manage(env, "migrate", "--noinput")
    password = secrets.token_urlsafe(12)
    create = (
        "from accounts.services import user_create; "
        f"user_create(by=None, username={username!r}, password={password!r}, roles=[{role!r}])"
    )
    manage(env, "shell", "-c", create)
    return env, password


def at_once(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Run each call from its own thread, released together by a barrier; responses in call order."""
    results: list[requests.Response | None] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i: int, call: Callable[[], requests.Response]) -> None:
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def two_servers(database: str, work: Path, **shared: str) -> tuple[Server, Server]:
    """Two app servers on one database, each with its own audit file under work/a and work/b."""
    return start(app_env(database, work / "a", **shared)), start(app_env(database, work / "b", **shared))
