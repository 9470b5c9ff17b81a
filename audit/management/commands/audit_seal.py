"""Seal every committed audit event not sealed yet (for cron and tests; app processes also seal)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit.chain import seal_pending


class Command(BaseCommand):
    help = "Seal pending audit events into the hash chain."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        while (done := seal_pending()).count:
            total += done.count
            head = done
        if total:
            self.stdout.write(f"sealed {total} events; head seq {head.head_seq} hash {head.head_hash}")
        else:
            self.stdout.write("nothing to seal")
