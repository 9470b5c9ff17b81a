"""A gunicorn master killed with -9 takes its workers with it, so a restart can bind the port.

Each worker holds a request in flight (a sign-in whose body never finishes arriving), the case
where gunicorn's own check of its parent never runs: the worker is blocked reading. Sync
workers (the systemd sample) and threaded ones (`make camp`) alike.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest
import requests

from tests import servers


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie has left
    except FileNotFoundError:
        return False


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _half_sent_sign_in(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        b"POST /api/v1/auth/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 400\r\n\r\n{"username": "a'
    )
    return sock


@pytest.mark.parametrize("threads", [1, 4], ids=["sync", "gthread"])
def test_workers_leave_with_their_master_and_the_port_is_free_again(tmp_path: Path, threads: int):
    env = servers.app_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path)
    servers.manage(env, "migrate", "--noinput")
    server = servers.start(env, 2, "127.0.0.1", "--threads", str(threads))
    port = int(server.url.rsplit(":", 1)[1])
    workers = servers.workers_of(server.process.pid)
    assert len(workers) == 2
    held = [_half_sent_sign_in(port) for _ in range(4)]  # more than one worker takes some
    time.sleep(1)  # the workers accept and block reading the rest of each body
    try:
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        deadline = time.monotonic() + 20  # without the fix they stay for gunicorn's --timeout (120 s)
        while time.monotonic() < deadline and (any(_alive(pid) for pid in workers) or not _bindable(port)):
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)], "orphaned workers outlived their master"
        assert _bindable(port)
        again = servers.start(env, 1, port=port)  # the restart that failed with "Address already in use"
        try:
            assert requests.get(again.url + "/api/v1/health/", timeout=10).status_code == 200
        finally:
            again.stop()
    finally:
        for sock in held:
            sock.close()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
