"""Send the JSONL file and LogBull every sealed event they have not had (audit.shipper).

    manage.py audit_ship

Serving processes do this after each sealing pass; the command is for a server that
was down, or cron where no process serves.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit.shipper import Shipper


class Command(BaseCommand):
    help = "Ship sealed audit events to the sinks that have not had them."

    def handle(self, *args: Any, **options: Any) -> None:
        done = Shipper().ship()
        self.stdout.write(", ".join(f"{sink}: {count} shipped" for sink, count in done.items()) or "no sinks")
