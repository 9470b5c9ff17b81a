"""Every audit event any test makes is held to its catalogue entry (audit/event_types.py).

Connected to `audit.events.built` for the session: an event whose action, outcome, target type or
scope keys differ from what its entry declares is a problem; a test that made one fails at its
teardown (conftest), and the session lists the catalogue entries no test emitted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from audit.catalogue import EventType
from audit.event_types import EVENTS
from audit.events import built

emitted: Counter[str] = Counter()
problems: list[str] = []


def conform(entry: EventType, record: dict[str, Any]) -> list[str]:
    """What in `record` its catalogue entry does not allow."""
    found = []
    if record["action"] != entry.action:
        found.append(f"action {record['action']!r}, declared {entry.action!r}")
    if record["outcome"] not in entry.outcomes:
        found.append(f"outcome {record['outcome']!r}, declared {entry.outcomes}")
    target = (record.get("target") or {}).get("type")
    if entry.target is not None and target not in (None, entry.target):
        found.append(f"target {target!r}, declared {entry.target!r}")
    extra = {key for key in ("patient_id", "visit_id", "camp_id") if key in record} - set(entry.scope)
    if extra:
        found.append(f"scope {sorted(extra)} not declared")
    return [f"{entry.name}: {problem}" for problem in found]


def _seen(sender: EventType, record: dict[str, Any], **kwargs: Any) -> None:
    emitted[sender.name] += 1
    problems.extend(conform(sender, record))


@contextmanager
def installed() -> Iterator[None]:
    built.connect(_seen, dispatch_uid="catalogue_check")
    try:
        yield
    finally:
        built.disconnect(dispatch_uid="catalogue_check")


def never_emitted() -> list[str]:
    return [entry.name for entry in EVENTS if entry.name not in emitted]
