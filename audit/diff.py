"""The diff builder: changed fields only, with per-field transforms and ignore lists."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Model

Transform = Callable[[Any], Any]


def to_json(value: Any) -> Any:
    """JSON-native form: dates ISO 8601, decimals as strings, enums as stored values."""
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
    if isinstance(value, Model):
        return {"id": value.pk, "name": str(value)}
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    return str(value)


def choice_label(choices: Any) -> Transform:
    """Enum value with its label: `{"value": "urgent", "label": "Urgent"}`."""
    labels = dict(choices.choices)
    return lambda value: None if value is None else {"value": value, "label": str(labels.get(value, value))}


def related_name(model: type[Model]) -> Transform:
    """Foreign key id with the related record's name (one query per changed key)."""

    def transform(value: Any) -> Any:
        if value is None:
            return None
        obj = model._default_manager.filter(pk=value).first()
        return {"id": value, "name": str(obj) if obj else None}

    return transform


def build_changes(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    fields: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    transforms: Mapping[str, Transform] | None = None,
) -> dict[str, dict[str, Any]]:
    """`{field: {"old", "new"}}` for the fields whose value differs, in JSON-native form."""
    transforms = transforms or {}
    skipped = set(ignore)
    names = list(fields) if fields is not None else list(dict.fromkeys([*old, *new]))
    changes: dict[str, dict[str, Any]] = {}
    for name in names:
        if name in skipped:
            continue
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        transform = transforms.get(name, to_json)
        changes[name] = {"old": transform(before), "new": transform(after)}
    return changes


def meaningful_fields(
    values: Mapping[str, Any],
    *,
    ignore: Iterable[str] = (),
    transforms: Mapping[str, Transform] | None = None,
) -> dict[str, Any]:
    """The fields of a new record worth logging: set, non-empty, not ignored."""
    transforms = transforms or {}
    skipped = set(ignore)
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in skipped or value is None or value == "" or value == [] or value == {}:
            continue
        out[name] = transforms.get(name, to_json)(value)
    return out
