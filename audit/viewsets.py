"""Read auditing for the API's viewsets, declared once.

A viewset names its `audit_type` and mixes in what it serves: `AuditedRetrieve` logs
`retrieve` as `<type>.viewed` (target, and `patient_id`/`visit_id`/`camp_id` when the
record concerns a patient), `AuditedList` logs `list` as `<type>.<audit_list_event>` with
the filters used and the count. Domain reads (`@action`s such as a patient's status)
call `audit_read` or `audit_list` of `AuditedReads`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from audit.events import emit, target_of
from core.views import page_of


def scope_of(record: Any) -> dict[str, Any]:
    """patient_id / visit_id / camp_id of an audited record (no queries)."""
    audit_scope = getattr(record, "audit_scope", None)
    return audit_scope() if audit_scope is not None else {}


class AuditedReads(GenericAPIView):  # type: ignore[type-arg]
    """Base for a GenericViewSet: the read events of its actions."""

    audit_type: ClassVar[str] = ""
    audit_list_event: ClassVar[str] = "list_viewed"
    audit_filters: ClassVar[tuple[str, ...]] = ()  # query parameters logged with a list

    def _event_name(self, event: str) -> str:
        """`viewed` -> `<audit_type>.viewed`; a dotted name is kept as it is."""
        return event if "." in event else f"{self.audit_type}.{event}"

    def audit_read(
        self,
        record: Any,
        *,
        event: str = "viewed",
        details: Mapping[str, Any] | None = None,
        message: str | None = None,
    ) -> None:
        """Log a read of one record (or of what belongs to it) as `<audit_type>.<event>`."""
        label = record.audit_label() if hasattr(record, "audit_label") else f"{self.audit_type} {record.pk}"
        emit(
            self._event_name(event),
            action="read",
            source="route",
            target=target_of(record),
            scope=scope_of(record),
            details=details,
            message=message or f"{event.replace('_', ' ')}: {label}",
        )

    def read_page(self, record: Any, rows: Any, serializer_class: Any, *, event: str, message: str) -> Response:
        """One page of what belongs to `record` (a patient's vitals, a visit's pickup), logged as a read of it."""
        response = page_of(self, rows, serializer_class)
        self.audit_read(record, event=event, details={"count": response.data["count"]}, message=message)
        return response

    def audit_list(
        self,
        count: int,
        *,
        event: str | None = None,
        details: Mapping[str, Any] | None = None,
        scope: Mapping[str, Any] | None = None,
    ) -> None:
        """Log a list or search: by default with the `audit_filters` used and the count found."""
        params = self.request.query_params
        filters = {name: params[name] for name in self.audit_filters if params.get(name)}
        event = event or self.audit_list_event
        emit(
            self._event_name(event),
            action="read",
            source="route",
            scope=scope,
            details=details if details is not None else {"filters": filters, "count": count},
            message=f"{self.audit_type} {event.replace('_', ' ')} ({', '.join(filters) or 'no filters'}): {count}",
        )


class AuditedRetrieve(AuditedReads):
    """GET {prefix}/{id}/, logged as `<audit_type>.viewed`."""

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        self.audit_read(record)
        return Response(self.get_serializer(record).data)


class AuditedList(AuditedReads):
    """GET {prefix}/, logged with its filters and count."""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = page_of(self, self.get_queryset(), self.get_serializer_class())
        self.audit_list(response.data["count"])
        return response
