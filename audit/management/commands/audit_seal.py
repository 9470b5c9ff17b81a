"""Seal every committed audit event not sealed yet (for cron and tests; app processes also seal).

    manage.py audit_seal [--restored]

It trusts the last checkpoint of the local JSONL file: a chain whose head went back or
changed since is not sealed over (audit.chain). After restoring a backup, `--restored`
accepts the chain's head as it now is, logging `audit.chain_restored`, and seals on.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.chain import ChainWatch, accept_head, seal_pending


class Command(BaseCommand):
    help = "Seal pending audit events into the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--restored", action="store_true", help="after restoring a backup: accept the chain's head as it is"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        watch = ChainWatch(checkpoint=accept_head()) if options["restored"] else ChainWatch.from_file()
        total = 0
        while (done := seal_pending(watch=watch)).count:
            total += done.count
            head = done
        if done.refused:
            raise CommandError(
                f"not sealed: {done.refused}; run audit_verify first. Only if a backup was restored (and the "
                "chain ends at the backup's head) run audit_seal --restored; otherwise the chain was tampered with"
            )
        if total:
            self.stdout.write(f"sealed {total} events; head seq {head.head_seq} hash {head.head_hash}")
        else:
            self.stdout.write("nothing to seal")
