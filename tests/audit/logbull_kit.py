"""What the LogBull tests share: a handler wired to the loopback fake, and waiting for deliveries."""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

from audit.logbull import LogBullHandler
from tests.fake_logbull import PROJECT_ID, FakeLogBull


def make_handler(fake: FakeLogBull, spool: Path, **overrides: Any) -> LogBullHandler:
    options: dict[str, Any] = {
        "connect_timeout": 0.5,
        "read_timeout": 0.5,
        "flush_interval": 0.02,
        "max_backoff": 0.2,
        "exit_timeout": 3.0,
        "spool_dir": str(spool),
    }
    options.update(overrides)
    return LogBullHandler(fake.url, PROJECT_ID, **options)


def log_events(logger: logging.Logger, prefix: str, count: int, level: int = logging.INFO) -> list[str]:
    ids = [f"{prefix}-{i}" for i in range(count)]
    for event_id in ids:
        logger.log(level, "event %s", event_id, extra={"audit": {"event_id": event_id, "message": f"m {event_id}"}})
    return ids


def wait_until(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def assert_exactly_once(fake: FakeLogBull, ids: list[str], timeout: float = 10.0) -> None:
    wait_until(lambda: set(ids) <= set(fake.event_ids()), timeout)
    counts = Counter(fake.event_ids())
    missing = [i for i in ids if counts[i] == 0]
    doubled = [i for i in ids if counts[i] > 1]
    assert not missing and not doubled, f"missing {missing[:5]}, doubled {doubled[:5]}"
