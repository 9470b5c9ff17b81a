"""The LogBull sink across processes: a process that exits at once, a restart, a fork."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.audit.logbull_kit import assert_exactly_once
from tests.fake_logbull import PROJECT_ID, FakeLogBull

ROOT = Path(__file__).resolve().parents[2]

SCRIPT_HEAD = """
import logging, os, sys, time
sys.path.insert(0, {root!r})
from audit.logbull import LogBullHandler
handler = LogBullHandler({url!r}, {project!r}, spool_dir={spool!r}, flush_interval=30,
                         connect_timeout=0.5, read_timeout=1, max_backoff=0.2, exit_timeout=3)
log = logging.getLogger("proc")
log.propagate = False
log.setLevel(logging.INFO)
log.addHandler(handler)
def emit(prefix, n):
    for i in range(n):
        event_id = f"{{prefix}}-{{i}}"
        log.info(event_id, extra={{"audit": {{"event_id": event_id, "message": event_id}}}})
"""


def run_script(fake: FakeLogBull, spool: Path, body: str) -> subprocess.CompletedProcess[str]:
    head = SCRIPT_HEAD.format(root=str(ROOT), url=fake.url, project=PROJECT_ID, spool=str(spool))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", head + textwrap.dedent(body)], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    return result


def test_a_process_that_logs_and_exits_at_once_delivers(fake, tmp_path):
    # flush_interval=30: only the flush at exit can have sent these.
    run_script(fake, tmp_path / "spool", "emit('exit', 25)\n")
    assert_exactly_once(fake, [f"exit-{i}" for i in range(25)], timeout=2)


def test_events_spooled_by_a_stopped_process_are_sent_by_its_successor(fake, tmp_path):
    spool = tmp_path / "spool"
    fake.stop()
    run_script(fake, spool, "emit('spooled', 30)\n")
    assert list(spool.glob("*.batch")), "the first process should have spooled its events"
    fake.start()
    run_script(fake, spool, "time.sleep(2.5)\n")  # a restarted process that logs nothing itself
    assert_exactly_once(fake, [f"spooled-{i}" for i in range(30)], timeout=2)
    assert not list(spool.glob("*.batch*"))


def test_a_worker_forked_after_its_parent_logged_delivers_its_own(fake, tmp_path):
    body = """
    emit('parent-before', 3)
    time.sleep(0.1)
    pid = os.fork()
    if pid == 0:
        emit('child', 7)
        sys.exit(0)  # a gunicorn worker exits through sys.exit, so atexit runs
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
    emit('parent-after', 2)
    """
    run_script(fake, tmp_path / "spool", body)
    ids = [f"parent-before-{i}" for i in range(3)] + [f"child-{i}" for i in range(7)]
    ids += [f"parent-after-{i}" for i in range(2)]
    assert_exactly_once(fake, ids, timeout=3)
