"""What MedCamp takes from django-simple-history, in one place, pinned to the version in requirements.txt.

`AuditedHistory.create_historical_record` builds its change event beside the history row, so it
repeats what django-simple-history 3.13.0's `HistoricalRecords.create_historical_record` does
around the row (simple_history/models.py): the row's values and metadata (dated by audit.clock), the
`pre_create_historical_record` and `post_create_historical_record` signals, and the m2m history.
Those steps live here and nowhere else; tests/audit/test_simple_history_adapter.py pins their
behaviour on the pinned version, so an upgrade that changes them fails there, loudly, not
silently in the audit trail.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Iterator
from typing import Any

import simple_history
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from audit import clock

PINNED = "3.13.0"  # the version whose create_historical_record these steps follow


def history_row(records: HistoricalRecords, instance: Any, history_type: str, using: str | None) -> tuple[Any, dict]:
    """The unsaved history row of `instance` and its metadata (no signal sent yet)."""
    meta = {
        "history_date": getattr(instance, "_history_date", None) or clock.now(),  # the trail's time
        "history_user": records.get_history_user(instance),
        "history_change_reason": records.get_change_reason_for_object(instance, history_type, using),
    }
    model = history_model(instance.__class__, records.manager_name)
    attrs = {field.attname: getattr(instance, field.attname) for field in records.fields_included(instance)}
    if getattr(model, "history_relation", None) is not None:
        attrs["history_relation"] = instance
    return model(history_type=history_type, **meta, **attrs), meta


def before_row_saved(instance: Any, row: Any, meta: dict, using: str | None) -> None:
    """`pre_create_historical_record`, once the row is known to be written (receivers may fill it in)."""
    pre_create_historical_record.send(sender=type(row), instance=instance, history_instance=row, using=using, **meta)


@functools.cache
def history_model(cls: type, manager_name: str) -> Any:
    """The history model of `cls`, read from simple-history's `HistoryDescriptor.model`.

    `getattr(instance, manager_name)`, as simple-history itself does, builds a new manager
    class (`HistoryManager.from_queryset`) on every access: a third of an audited save's
    Python time in bench/audit_save.py. The descriptor holds the model; read it statically.
    """
    return inspect.getattr_static(cls, manager_name).model


def after_row_saved(records: HistoricalRecords, instance: Any, row: Any, meta: dict, using: str | None) -> None:
    """The m2m history and `post_create_historical_record`, once the row is saved."""
    records.create_historical_record_m2ms(row, instance)
    post_create_historical_record.send(sender=type(row), instance=instance, history_instance=row, using=using, **meta)


@contextlib.contextmanager
def dated(instance: Any) -> Iterator[None]:
    """simple-history's own `create_historical_record` dates its row `instance._history_date` when
    set (else `timezone.now()`): set to the trail's time (audit.clock) around the call."""
    if getattr(instance, "_history_date", None) is not None:
        yield
        return
    instance._history_date = clock.now()
    try:
        yield
    finally:
        del instance._history_date


def installed_version() -> str:
    return str(simple_history.__version__)
