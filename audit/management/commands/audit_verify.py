"""Recompute the audit chain: exit 0 with one line when intact; 1 when intact since a declared restore
that rolled back sealed events (a person looks: audit_rolled_back lists them); 2 with one line per problem.

    manage.py audit_verify [--checkpoints logs/audit.jsonl] [--witness COPY [--witness-key PUBLIC]]

It checks the chain, every event's MAC and every row's columns against its sealed JSON
(audit.verification), and the checkpoints it finds with no argument (audit.checkpoints:
AUDIT_CHECKPOINT_FILE and its rotated copies, gzipped too, and the witness file), naming
each source and each restore with what it rolled back. With --checkpoints, a JSONL file
kept elsewhere is read too. The head hashes of every checkpoint must agree with the chain
and with each other: a chain recomputed, cut or re-sealed shows up there. With --witness, so must the checkpoints
signed by the witness key (audit.witness), which someone holding the chain key cannot re-sign;
a line whose signature does not verify is a problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import witness
from audit.checkpoints import configured_file, describe, discover
from audit.verification import verify


class Command(BaseCommand):
    help = "Verify the audit event store's hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--checkpoints", type=Path, help="a JSONL file with audit.sealed checkpoints")
        parser.add_argument("--witness", type=Path, help="a witness file or directory of signed checkpoints")
        parser.add_argument("--witness-key", help="the witness public key (default: AUDIT_WITNESS_PUBLIC_KEY)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path | None = options["checkpoints"]
        if path is not None and not path.is_file():
            raise CommandError(f"no checkpoints file at {path}")
        found = discover([path] if path is not None else [])
        checkpoints = found.pairs()
        try:
            signed = witness.for_verify(options["witness"], options["witness_key"]) if options["witness"] else None
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        report = verify(checkpoints + (signed.checkpoints if signed else []))
        report.problems += found.problems + (signed.problems if signed else [])
        if signed is not None and not signed.checkpoints:
            report.problems.append(
                f"witness {options['witness']}: no signed checkpoint in it (an empty copy vouches for nothing)"
            )
        configured = configured_file()
        if configured is not None and report.sealed and settings.AUDIT_SINKS_ENABLED and not configured.exists():
            report.problems.append(
                f"no checkpoint file at {configured} (AUDIT_CHECKPOINT_FILE), yet the chain holds {report.sealed} seals"
            )
        signing = Path(settings.AUDIT_WITNESS_FILE) if settings.AUDIT_WITNESS_KEY_FILE else None
        signed_here = sum(1 for entry in found.entries if entry.kind == "witnessed")
        if signing is not None and report.sealed and not signed_here:  # moved away, or emptied
            report.problems.append(
                f"no signed checkpoint at {signing} (AUDIT_WITNESS_FILE), yet a witness key signs checkpoints"
            )
        rolled_back = [restore for restore in found.restores if restore.rolled_back]
        if not report.problems:
            checked = f", {len(checkpoints)} checkpoints agree"
            checked += f", {signed.summary()}: all agree" if signed else ""
            if rolled_back:  # intact since, but sealed events were lost: a person must look (exit 1)
                self.stderr.write(f"audit trail intact since a restore: {report.summary()}{checked}")
                self.stderr.write("\n".join(describe(found)))
                raise CommandError(f"{len(rolled_back)} declared restores rolled back sealed events", returncode=1)
            self.stdout.write(f"audit trail intact: {report.summary()}{checked}")
            self.stdout.write("\n".join(describe(found)))
            return
        for problem in report.problems:
            self.stderr.write(problem)
        self.stderr.write("\n".join(describe(found)))
        if signed:
            self.stderr.write(f"checked against {signed.summary()}")
        raise CommandError(
            f"audit trail NOT intact: {len(report.problems)} problems ({report.summary()})", returncode=2
        )
