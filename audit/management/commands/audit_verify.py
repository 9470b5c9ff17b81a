"""Recompute the audit chain: exit 0 with one line when intact, else one line per problem.

    manage.py audit_verify [--checkpoints logs/audit.jsonl]

It checks the chain, every event's MAC and every row's columns against its sealed JSON
(audit.verification). With --checkpoints, the head hashes that `audit.sealed` events wrote
to a JSONL file (kept outside the database) must agree with the chain and with each other:
a chain recomputed, cut or re-sealed shows up there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.verification import read_checkpoints, verify


class Command(BaseCommand):
    help = "Verify the audit event store's hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--checkpoints", type=Path, help="a JSONL file with audit.sealed checkpoints")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path | None = options["checkpoints"]
        if path is not None and not path.is_file():
            raise CommandError(f"no checkpoints file at {path}")
        checkpoints = read_checkpoints(path) if path is not None else []
        report = verify(checkpoints)
        if not report.problems:
            checked = f", {len(checkpoints)} checkpoints agree" if path is not None else ""
            self.stdout.write(f"audit trail intact: {report.summary()}{checked}")
            return
        for problem in report.problems:
            self.stderr.write(problem)
        raise CommandError(
            f"audit trail NOT intact: {len(report.problems)} problems ({report.summary()})", returncode=2
        )
