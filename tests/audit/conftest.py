"""Fixtures of the audit tests: a loopback LogBull server and a sink that sends to it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from audit import reconcile as reconciling
from audit.logbull import LogBullHandler
from tests.audit.logbull_kit import make_handler
from tests.fake_logbull import FakeLogBull


@pytest.fixture
def fake() -> Iterator[FakeLogBull]:
    server = FakeLogBull().start()
    yield server
    server.stop()


@pytest.fixture
def sink(fake: FakeLogBull, tmp_path: Path) -> Iterator[tuple[logging.Logger, LogBullHandler]]:
    handler = make_handler(fake, tmp_path / "spool")
    logger = logging.getLogger(f"test.logbull.{id(handler)}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    yield logger, handler
    logger.removeHandler(handler)
    handler.close()


@pytest.fixture
def reconcile(django_capture_on_commit_callbacks):
    """A pass whose events reach the sinks, as they do once its transaction commits."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return reconciling.reconcile()

    return run
