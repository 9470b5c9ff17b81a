from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import ForeignKey, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from accounts.permissions import user_of
from accounts.roles import ADMIN, COUNSELLOR, DOCTOR
from accounts.selectors import doctors
from audit.admin import PatientTrailLink, ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin
from consultations import admin_pages
from consultations.models import Consultation, Dispense, Prescription, QueueEntry
from consultations.selectors import queue_entries
from consultations.services.consultation import consultation_counsel, consultation_open, consultation_update
from consultations.services.prescriptions import prescription_create, prescription_delete, prescription_update
from consultations.services.queue import queue_assign, queue_update
from patients.models import Visit, Vitals
from patients.services import visit_register, visit_set_status
from pharmacy.models import Medicine


def _doctors_only(db_field: ForeignKey[Any, Any], kwargs: dict[str, Any]) -> None:
    if db_field.name == "doctor":
        kwargs["queryset"] = doctors()


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


class PickupFilter(admin.SimpleListFilter):
    title = "pickup"
    parameter_name = "pickup"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("waiting", "Waiting for pickup")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(status=Visit.Status.CONSULTED) if self.value() == "waiting" else queryset


@admin.register(Visit)
class VisitAdmin(PatientTrailLink, ServiceAdmin):
    list_display = ("token_number", "patient", "camp", "status", "counselling", "registered_at", "pickup")
    list_filter = (PickupFilter, "camp", "status", "counselling")
    search_fields = ("patient__book_no", "patient__name", "patient__phone")
    raw_id_fields = ("patient",)
    list_select_related = ("patient", "camp")
    inlines = (VitalsInline, QueueEntryInline, ConsultationInline)

    def trail_patient_id(self, record: Any) -> int | None:
        return int(record.patient_id)

    @admin.display(description="pickup")
    def pickup(self, visit: Visit) -> SafeString:
        url = reverse("admin:patients_visit_pickup", args=[visit.pk])
        return format_html('<a href="{}" class="pickup-link">{}</a>', url, "Pickup")

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("desk/", view(self.desk_view), name="patients_visit_desk"),
            path("<int:visit_id>/pickup/", view(self.pickup_view), name="patients_visit_pickup"),
            path("<int:visit_id>/slip/", view(self.slip_view), name="patients_visit_slip"),
            *super().get_urls(),
        ]

    def desk_view(self, request: HttpRequest) -> HttpResponse:
        return admin_pages.desk(self, request)

    def pickup_view(self, request: HttpRequest, visit_id: int) -> HttpResponse:
        return admin_pages.pickup_page(self, request, visit_id)

    def slip_view(self, request: HttpRequest, visit_id: int) -> HttpResponse:
        return admin_pages.slip_page(self, request, visit_id)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        links = []
        if object_id.isdigit():
            links = [
                ("Pickup", reverse("admin:patients_visit_pickup", args=[object_id]), "pickup-link"),
                ("Printable slip", reverse("admin:patients_visit_slip", args=[object_id]), "slip-link"),
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
        return visit_set_status(by=user_of(request), visit_id=obj.pk, status=changes["status"], loaded=obj)


class MyQueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "mine"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1", "My open queue")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() != "1":
            return queryset
        return queryset.filter(doctor=request.user, status__in=QueueEntry.OPEN)


class DoctorFilter(admin.SimpleListFilter):
    title = "doctor"
    parameter_name = "doctor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(d.pk), d.display_name()) for d in doctors(include_inactive=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(doctor_id=int(value)) if value and value.isdigit() else queryset


@admin.register(QueueEntry)
class QueueEntryAdmin(ServiceAdmin):
    list_display = ("token", "patient", "doctor", "priority", "status", "queued_at", "next_step")
    list_filter = (MyQueueFilter, "status", "priority", DoctorFilter, "visit__camp")
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[QueueEntry]:
        opened = Consultation.objects.filter(queue_entry=OuterRef("pk")).values("pk")[:1]
        # Annotated before ordering: the ordering of a doctor's queue uses the rank.
        entries = queue_entries().annotate(consultation_id=Subquery(opened))
        return entries.order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest) -> list[str]:
        # A doctor's queue: emergency, urgent, normal, then arrival.
        return ["rank", "queued_at", "id"] if request.GET.get("mine") == "1" else ["-id"]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        user = request.user
        if not request.GET and user.has_role(DOCTOR) and not user.has_role(ADMIN):  # type: ignore[union-attr]
            return HttpResponseRedirect(f"{request.path}?mine=1")  # a doctor's queue opens on their own
        return super().changelist_view(request, extra_context)

    def get_urls(self) -> list[URLPattern]:
        start = path(
            "<int:entry_id>/start/",
            self.admin_site.admin_view(admin_pages.start),
            name="consultations_queueentry_start",
        )
        return [start, *super().get_urls()]

    @admin.display(description="")
    def next_step(self, entry: Any) -> SafeString | str:
        if entry.consultation_id:
            url = reverse("admin:consultations_consultation_change", args=[entry.consultation_id])
            return format_html('<a href="{}" class="open-consultation">Open consultation</a>', url)
        if entry.status == QueueEntry.Status.WAITING:
            url = reverse("admin:consultations_queueentry_start", args=[entry.pk])
            return format_html(
                '<button type="submit" form="queue-action" formaction="{}" class="start">Start</button>', url
            )
        return ""

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
        return queue_update(by=user_of(request), entry_id=obj.pk, loaded=obj, **changes)


class PrescriptionForm(forms.ModelForm):  # type: ignore[type-arg]
    time_slots = forms.MultipleChoiceField(
        choices=Prescription.Slot.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Prescription
        fields = ("medicine", "quantity", "days", "time_slots", "instructions")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        medicine = self.fields["medicine"]
        assert isinstance(medicine, forms.ModelChoiceField)
        medicine.queryset = Medicine.objects.filter(active=True).order_by("name", "formulation")

    def clean_time_slots(self) -> list[str]:
        order = [slot.value for slot in Prescription.Slot]
        return sorted(self.cleaned_data["time_slots"], key=order.index)


class PrescriptionEditInline(admin.TabularInline):  # type: ignore[type-arg]
    """The doctor writes, changes (a new medicine replaces) and withdraws prescriptions here."""

    model = Prescription
    form = PrescriptionForm
    extra = 1
    verbose_name_plural = "prescriptions (active)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Prescription]:
        active = Prescription.Status.ACTIVE
        return super().get_queryset(request).filter(status=active, quantity_dispensed=0).select_related("medicine")


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
    inlines = (PrescriptionEditInline,)  # replaced and withdrawn ones: the visit's page and History

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(admin_pages.complete)
        return [
            path("<int:consultation_id>/complete/", view, name="consultations_consultation_complete"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        entry = QueueEntry.objects.filter(consultation__pk=int(object_id)).first() if object_id.isdigit() else None
        if (
            entry is not None
            and entry.status == QueueEntry.Status.IN_CONSULTATION
            and self.has_change_permission(request)
        ):
            extra["complete_url"] = reverse("admin:consultations_consultation_complete", args=[object_id])
        return super().change_view(request, object_id, form_url, extra)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Prescription:
            return super().save_formset(request, form, formset, change)
        by, consultation = user_of(request), form.instance
        # What Django's change message reads from a saved formset.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            if row in formset.deleted_forms:
                if row.instance.pk:
                    withdrawn = prescription_delete(by=by, prescription_id=row.instance.pk)
                    formset.deleted_objects.append(withdrawn)
            elif row.has_changed() and row.instance.pk is None:
                data = {k: v for k, v in row.cleaned_data.items() if k in PrescriptionForm.Meta.fields}
                medicine = data.pop("medicine")
                written = prescription_create(by=by, consultation_id=consultation.pk, medicine_id=medicine.pk, **data)
                formset.new_objects.append(written)
            elif row.has_changed():
                changes = {k: row.cleaned_data[k] for k in row.changed_data if k in PrescriptionForm.Meta.fields}
                if "medicine" in changes:
                    changes["medicine"] = changes["medicine"].pk
                changed = prescription_update(by=by, prescription_id=row.instance.pk, **changes)
                formset.changed_objects.append((changed, list(changes)))
        return None

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
                loaded=obj,
            )
        return consultation_update(by=user_of(request), consultation_id=obj.pk, loaded=obj, **changes)


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
