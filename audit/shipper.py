"""The store is the source: every sealed event reaches the JSONL file and LogBull, even past a crash.

A process can die between a commit and its sinks' writes (kill -9, OOM), and a file can
refuse writes for a while (disk full, permissions). The events are in the store by then,
and sealing gives them a total order (seq). After each sealing pass, and from
`manage.py audit_ship`, a shipping pass sends each sink what it has not had, in seq order:

- **LogBull** (one sink for every server): fed from the store only (`AUDIT_SHIP`; the
  handler leaves stored events to this pass). One process at a time sends the next
  batch after the cursor in `audit.ShipCursor` and moves the cursor once LogBull accepted
  it (202). A crash between the two resends that batch: at least once, and each event
  carries its `event_id`, which identifies a repeat.
- **The JSONL file** (one per server): written on commit as before, so it stays a copy
  the database does not feed alone; the pass appends each sealed event whose `event_id`
  the file does not hold, so each server's file ends up with every event of the trail,
  once. One process per file ships (an flock); its cursor is kept beside the file
  (`<file>.shipped`, with its seal's hash: after a restore it goes back, audit.file_cursor),
  the event ids it has seen are read from the file (and its rotated
  copies, at start). A write that fails leaves the cursor where it was: the next pass
  tries again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections import OrderedDict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit import clock, turns
from audit.file_cursor import FileCursor
from audit.formatters import AuditJsonFormatter
from audit.logbull import LogBullHandler
from audit.logbull_wire import Exchange, Result
from audit.models import ShipCursor
from audit.ship_hold import Hold

_logger = logging.getLogger(__name__)
BATCH = 1000
SEEN_LIMIT = 500_000  # event ids of the file remembered; far more than a sealing interval writes
# The file hears of an event on commit, moments before a seal can exist; the file shipper
# leaves seals younger than this alone, so a write on commit is not raced into a repeat.
SETTLE = timedelta(seconds=2)
_SEALED = """
    SELECT s.seq, e.event_id, e.data FROM audit_auditseal s JOIN audit_auditevent e ON e.id = s.event_pk
    WHERE s.seq > %s AND s.sealed_at <= %s ORDER BY s.seq LIMIT %s
"""
_SEALED_AT = """
    SELECT s.seq, e.event_id, e.data FROM audit_auditseal s JOIN audit_auditevent e ON e.id = s.event_pk
    WHERE s.seq IN ({marks}) ORDER BY s.seq
"""


def sealed_after(
    seq: int, limit: int = BATCH, settle: timedelta = timedelta(0)
) -> list[tuple[int, str, dict[str, Any]]]:
    """Sealed events after `seq`, in seal order, sealed at least `settle` ago (seal times grow with seq)."""
    with connection.cursor() as cursor:
        cursor.execute(_SEALED, [seq, clock.now() - settle, limit])  # seal times are the trail's (audit.clock)
        return [(s, event_id, json.loads(data)) for s, event_id, data in cursor.fetchall()]


def sealed_at(seqs: list[int]) -> list[tuple[int, str, dict[str, Any]]]:
    """The sealed events of these seqs (the held ones LogBull refused), in seal order."""
    if not seqs:
        return []
    marks = ", ".join(["%s"] * len(seqs))
    query = _SEALED_AT.format(marks=marks)
    with connection.cursor() as cursor:
        cursor.execute(query, seqs)
        return [(s, event_id, json.loads(data)) for s, event_id, data in cursor.fetchall()]


def _log_record(event: dict[str, Any]) -> logging.LogRecord:
    level = logging.getLevelName(event.get("level", "INFO"))
    return logging.makeLogRecord(
        {"name": "medcamp.audit", "levelno": level, "levelname": event.get("level", "INFO"), "audit": event}
    )


# --- LogBull ----------------------------------------------------------------------------------
class LogBullShipper:
    """Events LogBull refuses for good hold the cursor and are sent again (audit.ship_hold)."""

    def __init__(self, handler: LogBullHandler) -> None:
        self.handler = handler
        self.refused: dict[str, str] = {}  # event id -> why, of the batch in flight
        self.exchange: Exchange = handler.exchange(reject=self._refuse)
        self.hold = Hold(handler.max_backoff)

    def _refuse(self, items: list[tuple[dict[str, Any], str]]) -> None:
        for item, why in items:
            self.refused[str((item.get("fields") or {}).get("event_id"))] = why

    def ship(self) -> int:
        """Send the held events that are due and the next batches; returns how many LogBull took."""
        taken = 0
        while not self.exchange.waiting():
            with transaction.atomic():
                if not turns.my_turn(turns.SHIPPING):
                    return taken
                cursor, _ = ShipCursor.objects.get_or_create(sink="logbull")
                self.hold.sync(cursor.seq)
                rows = sealed_at(self.hold.due())
                if self.hold.room():
                    rows += sealed_after(self.hold.front, BATCH - len(rows))
                if not rows:
                    return taken
                self.refused = {}
                items = [LogBullHandler.to_item(_log_record(event)) for _, _, event in rows]
                if self.exchange.deliver(items) is not Result.SENT:
                    return taken  # kept in the store: the next pass tries again after the backoff
                taken += self.hold.settle([(seq, event_id) for seq, event_id, _ in rows], self.refused)
                if self.hold.cursor() != cursor.seq:
                    cursor.seq, cursor.shipped_at = self.hold.cursor(), timezone.now()
                    cursor.save(update_fields=["seq", "shipped_at"])
        return taken


# --- the JSONL file ---------------------------------------------------------------------------
class FileShipper:
    def __init__(self, path: Path, settle: timedelta = SETTLE) -> None:
        self.path, self.settle = path, settle
        self.state = path.with_name(path.name + ".shipped")
        self.seen: OrderedDict[str, None] = OrderedDict()
        self.position: tuple[int, int] | None = None  # (inode, offset) of the file read so far
        self.formatter = AuditJsonFormatter()

    def ship(self) -> int:
        """Append what the file has not had; returns how many lines were written."""
        with self._turn() as mine:
            if not mine:
                return 0
            if self.position is None:
                for older in self._rotated():
                    self._remember(older, 0)
            self._read_new()
            return self._append_missing()

    @contextlib.contextmanager
    def _turn(self) -> Iterator[bool]:
        """One process per file ships: the one that holds the lock file's flock."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".ship-lock"), "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _rotated(self) -> list[Path]:
        backups = sorted(self.path.parent.glob(self.path.name + ".[0-9]*"), key=lambda p: -int(p.suffix[1:] or 0))
        return [p for p in backups if p.suffix[1:].isdigit()]

    def _read_new(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return
        inode, offset = self.position or (stat.st_ino, 0)
        if inode != stat.st_ino or stat.st_size < offset:
            offset = 0  # rotated or truncated: the new file from its start
        self.position = (stat.st_ino, self._remember(self.path, offset))

    def _remember(self, path: Path, offset: int) -> int:
        """Note the event ids of `path` from `offset` to its last whole line; returns where that ends."""
        with open(path, "rb") as lines:
            lines.seek(offset)
            for line in lines:
                if not line.endswith(b"\n"):
                    break  # a line being written: read again next time
                offset += len(line)
                with contextlib.suppress(ValueError, AttributeError):
                    event_id = json.loads(line).get("event_id")
                    if isinstance(event_id, str):
                        self.seen[event_id] = None
        while len(self.seen) > SEEN_LIMIT:
            self.seen.popitem(last=False)
        return offset

    def _cursor(self) -> int:
        return FileCursor(self.state).load()  # back to where the chain agrees, after a restore

    def _save_cursor(self, seq: int) -> None:
        FileCursor(self.state).save(seq)

    def _append_missing(self) -> int:
        written, cursor = 0, self._cursor()
        while rows := sealed_after(cursor, settle=self.settle):
            missing = [event for _, event_id, event in rows if event_id not in self.seen]
            if missing:
                text = "".join(self.formatter.format(_log_record(event)) + "\n" for event in missing)
                try:
                    with open(self.path, "a", encoding="ascii") as out:
                        out.write(text)
                        out.flush()
                        os.fsync(out.fileno())
                except OSError as exc:
                    _logger.warning("audit file %s refused the shipped events: %s; tried again", self.path, exc)
                    return written
                for event in missing:
                    self.seen[event["event_id"]] = None
                written += len(missing)
            cursor = rows[-1][0]
            self._save_cursor(cursor)
        if self.position is not None:
            self._read_new()  # our own lines: not seen twice
        return written


# --- both -------------------------------------------------------------------------------------
class Shipper:
    """The sinks that the store feeds in this process: this server's file, and LogBull if configured."""

    def __init__(self) -> None:
        self.file = FileShipper(Path(settings.AUDIT_LOG_FILE)) if settings.AUDIT_SINKS_ENABLED else None
        handler = next((h for h in logging.getLogger("medcamp.audit").handlers if isinstance(h, LogBullHandler)), None)
        self.logbull = LogBullShipper(handler) if handler is not None else None

    def ship(self) -> dict[str, int]:
        done = {}
        if self.file is not None:
            done["file"] = self.file.ship()
        if self.logbull is not None:
            done["logbull"] = self.logbull.ship()
        return done
