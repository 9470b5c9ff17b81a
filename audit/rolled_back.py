"""The events a restore rolled back: in the JSONL files (or a LogBull export), no longer in the store.

Restoring an older backup over a newer database loses the events stored after the backup;
the file of each server (and LogBull) still holds them. `manage.py audit_rolled_back` reads
the files (by default AUDIT_LOG_FILE and its rotated copies, gzipped too) and lists each
event whose `event_id` the store does not hold, oldest first. Events that are never stored
(checkpoints, the chain's alarms: audit.store.NOT_STORED) are not listed. A line of a
LogBull export holds the event as its `fields` (audit.logbull.LogBullHandler.to_item).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.checkpoints import open_text
from audit.models import AuditEvent
from audit.store import NOT_STORED

BATCH = 1000


@dataclass(frozen=True, order=True)
class Lost:
    timestamp: str
    event_id: str
    event: str
    actor: str
    target: str
    source: str  # the file that holds it

    def line(self) -> str:
        return f"{self.timestamp} {self.event_id} {self.event} by {self.actor or '-'} on {self.target or '-'}"


def _events(path: Path) -> Iterator[dict[str, Any]]:
    with open_text(path) as lines:
        for line in lines:
            try:
                found = json.loads(line)
            except ValueError:
                continue
            event = found.get("fields") if isinstance(found, dict) and "event_id" not in found else found
            if isinstance(event, dict) and isinstance(event.get("event_id"), str):
                yield event


def _lost(event: dict[str, Any], source: Path) -> Lost:
    actor, target = event.get("actor") or {}, event.get("target") or {}
    return Lost(
        timestamp=str(event.get("timestamp") or ""),
        event_id=event["event_id"],
        event=str(event.get("event") or ""),
        actor=str(actor.get("username") or "") if isinstance(actor, dict) else "",
        target=f"{target.get('type', '')} {target.get('id', '')}".strip() if isinstance(target, dict) else "",
        source=str(source),
    )


def not_in_store(paths: Iterable[Path]) -> list[Lost]:
    """Each event of the files that the store does not hold, once, oldest first."""
    candidates: dict[str, Lost] = {}
    for path in paths:
        for event in _events(path):
            if event.get("event") not in NOT_STORED and event["event_id"] not in candidates:
                candidates[event["event_id"]] = _lost(event, path)
    ids = list(candidates)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        for held in AuditEvent.objects.filter(event_id__in=chunk).values_list("event_id", flat=True):
            del candidates[held]
    return sorted(candidates.values())
