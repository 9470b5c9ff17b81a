"""One path for every refusal, whatever door it came through: the API, an admin form or page, a command.

`log_refusal` writes the failure event: the attempted action (a catalogue entry, so the action
is the catalogue's: an update is an update), the error code as the reason, and the record the
request names with its patient, visit and camp, taken from the record the caller or the
raising service already loaded (`DomainError.record`), never loaded again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audit.catalogue import EventType
from audit.events import emit, scope_of, target_of
from core.errors import DomainError


def log_refusal(
    attempted: EventType,
    *,
    code: str,
    detail: str,
    source: str,
    record: Any = None,
    target: Mapping[str, Any] | None = None,
    fields: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    status: int | None = None,
    scope: Mapping[str, int] | None = None,
) -> None:
    """Log a refused action. `record` (loaded) names the target; else `target` as `{type, id}`.

    `scope` is what the request named besides the target (the camp a registration asked for):
    a refusal is found on the trail of every patient, visit and camp it concerns.
    """
    details: dict[str, Any] = {} if status is None else {"status": status}
    if fields:
        details["fields"] = dict(fields)
    details.update(extra or {})
    named = record is not None and getattr(record, "pk", None) is not None
    emit(
        attempted,
        outcome="failure",
        reason=str(code),
        target=target_of(record) if named else target,
        scope={**(scope or {}), **(scope_of(record) if named else {})} or None,
        details=details or None,
        source=source,
        message=f"{attempted.words} refused ({code}): {detail}",
    )


def _loaded(record: Any) -> Any:
    return None if record is None or isinstance(record, Mapping) else record


def log_domain_refusal(
    exc: DomainError,
    attempted: EventType,
    *,
    source: str,
    record: Any = None,
    scope: Mapping[str, int] | None = None,
) -> None:
    """Log a service's refusal: its code, sentence, fields and extras (in English, whatever the
    language the person was answered in), and the record it concerns.

    `record` is what the door has of the record when the service did not name it: a loaded
    record, or `{type, id}` from the URL.
    """
    detail, fields = exc.english()
    log_refusal(
        attempted,
        code=exc.code,
        detail=detail,
        source=source,
        record=exc.record if exc.record is not None else _loaded(record),
        target=record if isinstance(record, Mapping) else None,
        fields=fields,
        extra=exc.extra,
        scope=scope,
    )
