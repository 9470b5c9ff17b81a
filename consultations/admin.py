from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from accounts.models import User
from accounts.permissions import user_of
from accounts.roles import ADMIN, COUNSELLOR, DOCTOR
from audit.admin import PatientTrailLink, ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin
from consultations.models import Consultation, Dispense, Prescription, QueueEntry
from consultations.services.consultation import consultation_counsel, consultation_open, consultation_update
from consultations.services.prescriptions import prescription_create, prescription_update
from consultations.services.queue import queue_assign, queue_update
from patients.models import Visit, Vitals
from patients.services import visit_register, visit_set_status


def _doctors_only(db_field: ForeignKey[Any, Any], kwargs: dict[str, Any]) -> None:
    if db_field.name == "doctor":
        kwargs["queryset"] = User.objects.filter(groups__name=DOCTOR, is_active=True).order_by("username")


class VitalsInline(ReadOnlyInline):
    model = Vitals
    fields = ("bp_systolic", "bp_diastolic", "pulse", "rbs", "weight_kg", "height_cm", "recorded_by", "recorded_at")


class QueueEntryInline(ReadOnlyInline):
    model = QueueEntry
    fields = ("doctor", "priority", "status", "queued_at", "started_at", "finished_at")


class ConsultationInline(ReadOnlyInline):
    model = Consultation
    fields = ("doctor", "chief_complaint", "diagnosis", "advice", "counselling_status")


class PrescriptionInline(ReadOnlyInline):
    model = Prescription
    fields = ("medicine", "quantity", "quantity_dispensed", "days", "time_slots", "instructions", "status")


class DispenseInline(ReadOnlyInline):
    model = Dispense
    fields = ("movement", "quantity", "dispensed_by", "dispensed_at")


@admin.register(Visit)
class VisitAdmin(PatientTrailLink, ServiceAdmin):
    list_display = ("token_number", "patient", "camp", "status", "counselling", "registered_at")
    list_filter = ("camp", "status", "counselling")
    search_fields = ("patient__book_no", "patient__name", "patient__phone")
    raw_id_fields = ("patient",)
    list_select_related = ("patient", "camp")
    inlines = (VitalsInline, QueueEntryInline, ConsultationInline)

    def trail_patient_id(self, object_id: int) -> int | None:
        return Visit.objects.filter(pk=object_id).values_list("patient_id", flat=True).first()

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

    @admin.display(description="prescriptions and dispenses")
    def prescriptions_and_dispenses(self, visit: Visit) -> SafeString:
        rows = Prescription.objects.filter(consultation__visit=visit).select_related("medicine", "consultation__doctor")
        dispensed = Dispense.objects.filter(prescription__consultation__visit=visit).select_related("movement__batch")
        by_rx: dict[int, list[str]] = {}
        for d in dispensed:
            by_rx.setdefault(d.prescription_id, []).append(f"{d.quantity} from {d.movement.batch.batch_no}")
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (p.consultation.doctor, p.medicine, p.quantity, p.status, ", ".join(by_rx.get(p.pk, [])) or "-")
                for p in rows
            ),
        )
        head = "<tr><th>doctor</th><th>medicine</th><th>quantity</th><th>status</th><th>dispensed</th></tr>"
        return format_html("<table>{}{}</table>", SafeString(head), body)

    def create_via(self, request: HttpRequest, form: Any) -> Any:
        data = form.cleaned_data
        return visit_register(by=user_of(request), patient_id=data["patient"].pk, camp_id=data["camp"].pk)

    def change_via(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> Any:
        return visit_set_status(by=user_of(request), visit_id=obj.pk, status=changes["status"])


@admin.register(QueueEntry)
class QueueEntryAdmin(ServiceAdmin):
    list_display = ("id", "token", "patient", "doctor", "priority", "status", "queued_at")
    list_filter = ("status", "priority", "doctor", "visit__camp")
    search_fields = ("visit__patient__book_no", "visit__patient__name")
    raw_id_fields = ("visit",)
    list_select_related = ("visit__patient", "doctor")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("visit", "doctor", "priority") if obj is None else ("visit", "doctor", "priority", "status")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("visit", "doctor") if obj else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        _doctors_only(db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="token")
    def token(self, entry: QueueEntry) -> int:
        return entry.visit.token_number

    @admin.display(description="patient")
    def patient(self, entry: QueueEntry) -> str:
        return str(entry.visit.patient)

    def create_via(self, request: HttpRequest, form: Any) -> Any:
        data = form.cleaned_data
        return queue_assign(
            by=user_of(request),
            visit_id=data["visit"].pk,
            doctor_id=data["doctor"].pk,
            priority=data["priority"],
        )

    def change_via(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> Any:
        return queue_update(by=user_of(request), entry_id=obj.pk, **changes)


CLINICAL = ("chief_complaint", "diagnosis", "advice")
COUNSELLING = ("counselling_status", "counselling_notes")


def _counsellor_only(user: Any) -> bool:
    return bool(user.has_role(COUNSELLOR) and not user.has_role(ADMIN, DOCTOR))


@admin.register(Consultation)
class ConsultationAdmin(ServiceAdmin):
    list_display = ("id", "visit", "doctor", "counselling_status", "created_at")
    list_filter = ("doctor", "counselling_status", "visit__camp")
    search_fields = ("visit__patient__book_no", "visit__patient__name")
    raw_id_fields = ("queue_entry",)
    list_select_related = ("visit", "doctor")
    inlines = (PrescriptionInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Consultation]:
        return super().get_queryset(request).select_related("visit", "doctor")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("queue_entry", *CLINICAL, "counselling_status")
        return ("visit", "doctor", *CLINICAL, *COUNSELLING)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        if _counsellor_only(request.user):
            return ("visit", "doctor", *CLINICAL)
        return ("visit", "doctor", "counselling_notes")

    def create_via(self, request: HttpRequest, form: Any) -> Any:
        data = dict(form.cleaned_data)
        entry = data.pop("queue_entry")
        return consultation_open(by=user_of(request), queue_entry_id=entry.pk, **data)

    def change_via(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> Any:
        if _counsellor_only(request.user):
            return consultation_counsel(
                by=user_of(request),
                consultation_id=obj.pk,
                counselling_status=changes.get("counselling_status", obj.counselling_status),
                counselling_notes=changes.get("counselling_notes"),
            )
        return consultation_update(by=user_of(request), consultation_id=obj.pk, **changes)


@admin.register(Prescription)
class PrescriptionAdmin(ServiceAdmin):
    list_display = ("id", "consultation", "medicine", "quantity", "quantity_dispensed", "status")
    list_filter = ("status", "consultation__visit__camp", "consultation__doctor")
    search_fields = ("medicine__name", "consultation__visit__patient__book_no")
    raw_id_fields = ("consultation",)
    list_select_related = ("consultation", "medicine")
    inlines = (DispenseInline,)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        editable = ("medicine", "quantity", "days", "time_slots", "instructions")
        return (
            ("consultation", *editable) if obj is None else ("consultation", *editable, "quantity_dispensed", "status")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("consultation", "quantity_dispensed", "status") if obj else ()

    def create_via(self, request: HttpRequest, form: Any) -> Any:
        data = dict(form.cleaned_data)
        consultation, medicine = data.pop("consultation"), data.pop("medicine")
        return prescription_create(
            by=user_of(request),
            consultation_id=consultation.pk,
            medicine_id=medicine.pk,
            **data,
        )

    def change_via(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> Any:
        if "medicine" in changes:
            changes["medicine"] = changes["medicine"].pk
        return prescription_update(by=user_of(request), prescription_id=obj.pk, **changes)


@admin.register(Dispense)
class DispenseAdmin(ReadOnlyAdmin):
    list_display = ("id", "prescription", "quantity", "dispensed_by", "dispensed_at")
    search_fields = ("prescription__consultation__visit__patient__book_no",)
    list_select_related = ("prescription", "dispensed_by")
