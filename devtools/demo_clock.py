"""The demo's own time, so a seeded camp day spreads over a morning instead of one second.

The services stamp records with `django.utils.timezone.now()` (stage times, auto_now_add)
and audit events and history rows with `audit.clock.now()`, which reads it; while seeding, both read this clock, which
the seeder sets before each step of each patient. Records and their events agree, and the
report's waiting times, the dashboard's hourly chart and the queue's minutes waited read
like a camp day. Never past `limit` (a minute ago): nothing is stamped in the future.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from django.utils import timezone


class DemoClock:
    def __init__(self, at: dt.datetime) -> None:
        self.limit = timezone.now() - dt.timedelta(minutes=1)
        self.at = min(at, self.limit)

    def set(self, at: dt.datetime) -> dt.datetime:
        self.at = min(at, self.limit)
        return self.at

    def now(self) -> dt.datetime:
        return self.at

    @contextmanager
    def running(self) -> Iterator[None]:
        with mock.patch("django.utils.timezone.now", self.now):
            yield
