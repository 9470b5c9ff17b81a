"""List the events only the JSONL files (or a LogBull export) still hold: those a restore rolled back.

    manage.py audit_rolled_back [--file PATH ...]

Without --file it reads AUDIT_LOG_FILE and its rotated copies (gzipped too). One line per
event the store does not hold (time, event id, event, actor, target), oldest first, then the
restores the files record (audit.checkpoints). Running it is itself logged
(`audit.rolled_back`, with the count and the files read). Exit 0 either way: listing is
not a failure; audit_verify says whether the trail holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import event_types as E
from audit.checkpoints import read_files, resolve, with_rotated
from audit.events import emit
from audit.rolled_back import not_in_store


class Command(BaseCommand):
    help = "List the events the JSONL files hold and the store does not (rolled back by a restore)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", type=Path, action="append", help="a JSONL file or LogBull export (repeatable; .gz read too)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths: list[Path] = options["file"] or with_rotated(Path(settings.AUDIT_LOG_FILE))
        absent = [str(p) for p in paths if not p.is_file()]
        if absent:
            raise CommandError(f"no file at {', '.join(absent)}")
        lost = not_in_store(paths)
        for event in lost:
            self.stdout.write(event.line())
        restores = resolve(read_files(paths)).restores
        for restore in restores:
            self.stdout.write(restore.line())
        files = [str(p) for p in paths]
        emit(
            E.AUDIT_ROLLED_BACK,
            source="command",
            actor=None,
            details={"count": len(lost), "files": files, "restores": [r.entry.seq for r in restores]},
            message=f"listed {len(lost)} events the files hold and the store does not",
        )
        self.stdout.write(f"{len(lost)} events in {len(files)} files are not in the store")
