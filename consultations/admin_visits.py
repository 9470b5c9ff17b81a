"""The visit in Django admin: the desk, the visit's page, its pickup and its printable slip.

The desk is consultations.admin_desk, the pickup consultations.admin_pages, the slip consultations.slip; this
module registers Visit with the read-only inlines of what happened in the visit.
Visit is a patients model, registered here because its page shows the queue,
consultation and prescriptions this app owns (patients may not import them).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.permissions import user_of
from audit.admin import PatientTrailLink, ReadOnlyInline, ServiceAdmin
from consultations import admin_desk, admin_pages, slip
from consultations.models import Consultation, Dispense, Prescription, QueueEntry
from patients.models import Visit, Vitals
from patients.services import visit_register, visit_set_status


class VitalsInline(ReadOnlyInline):
    model = Vitals
    fields = ("bp_systolic", "bp_diastolic", "pulse", "rbs", "weight_kg", "height_cm", "recorded_by", "recorded_at")


class QueueEntryInline(ReadOnlyInline):
    model = QueueEntry
    fields = ("doctor", "priority", "status", "queued_at", "started_at", "finished_at")


class ConsultationInline(ReadOnlyInline):
    model = Consultation
    fields = ("doctor", "chief_complaint", "diagnosis", "advice", "counselling_status")


class PickupFilter(admin.SimpleListFilter):
    title = _("pickup")
    parameter_name = "pickup"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("waiting", _("Waiting for pickup"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(status=Visit.Status.CONSULTED) if self.value() == "waiting" else queryset


@admin.register(Visit)
class VisitAdmin(PatientTrailLink, ServiceAdmin):
    list_display = ("token_number", "patient", "camp", "status", "counselling", "registered_at", "pickup")
    list_filter = (PickupFilter, "camp", "status", "counselling")
    search_fields = ("patient__book_no", "patient__name__folds", "patient__phone")
    raw_id_fields = ("patient",)
    list_select_related = ("patient", "camp")
    inlines = (VitalsInline, QueueEntryInline, ConsultationInline)

    def get_list_display(self, request: HttpRequest) -> Any:
        if request.GET.get("pickup") == "waiting":  # the pharmacist's list: who, and the action, first
            return ("pickup", "patient", "token_number", "consulted_at")
        return self.list_display

    def get_ordering(self, request: HttpRequest) -> Any:
        # Waiting for pickup: whoever was consulted first is served first.
        return ("consulted_at", "id") if request.GET.get("pickup") == "waiting" else super().get_ordering(request)

    def trail_patient_id(self, record: Any) -> int | None:
        return int(record.patient_id)

    @admin.display(description=_("pickup"))
    def pickup(self, visit: Visit) -> SafeString:
        url = reverse("admin:patients_visit_pickup", args=[visit.pk])
        return format_html('<a href="{}" class="pickup-link">{}</a>', url, gettext("Pickup"))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("desk/", view(self.desk_view), name="patients_visit_desk"),
            path("<int:visit_id>/pickup/", view(self.pickup_view), name="patients_visit_pickup"),
            path("<int:visit_id>/slip/", view(self.slip_view), name="patients_visit_slip"),
            *super().get_urls(),
        ]

    def desk_view(self, request: HttpRequest) -> HttpResponse:
        return admin_desk.desk(self, request)

    def pickup_view(self, request: HttpRequest, visit_id: int) -> HttpResponse:
        return admin_pages.pickup_page(self, request, visit_id)

    def slip_view(self, request: HttpRequest, visit_id: int) -> HttpResponse:
        return slip.slip_page(self, request, visit_id)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        links = []
        if object_id.isdigit():
            links = [
                (gettext("Pickup"), reverse("admin:patients_visit_pickup", args=[object_id]), "pickup-link"),
                (gettext("Printable slip"), reverse("admin:patients_visit_slip", args=[object_id]), "slip-link"),
            ]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "object_links": links})

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("patient", "camp")
        return (
            "patient",
            "camp",
            "token_number",
            "status",
            "counselling",
            "registered_at",
            "prescriptions_and_dispenses",
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return ("patient", "camp", "token_number", "counselling", "registered_at", "prescriptions_and_dispenses")

    @admin.display(description=_("prescriptions and dispenses"))
    def prescriptions_and_dispenses(self, visit: Visit) -> SafeString:
        rows = Prescription.objects.filter(consultation__visit=visit).select_related("medicine", "consultation__doctor")
        dispensed = Dispense.objects.filter(prescription__consultation__visit=visit).select_related("movement__batch")
        by_rx: dict[int, list[str]] = {}
        for d in dispensed:
            by_rx.setdefault(d.prescription_id, []).append(
                gettext("%(quantity)s from %(batch)s") % {"quantity": d.quantity, "batch": d.movement.batch.batch_no}
            )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    p.consultation.doctor,
                    p.medicine,
                    p.quantity,
                    p.get_status_display(),
                    ", ".join(by_rx.get(p.pk, [])) or "-",
                )
                for p in rows
            ),
        )
        heads = (_("doctor"), _("medicine"), _("quantity"), _("status"), _("dispensed"))
        head = format_html_join("", "<th>{}</th>", ((h,) for h in heads))
        return format_html("<table><tr>{}</tr>{}</table>", head, body)

    def create_via(self, request: HttpRequest, form: Any) -> Any:
        data = form.cleaned_data
        return visit_register(by=user_of(request), patient_id=data["patient"].pk, camp_id=data["camp"].pk)

    def change_via(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> Any:
        return visit_set_status(by=user_of(request), visit_id=obj.pk, status=changes["status"], loaded=obj)
