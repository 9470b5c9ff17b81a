"""Write the event and error-code tables of the docs from their catalogues (--check: only compare)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit import docs


class Command(BaseCommand):
    help = "Write docs/audit-events.md's event table and docs/api.md's error codes from the catalogues."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="fail when a doc differs; write nothing")

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        if check:
            stale = docs.stale()
            if stale:
                raise CommandError(f"out of date: {', '.join(p.name for p in stale)}; run manage.py catalogue_docs")
            self.stdout.write("docs agree with the catalogues")
            return
        for path in docs.write():
            self.stdout.write(f"wrote {path.relative_to(docs.ROOT)}")
