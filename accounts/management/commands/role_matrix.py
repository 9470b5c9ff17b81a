"""manage.py role_matrix [--write]: docs/roles.md's table, generated from the views' roles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from accounts.matrix import markdown

DOC = Path(settings.BASE_DIR) / "docs" / "roles.md"
BEGIN, END = "<!-- matrix:begin -->\n", "<!-- matrix:end -->"


def replace_table(text: str, table: str) -> str:
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}{table}{END}{tail}"


class Command(BaseCommand):
    help = "Print the role matrix, or write it into docs/roles.md with --write."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        table = markdown()
        if options["write"]:
            DOC.write_text(replace_table(DOC.read_text(), table))
        else:
            self.stdout.write(table)
