"""Read auditing for the API's viewsets, declared once.

A viewset names its `audit_type` and mixes in what it serves: `AuditedRetrieve` logs
`retrieve` as `<type>.viewed` (target, and `patient_id`/`visit_id`/`camp_id` when the
record concerns a patient), `AuditedList` logs `list` as `<type>.<audit_list_kind>` with
the filters used and the count. Domain reads (`@action`s such as a patient's status)
call `audit_read` or `audit_list` of `AuditedReads`. Filters are masked as audit.sanitize
says: `?phone=` by its key when the event is built; over a model holding personal data each
other filter term by `masked_term` (whole from 5 digits, or a digit or a comma); elsewhere a
phone number typed into a filter where it stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from audit.catalogue import EventType, Kind
from audit.event_types import EVENTS
from audit.events import emit, scope_of, target_of
from audit.sanitize import holds_personal_data, masked_term, sensitive_fields
from core.views import page_of


class AuditedReads(GenericAPIView):  # type: ignore[type-arg]
    """Base for a GenericViewSet: the read events of its actions."""

    audit_type: ClassVar[str] = ""
    audit_list_kind: ClassVar[Kind] = Kind.LIST_VIEWED
    audit_filters: ClassVar[tuple[str, ...]] = ()  # query parameters logged with a list

    def audit_read(
        self,
        record: Any,
        *,
        event: EventType | None = None,
        details: Mapping[str, Any] | None = None,
        message: str | None = None,
    ) -> None:
        """Log a read of one record (or of what belongs to it): by default `<audit_type>.viewed`."""
        event = event or EVENTS.of(self.audit_type, Kind.VIEWED)
        label = record.audit_label() if hasattr(record, "audit_label") else f"{self.audit_type} {record.pk}"
        emit(
            event,
            source="route",
            target=target_of(record),
            scope=scope_of(record),
            details=details,
            message=message or f"{event.words}: {label}",
        )

    def read_page(self, record: Any, rows: Any, serializer_class: Any, *, event: EventType, message: str) -> Response:
        """One page of what belongs to `record` (a patient's vitals, a visit's pickup), logged as a read of it."""
        response = page_of(self, rows, serializer_class)
        self.audit_read(record, event=event, details={"count": response.data["count"]}, message=message)
        return response

    def audit_list(
        self,
        count: int,
        *,
        event: EventType | None = None,
        details: Mapping[str, Any] | None = None,
        scope: Mapping[str, Any] | None = None,
    ) -> None:
        """Log a list or search: by default with the `audit_filters` used and the count found."""
        params = self.request.query_params
        personal = holds_personal_data(self.get_queryset().model)
        by_key = set(sensitive_fields())  # masked by their key as the event is built
        filters = {
            name: params[name] if name in by_key else masked_term(params[name], personal=personal)
            for name in self.audit_filters
            if params.get(name)
        }
        event = event or EVENTS.of(self.audit_type, self.audit_list_kind)
        emit(
            event,
            source="route",
            scope=scope,
            details=details if details is not None else {"filters": filters, "count": count},
            message=f"{self.audit_type} {event.words} ({', '.join(filters) or 'no filters'}): {count}",
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
