"""Find records changed outside the audited path and write down each change (audit.reconcile).

    manage.py audit_reconcile

Exit 0 with one line when nothing drifted; else one line per record found (its history
row and event are written), and exit 1 so that cron mails it.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.reconcile import reconcile


class Command(BaseCommand):
    help = "Find and record changes made outside the audited path."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        found = reconcile()
        took = time.monotonic() - started
        if not found:
            self.stdout.write(f"nothing changed outside the audited path ({took:.2f} s)")
            return
        for drift in found:
            self.stderr.write(f"{drift.model._meta.label} {drift.pk}: {drift.kind} outside the audited path")
        raise CommandError(f"{len(found)} records changed outside the audited path; each is now recorded", returncode=1)
