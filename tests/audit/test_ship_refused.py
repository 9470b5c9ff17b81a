"""An event LogBull refuses is never skipped: the cursor holds before it, the alarm sounds once,
the events after it still go, and it is delivered once the cause is fixed."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.db import transaction

from audit import event_types as E
from audit import store
from audit.chain import seal_pending
from audit.events import build_event
from audit.models import AuditSeal, ShipCursor
from audit.ship_hold import refusing
from audit.shipper import LogBullShipper
from tests.audit.logbull_kit import make_handler

pytestmark = pytest.mark.django_db
HOUR = 3600.0


def stored(count: int, ahead: float = 0.0) -> list[str]:
    """Events in the store; `ahead` seconds in the future, as a server with a fast clock stamps them."""
    ids = []
    for i in range(count):
        record = build_event(E.PATIENT_VIEWED, target={"type": "patient", "id": i}, source="command", actor=None)
        if ahead:
            moment = datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00")) + timedelta(seconds=ahead)
            record["timestamp"] = moment.isoformat().replace("+00:00", "Z")
        with transaction.atomic():
            store.insert(record)
        ids.append(record["event_id"])
    return ids


def seq_of(event_id: str) -> int:
    return AuditSeal.objects.get(event_id=event_id).seq


def head() -> int:
    return AuditSeal.objects.order_by("-seq").values_list("seq", flat=True)[0]


def cursor() -> int:
    return ShipCursor.objects.get(sink="logbull").seq


@pytest.fixture
def shipper(fake, tmp_path, settings) -> Iterator[LogBullShipper]:
    settings.AUDIT_SHIP = True
    handler = make_handler(fake, tmp_path / "spool")
    logger = logging.getLogger("medcamp.audit")
    logger.addHandler(handler)
    shipper = LogBullShipper(handler)
    try:
        yield shipper
    finally:
        shipper.hold.held.clear()  # what it still holds is this process's state: GET health/ would see it
        logger.removeHandler(handler)
        handler.close()


def test_refused_events_hold_the_cursor_alarm_once_and_are_delivered_once_the_cause_is_fixed(fake, shipper, audit):
    shipper.hold.max_backoff = 60.0
    before = stored(2)
    future = stored(3, ahead=HOUR)  # a server whose clock runs an hour ahead
    after = stored(2)
    seal_pending()
    assert shipper.ship() == 4  # the events after the refused ones still go
    received = set(fake.event_ids())
    assert set(before + after) <= received and not set(future) & received
    assert cursor() == seq_of(future[0]) - 1  # held before the first refused event: nothing skipped
    alarm = audit.one(E.AUDIT_SHIP_REFUSED.name)
    assert alarm["level"] == "CRITICAL" and alarm["details"]["refused"] == 3
    assert alarm["details"]["cause"] == "FUTURE_TIMESTAMP" and alarm["details"]["seq"] == seq_of(future[0])
    assert refusing() == {"held": 3, "first_seq": seq_of(future[0]), "causes": ["FUTURE_TIMESTAMP"]}

    later = stored(2)
    seal_pending()
    shipper.hold.retry_at = 0.0  # the backoff is over; LogBull still refuses them
    assert shipper.ship() == 3 and set(later) <= set(fake.event_ids())  # and the alarm, stored and sealed
    assert cursor() == seq_of(future[0]) - 1
    assert len(audit.named(E.AUDIT_SHIP_REFUSED.name)) == 1  # once per cause, not per pass
    assert shipper.hold.backoff == 1.0  # and the backoff grows: meanwhile nothing is sent again
    requests = len(fake.answers)
    assert shipper.ship() == 0 and len(fake.answers) == requests

    fake.clock_ahead = HOUR  # the cause is gone: the events' time has come
    shipper.hold.retry_at = 0.0
    assert shipper.ship() == 3
    assert cursor() == head() and refusing() is None
    counts = Counter(fake.event_ids())
    assert all(counts[i] == 1 for i in before + future + after + later)  # each once, none skipped


def test_a_batch_refused_whole_is_split_held_and_sent_again(fake, shipper, audit):
    ids = stored(3)
    seal_pending()
    fake.set_mode("400")  # LogBull refuses every request: each item alone, then held
    assert shipper.ship() == 0 and cursor() == 0
    assert audit.one(E.AUDIT_SHIP_REFUSED.name)["details"]["refused"] == 3
    fake.set_mode("ok")
    shipper.hold.retry_at = 0.0
    assert shipper.ship() == 3 and set(ids) <= set(fake.event_ids())
    assert cursor() == head()


def test_a_restarted_process_sends_again_from_the_held_cursor(fake, shipper):
    stored(1)
    future = stored(1, ahead=HOUR)
    after = stored(2)
    seal_pending()
    assert shipper.ship() == 3
    again = LogBullShipper(shipper.handler)  # a new process: what was held is no longer in memory
    fake.clock_ahead = HOUR
    assert again.ship() == 3  # from the cursor: the refused event, and those after it a second time
    counts = Counter(fake.event_ids())
    assert counts[future[0]] == 1 and all(counts[i] == 2 for i in after)  # at least once; event_id tells
    assert cursor() == head()
