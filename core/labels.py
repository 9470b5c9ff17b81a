"""Labels of records for people: only from related rows already loaded, never a query per label.

A record's `__str__` names people and places ("Token 114, Sunita Devi, Kothur camp 02 Dec")
when the page loaded them with it (`select_related`); where it did not (a history page
listing many rows), it says what it knows without asking the database again.
"""

from __future__ import annotations

from typing import Any


def loaded(instance: Any, name: str) -> Any:
    """The related row `name` of `instance` if it is loaded already, else None."""
    field = instance._meta.get_field(name)
    return getattr(instance, name) if field.is_cached(instance) else None
