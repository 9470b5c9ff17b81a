"""The diff builder: changed fields only, in JSON-native form, with ignore lists."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Model

from core.languages import english


def to_json(value: Any) -> Any:
    """JSON-native form: dates ISO 8601, decimals as strings, enums as stored values, words in English."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Model):  # the name in English, whatever language the request speaks
        return {"id": value.pk, "name": english(value)}
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    return english(value)  # a lazy translation among the values is written in English


def build_changes(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    fields: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
) -> dict[str, dict[str, Any]]:
    """`{field: {"old", "new"}}` for the fields whose value differs, in JSON-native form."""
    skipped = set(ignore)
    names = list(fields) if fields is not None else list(dict.fromkeys([*old, *new]))
    changes: dict[str, dict[str, Any]] = {}
    for name in names:
        if name in skipped:
            continue
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        changes[name] = {"old": to_json(before), "new": to_json(after)}
    return changes


def meaningful_fields(
    values: Mapping[str, Any],
    *,
    ignore: Iterable[str] = (),
) -> dict[str, Any]:
    """The fields of a new record worth logging: set, non-empty, not ignored."""
    skipped = set(ignore)
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in skipped or value is None or value == "" or value == [] or value == {}:
            continue
        out[name] = to_json(value)
    return out
