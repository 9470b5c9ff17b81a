"""The report page's cells: a cell's column name, for the phone's label-and-value cards."""

from __future__ import annotations

from collections.abc import Sequence

from django import template

register = template.Library()


@register.simple_tag
def column_label(columns: Sequence[str], index: int) -> str:
    """The name of column `index` (escaped by the template like any value)."""
    return columns[index] if 0 <= index < len(columns) else ""
