"""The background pass of a serving process: sealing every AUDIT_SEAL_INTERVAL seconds, then
shipping what a sink has not had (audit.shipper), and finding changes made outside the
audited path every AUDIT_RECONCILE_INTERVAL seconds; at its start and every
AUDIT_CLOCK_CHECK_INTERVAL seconds it compares this server's clock with the database's (audit.clock).

Started by the request middleware when a process first serves, so management commands
and tests never start it. Passes of several processes take turns through a database
lock (audit.chain.seal_pending); a pass never runs on a request's thread, so its cost
does not show in a request's latency. A failed pass is logged and tried again next time.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connections

if TYPE_CHECKING:
    from audit.chain import ChainWatch

_logger = logging.getLogger(__name__)


class BackgroundSealer:
    """The sealing thread of this process: started once per process (a forked child starts its own)."""

    def __init__(self) -> None:
        self.started_in: int | None = None
        self.lock = threading.Lock()
        self.watch: ChainWatch | None = None  # the running pass's, read by GET health/ (audit.health)

    def ensure_started(self) -> None:
        interval: float = settings.AUDIT_SEAL_INTERVAL
        if interval <= 0 or not settings.AUDIT_STORE or self.started_in == os.getpid():
            return
        with self.lock:
            if self.started_in == os.getpid():
                return
            self.started_in = os.getpid()
            threading.Thread(target=_run, args=(interval,), name="audit-sealer", daemon=True).start()


SEALER = BackgroundSealer()
ensure_started = SEALER.ensure_started


def _run(interval: float) -> None:
    from audit.chain import ChainWatch, seal_pending
    from audit.reconcile import reconcile
    from audit.shipper import Shipper

    next_clock = _check_clock(0.0)  # at start, before the first pass: its seals and events carry the right time
    try:
        watch = ChainWatch.from_file()  # the head this process trusts; it moves on with each checkpoint
    except Exception as exc:  # an unreadable file stops sealing where health sees it, never the thread silently
        _logger.exception("audit checkpoint file unreadable; sealing stopped")
        watch = ChainWatch(stopped=f"the checkpoint file cannot be read ({type(exc).__name__})")
    SEALER.watch = watch
    shipper = Shipper() if settings.AUDIT_SHIP else None
    every: float = settings.AUDIT_RECONCILE_INTERVAL
    next_reconcile = time.monotonic() + every
    stop = threading.Event()
    while not stop.wait(interval):
        try:
            next_clock = _check_clock(next_clock)
            while seal_pending(watch=watch).count:
                pass
            if shipper is not None:
                shipper.ship()  # what a sink missed (a crash after commit, a full disk) reaches it now
            if every > 0 and time.monotonic() >= next_reconcile:
                next_reconcile = time.monotonic() + every
                reconcile()  # one process at a time (an advisory lock); cheap when nothing drifted
        except Exception:
            _logger.warning("audit background pass failed; it is tried again", exc_info=True)
        finally:
            connections.close_all()


def _check_clock(due: float) -> float:
    """Compare this server's clock with the database's (audit.clock) once `due` (monotonic) has come.

    Returns when the next check is due: AUDIT_CLOCK_CHECK_INTERVAL later, or at the next pass after a failure.
    """
    from audit import clock

    every: float = settings.AUDIT_CLOCK_CHECK_INTERVAL
    if every <= 0 or time.monotonic() < due:
        return due
    try:
        clock.check()
    except Exception:
        _logger.warning("could not compare this server's clock with the database's; tried again", exc_info=True)
        return due
    return time.monotonic() + every
