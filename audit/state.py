"""A record's state as its change event seals it: one keyed digest of every audited value.

Each change event (`x.created`, `x.updated`, a service's named change, and reconcile's own)
carries `details.state`, an HMAC of the record's audited values after the change, with a key
derived from the chain key (audit.keys): the database never holds it, so someone who edits a
record together with its newest history row cannot make the sealed state agree, and the digest
gives away no value (a phone number cannot be guessed back from it without the key).
audit.reconcile compares each live record with the state of its newest sealed change event.

Values are normalised so that what a save held and what the database reads back give the same
digest: through the field's own `to_python`, decimals to their places, datetimes in UTC.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from audit.diff import to_json
from audit.keys import chain_key


@functools.cache
def state_fields(model: type[models.Model]) -> tuple[models.Field[Any, Any], ...]:
    """The audited concrete fields: `audit_fields` (or all) less `audit_ignore` (fixed per model)."""
    names = getattr(model, "audit_fields", None)
    ignore = set(getattr(model, "audit_ignore", ()))
    return tuple(
        f
        for f in model._meta.concrete_fields
        if f.name not in ignore and (names is None or f.name in names) and not f.primary_key
    )


def _normal(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None:
        return None
    value = field.to_python(value)
    if isinstance(value, Decimal) and isinstance(field, models.DecimalField) and value.is_finite():
        value = value.quantize(Decimal(1).scaleb(-(field.decimal_places or 0)))
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return to_json(value)


def _key() -> bytes:
    return _derived(chain_key())


@functools.lru_cache(maxsize=4)
def _derived(chain: bytes) -> bytes:
    return hmac.new(chain, b"medcamp record state", hashlib.sha256).digest()


def digest(model: type[models.Model], values: Mapping[str, Any], key: bytes | None = None) -> str:
    """The state of a record of `model` whose values by field name are `values`."""
    normal = {f.name: _normal(f, values.get(f.name)) for f in state_fields(model)}
    text = json.dumps(normal, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key or _key(), text.encode(), hashlib.sha256).hexdigest()


def live_states(model: type[models.Model]) -> dict[str, str]:
    """Every live record's state by its id as text (the events' target id), read in chunks."""
    fields = state_fields(model)
    key, states = _key(), {}
    rows = model._default_manager.order_by().values_list("pk", *(f.attname for f in fields))
    for pk, *values in rows.iterator(chunk_size=2000):
        states[str(pk)] = digest(model, {f.name: v for f, v in zip(fields, values, strict=True)}, key)
    return states


def of(instance: Any) -> str:
    """The state of one record as it is now (what its next change event will be held to)."""
    return digest(type(instance), instance.audit_values())
