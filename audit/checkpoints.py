"""The checkpoints kept outside the database: where they are, which one a server trusts, what a restore rolled back.

A checkpoint is a line of a JSONL file: `audit.sealed` (a sealing pass reached `seq` with
`head_hash`) or `audit.chain_restored` (an operator accepted the head `seq` after restoring
a backup, `manage.py audit_seal --restored`). Sources, read by default:
- AUDIT_CHECKPOINT_FILE (by default the audit JSONL file) and its rotated copies
  (`audit.jsonl.1`, `.2`, ... and logrotate's compressed `audit.jsonl.1.gz`), oldest first;
- the witness file (AUDIT_WITNESS_FILE) when audit.witness is there to check its signatures.

A server trusts the checkpoint written last (by its time), not the highest: after a restore
that is the restored head. A restore supersedes the checkpoints written before it above its
seq: the events sealed after the backup, lost with the newer database. Those are never
compared with the chain again, and never silent: `audit_verify` names each restore and what
it rolled back, and `audit_rolled_back` lists the events that only the files still hold.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from django.conf import settings

from audit import event_types as E
from audit import witness

KINDS = {E.AUDIT_SEALED.name: "sealed", E.AUDIT_CHAIN_RESTORED.name: "restored"}
_ROTATED = re.compile(r"^\.(\d+)(\.gz)?$")


@dataclass(frozen=True)
class Entry:
    seq: int
    hash: str
    kind: str  # sealed | restored | witnessed (a signed checkpoint, audit.witness)
    time: datetime | None  # when it was written (None: a line without a time)
    source: str
    order: int  # its place among every entry read, which breaks ties of time


@dataclass
class Restore:
    entry: Entry
    rolled_back: list[Entry] = field(default_factory=list)  # the checkpoints above its seq written before it

    def line(self) -> str:
        at = self.entry.time.isoformat() if self.entry.time else "an unknown time"
        if not self.rolled_back:
            return f"restore at seq {self.entry.seq} ({at}): rolled back nothing"
        top = max(c.seq for c in self.rolled_back)
        return (
            f"restore at seq {self.entry.seq} ({at}): rolled back {len(self.rolled_back)} checkpoints "
            f"up to seq {top} ({top - self.entry.seq} sealed events); list them with manage.py audit_rolled_back"
        )


@dataclass
class Found:
    """Every checkpoint read, with those a restore superseded set apart."""

    entries: list[Entry] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)  # (source, checkpoints read from it)
    problems: list[str] = field(default_factory=list)  # a witness that does not verify, for one
    restores: list[Restore] = field(default_factory=list)
    kept: list[Entry] = field(default_factory=list)

    def pairs(self) -> list[tuple[int, str]]:
        """The checkpoints the chain must agree with, in the order written."""
        return [(c.seq, c.hash) for c in self.kept]


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


HASH = re.compile(r"^[0-9a-f]{64}$")


def checkpoint_of(event: object) -> tuple[int, str] | None:
    """(seq, head hash) of a checkpoint event, or None when its fields are not a checkpoint's: a whole
    number of at least 0 (not a bool, float, string or Infinity) and 64 lower-case hex digits."""
    details = event.get("details") if isinstance(event, dict) else None
    seq = details.get("seq") if isinstance(details, dict) else None
    digest = details.get("head_hash") if isinstance(details, dict) else None
    if type(seq) is not int or seq < 0 or not isinstance(digest, str) or not HASH.match(digest):
        return None
    return seq, digest


def entries_from(
    lines: Iterable[str | bytes], source: str, start: int = 0, problems: list[str] | None = None
) -> list[Entry]:
    """The checkpoints of JSONL lines, in the order written; a line that is a checkpoint event with
    fields no checkpoint has is a problem (junk planted to crash or to pass), never a crash."""
    found: list[Entry] = []
    for number, line in enumerate(lines, 1):
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        if not any(name in text for name in KINDS):
            continue
        try:
            event = json.loads(text)
        except ValueError:
            continue  # not JSON: a line cut by a crash, never a checkpoint
        kind = KINDS.get(str(event.get("event"))) if isinstance(event, dict) else None
        if kind is None:
            continue
        checkpoint = checkpoint_of(event)
        if checkpoint is None:
            if problems is not None:
                problems.append(f"{source} line {number}: a {event['event']} line whose seq or hash is malformed")
            continue
        found.append(Entry(*checkpoint, kind, _time(event.get("timestamp")), source, start + len(found)))
    return found


def open_text(path: Path) -> IO[str]:
    """A JSONL file, or its gzip-compressed copy (logrotate's `compress`)."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace")


def with_rotated(path: Path) -> list[Path]:
    """`path`'s rotated copies, oldest first (`.2` before `.1`), then `path` itself when it exists."""
    copies = []
    for candidate in path.parent.glob(path.name + ".*"):
        match = _ROTATED.match(candidate.name[len(path.name) :])
        if match:
            copies.append((int(match.group(1)), candidate))
    ordered = [p for _, p in sorted(copies, key=lambda c: -c[0])]
    return [*ordered, path] if path.is_file() else ordered


def read_files(paths: Iterable[Path], found: Found | None = None) -> Found:
    found = found if found is not None else Found()
    for path in paths:
        with open_text(path) as lines:
            entries = entries_from(lines, str(path), len(found.entries), found.problems)
        found.entries += entries
        found.sources.append((str(path), len(entries)))
    return found


def configured_file() -> Path | None:
    configured: str = settings.AUDIT_CHECKPOINT_FILE
    return Path(configured) if configured else None


def discover(extra: Iterable[Path] = ()) -> Found:
    """Every checkpoint source this server knows of, plus `extra` files, resolved against its restores."""
    paths = with_rotated(configured) if (configured := configured_file()) is not None else []
    found = read_files([*paths, *(p for p in extra if p not in paths)])
    _read_witness(found)
    return resolve(found)


def _read_witness(found: Found) -> None:
    """The signed checkpoints of the witness file (audit.witness), when this server has one."""
    configured: str = settings.AUDIT_WITNESS_FILE
    if not configured or not Path(configured).exists():
        return
    try:
        signed = witness.for_verify(Path(configured))
    except ValueError as exc:
        found.problems.append(f"witness {configured}: {exc}")
        return
    found.problems += signed.problems
    source = f"witness {configured}: {signed.summary()}"
    start = len(found.entries)
    # Already resolved against the witness's own restores: kind "witnessed", never a restore here.
    for i, (seq, digest) in enumerate(signed.checkpoints):
        found.entries.append(Entry(seq, digest, "witnessed", None, source, start + i))
    found.sources.append((source, len(signed.checkpoints)))


def describe(found: Found) -> list[str]:
    """What audit_verify read, and each restore with what it rolled back: never silent."""
    if not found.sources:
        configured = configured_file()
        where = f"no file at {configured}" if configured is not None else "AUDIT_CHECKPOINT_FILE is empty"
        return [f"checkpoints read: none ({where})"]
    read = ", ".join(f"{source} ({count})" for source, count in found.sources)
    return [f"checkpoints read: {read}", *(restore.line() for restore in found.restores)]


def _order(a: Entry, b: Entry) -> int:
    return -1 if _before(a, b) else 1 if _before(b, a) else 0


_WRITTEN = functools.cmp_to_key(_order)


def _before(a: Entry, b: Entry) -> bool:
    """Was `a` written before `b`? By time where both have one, else by the order read."""
    if a.time is not None and b.time is not None and a.time != b.time:
        return a.time < b.time
    return a.order < b.order


def resolve(found: Found) -> Found:
    """Set apart the checkpoints each restore superseded: above its seq, written before it."""
    unique = {(e.seq, e.hash, e.time): e for e in found.entries if e.kind == "restored"}  # one per restore
    restores = sorted((Restore(e) for e in unique.values()), key=lambda r: _WRITTEN(r.entry))
    superseded: set[int] = set()
    for entry in found.entries:
        if entry.kind == "witnessed":
            continue  # the witness resolved its own restores, by its signed times
        for restore in restores:  # the first restore after it that went below it
            if entry.seq > restore.entry.seq and _before(entry, restore.entry):
                superseded.add(entry.order)
                restore.rolled_back.append(entry)
                break
    found.restores = [r for r in restores if r.entry.order not in superseded]
    found.kept = [e for e in found.entries if e.order not in superseded]
    return found


def newest(entries: list[Entry]) -> Entry | None:
    """The checkpoint written last: by its time, then by its place in the file."""
    latest: Entry | None = None
    for entry in entries:
        if latest is None or _before(latest, entry):
            latest = entry
    return latest


def trusted(path: Path) -> tuple[int, str] | None:
    """The checkpoint a server trusts at its start: the newest of `path` (or, if it has none, of its rotated copies)."""
    for source in reversed(with_rotated(path)):
        found = read_files([source])
        if (last := newest(found.entries)) is not None:
            return last.seq, last.hash
    return None


def lines_of(paths: Iterable[Path]) -> Iterator[str]:
    for path in paths:
        with open_text(path) as lines:
            yield from lines
