"""The LogBull sink's spool: unsent batches on disk, shared safely by every process of a server.

A batch is one JSON file, written to a temporary name, fsynced and renamed, so a
reader never sees half a file. A process takes a file by renaming it with its pid
(an atomic claim: two processes never send the same file); the claims of processes
that died are released for others to take. Items the server refuses for good are
appended to rejected.jsonl with the reason, never dropped.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

Item = dict[str, Any]


class Spool:
    """One JSON file per unsent batch in a directory that several processes may share."""

    SUFFIX = ".batch"

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)

    def put(self, items: list[Item]) -> Path:
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}{self.SUFFIX}"
        tmp = self.dir / f".{name}.tmp"
        with open(tmp, "w", encoding="ascii") as fh:
            json.dump({"logs": items}, fh, ensure_ascii=True)
            fh.flush()
            os.fsync(fh.fileno())
        final = self.dir / name
        os.replace(tmp, final)
        return final

    def pending(self) -> list[Path]:
        return sorted(self.dir.glob(f"*{self.SUFFIX}"))

    def has_work(self) -> bool:
        """Files to send, or claims a dead process may have left."""
        return bool(self.pending()) or any(self.dir.glob("*.claimed-*"))

    def claim(self, path: Path) -> Path | None:
        """Take a file for this process; None when another process took it first."""
        claimed = path.with_name(f"{path.name}.claimed-{os.getpid()}")
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            return None
        return claimed

    def release(self, claimed: Path) -> None:
        original = claimed.name.rsplit(".claimed-", 1)[0]
        with contextlib.suppress(FileNotFoundError):
            os.rename(claimed, claimed.with_name(original))

    def release_dead_claims(self) -> None:
        for claimed in self.dir.glob(f"*{self.SUFFIX}.claimed-*"):
            pid = int(claimed.name.rsplit("-", 1)[1])
            if pid != os.getpid() and not _alive(pid):
                self.release(claimed)

    @staticmethod
    def read(path: Path) -> list[Item]:
        with open(path, encoding="ascii") as fh:
            return list(json.load(fh)["logs"])

    def reject(self, items: list[tuple[Item, str]]) -> None:
        """Items the server refuses for good are kept, with the reason, not dropped."""
        with open(self.dir / "rejected.jsonl", "a", encoding="ascii") as fh:
            for item, why in items:
                fh.write(json.dumps({"error": why, "log": item}, ensure_ascii=True) + "\n")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
