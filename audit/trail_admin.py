"""The auditors' screens in Django admin: the event store, read-only for everyone.

- Audit events: the list (time, actor, event, outcome, patient, target, request id),
  filters by action, outcome, source, event family and date, search by request id,
  username or book number (apps register how a term names a patient), a detail page
  with the whole event and what audit_verify says of it (audit.verdict), and a streamed CSV export of the
  filtered list that is itself an event (`audit.exported`).
- A patient's trail: `?patient=<id>` lists every event about that patient in time
  order, reads and refusals included (an event whose target is the patient belongs to
  it even without `patient_id`). Patient and visit pages link to it.

Every page runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from audit import event_types as E
from audit import store
from audit import trail_people as people
from audit.admin import AuditedReadsAdmin
from audit.events import emit
from audit.models import AuditEvent
from audit.verdict import verdict
from core import exports
from core.params import whole_number

# Apps below audit's users (patients) say how a search term names a patient: term -> Q or None.
SEARCH_RESOLVERS: list[Callable[[str], Q | None]] = []
EXPORT_COLUMNS = store.DERIVED  # the indexed columns
# Long ids and JSON lines wrap instead of running off a phone's screen.
WRAP = "max-width: 100%; overflow-wrap: anywhere; white-space: pre-wrap"
FAMILIES = ("auth", "user", "patient", "visit", "vitals", "queue", "consultation", "prescription", "stock", "medicine")


def register_search(resolver: Callable[[str], Q | None]) -> None:
    SEARCH_RESOLVERS.append(resolver)


def patient_trail(patient_id: int) -> Q:
    """Every event about a patient: those that name it, and those whose target it is."""
    return Q(patient_id=patient_id) | Q(target_type="patient", target_id=str(patient_id))


def trail_url(patient_id: int) -> str:
    return f"{reverse('admin:audit_auditevent_changelist')}?patient={patient_id}"


class PatientFilter(admin.SimpleListFilter):
    title = _("patient")
    parameter_name = "patient"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        patient_id = whole_number(value)
        if patient_id is None:
            return []
        named = people.with_patient_labels(AuditEvent.objects.filter(patient_id=patient_id))
        label = named.values_list("patient_label", flat=True).first() if people.PATIENT_LABEL else None
        return [(str(value), label or f"patient {patient_id}")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        patient_id = whole_number(value)
        if patient_id is None:  # "²", "-1", a number past any id: the admin's own "invalid filter" answer
            raise IncorrectLookupParameters(f"patient must be an id, not {value!r}")
        return queryset.filter(patient_trail(patient_id))


class FamilyFilter(admin.SimpleListFilter):
    title = _("event")
    parameter_name = "family"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(family, f"{family}.*") for family in FAMILIES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(event__startswith=f"{value}.") if value else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(AuditedReadsAdmin):
    list_display = ("time", "actor", "event_marked", "outcome", "patient", "target", "request_ref")
    list_filter = (PatientFilter, "action", "outcome", "source", FamilyFilter, ("timestamp", admin.DateFieldListFilter))
    search_fields = ("request_id",)  # exact request id, username or book number: get_search_results
    search_help_text = "A request id, a username or a patient's book number."
    show_full_result_count = False  # no second COUNT(*) over the whole store
    list_per_page = 100
    change_list_template = "admin/audit/auditevent/change_list.html"
    # The detail shows what was sealed (the JSON), not the columns an insider could edit.
    readonly_fields = ("sealed_event", "seal", "whole_event")
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    def get_ordering(self, request: HttpRequest) -> list[str]:
        # A patient's trail reads in time order; the whole store newest first.
        return ["timestamp", "id"] if request.GET.get("patient") else ["-id"]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        term = search_term.strip()
        if not term:
            return queryset, False
        wanted = Q(request_id=term) | Q(actor_username=term)
        for resolver in SEARCH_RESOLVERS:
            found = resolver(term)
            if found is not None:
                wanted |= found
        return queryset.filter(wanted), False

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return people.with_patient_labels(super().get_queryset(request))

    @admin.display(description=_("time (camp)"), ordering="timestamp")
    def time(self, event: AuditEvent) -> str:
        return people.camp_time(event.timestamp)

    @admin.display(description=_("actor"))
    def actor(self, event: AuditEvent) -> Any:
        attempted = people.attempted_username(event.event, event.outcome, event.data)
        if attempted and not event.actor_username:
            return format_html('{} <em class="attempted">(attempted)</em>', attempted)
        return event.actor_username or "-"

    @admin.display(description=_("request"))
    def request_ref(self, event: AuditEvent) -> Any:
        if not event.request_id:
            return "-"
        return format_html('<span title="{}">{}</span>', event.request_id, event.request_id[:8])

    @admin.display(description=_("patient"))
    def patient(self, event: AuditEvent) -> Any:
        if event.patient_id is None:
            return "-"
        label = getattr(event, "patient_label", None) or f"patient {event.patient_id}"
        return format_html('<a href="{}">{}</a>', trail_url(event.patient_id), label)

    @admin.display(description=_("event"))
    def event_marked(self, event: AuditEvent) -> Any:
        if not _disagreements(event):
            return event.event
        return format_html(
            '{} <strong class="edited">row edited: its columns disagree with its seal</strong>', event.event
        )

    @admin.display(description=_("sealed event"))
    def sealed_event(self, event: AuditEvent) -> Any:
        try:
            sealed = store.columns(event.payload())
        except (ValueError, KeyError, TypeError):
            return format_html("<strong>{}</strong>", "This row's JSON is not an audit event: it was edited.")
        edited = {name: column for name, column, _ in _disagreements(event)}
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td></tr>",
            ((name.replace("_", " "), _sealed_cell(sealed[name], name, edited, event)) for name in store.DERIVED),
        )
        verdict = (
            format_html(
                "<strong>{} of this row {} with its sealed event: the row was edited in the database.</strong>",
                f"{len(edited)} column" if len(edited) == 1 else f"{len(edited)} columns",
                "disagrees" if len(edited) == 1 else "disagree",
            )
            if edited
            else "The row's columns agree with its sealed event."
        )
        return format_html('<p>{}</p><table style="{}">{}</table>', verdict, WRAP, rows)

    @admin.display(description=_("target"))
    def target(self, event: AuditEvent) -> str:
        return f"{event.target_type} {event.target_id}".strip() or "-"

    @admin.display(description=_("the whole event"))
    def whole_event(self, event: AuditEvent) -> Any:
        return format_html('<pre style="{}">{}</pre>', WRAP, json.dumps(event.payload(), indent=2, sort_keys=True))

    @admin.display(description=_("seal"))
    def seal(self, event: AuditEvent) -> Any:
        seal, mark = verdict(event)  # what audit_verify says of this row, in its words
        if seal is None:
            return format_html("<strong>{}</strong>", mark)
        return format_html("seq {} &middot; {} &middot; <strong>{}</strong>", seal.seq, seal.hash, mark)

    # --- export -----------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        export = path("export/", self.admin_site.admin_view(self.export_view), name="audit_auditevent_export")
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            rows = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:  # a malformed date or page: the list's own error answer
            return HttpResponseRedirect(f"{reverse('admin:audit_auditevent_changelist')}?{ERROR_FLAG}=1")
        count = rows.count()
        filters = {k: v for k, v in request.GET.items()}
        emit(
            E.AUDIT_EXPORTED,
            source="admin",
            details={"filters": filters, "count": count},
            message=f"exported {count} audit events as CSV",
        )
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
        return response


def _disagreements(event: AuditEvent) -> list[tuple[str, Any, Any]]:
    try:
        return store.disagreements({name: getattr(event, name) for name in store.DERIVED}, event.data)
    except ValueError:
        return [("data", event.data, None)]


def _sealed_cell(value: Any, name: str, edited: dict[str, Any], event: AuditEvent) -> Any:
    """The sealed value; under it, in bold, what the edited column says instead (one column: fits a phone)."""
    label = getattr(event, "patient_label", None)
    if name == "patient_id" and value is not None and label and name not in edited:
        return format_html('{} &middot; <a href="{}">{}</a>', value, trail_url(value), label)
    if name not in edited:
        return _shown(value)
    return format_html(
        '{}<br><strong class="edited">but the row\'s column says {}</strong>', _shown(value), _shown(edited[name])
    )


def _shown(value: Any) -> str:
    if value in (None, ""):
        return "-"
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S %Z}"
    return str(value)


# The CSV speaks as the screens do: camp time with its UTC offset, the patient by name and
# book number, and a refused sign-in's attempted username in its own column.
CSV_HEADER = (*EXPORT_COLUMNS, "patient", "attempted_username")
EVENT, OUTCOME = EXPORT_COLUMNS.index("event"), EXPORT_COLUMNS.index("outcome")


def _csv_lines(rows: QuerySet[Any]) -> Iterator[str]:
    yield exports.csv_line(CSV_HEADER)  # core.exports: no cell becomes a formula
    labelled = people.with_patient_labels(rows)
    label = ("patient_label",) if people.PATIENT_LABEL else ()
    at = EXPORT_COLUMNS.index("timestamp")
    for row in labelled.values_list(*EXPORT_COLUMNS, "data", *label).iterator(chunk_size=2000):
        values, data = list(row[: len(EXPORT_COLUMNS)]), row[len(EXPORT_COLUMNS)]
        values[at] = people.csv_time(values[at])
        attempted = people.attempted_username(values[EVENT], values[OUTCOME], data)
        yield exports.csv_line([*values, row[-1] if label else "", attempted])
