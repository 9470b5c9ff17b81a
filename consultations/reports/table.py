"""A report's table: a title, its columns, its rows and a totals row (numbers as numbers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext


@dataclass
class Table:
    """One section: a title, its columns, its rows and a totals row (numbers as numbers)."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    totals: list[Any] | None = None
    note: str = ""
    numeric_from: int = field(default=1, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "columns": self.columns,
            "rows": self.rows,
            "totals": self.totals,
            "note": self.note,
        }


def totals(rows: Sequence[Sequence[Any]], numeric_from: int, label: str = "") -> list[Any]:
    """A totals row: `label`, blanks up to `numeric_from`, then each column's sum (None if none)."""
    width = len(rows[0]) if rows else numeric_from
    sums: list[Any] = [label or gettext("Total"), *([""] * (numeric_from - 1))]
    for column in range(numeric_from, width):
        values = [row[column] for row in rows if isinstance(row[column], int | float)]
        sums.append(sum(values) if values else None)
    return sums
