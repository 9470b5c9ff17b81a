"""The queue and the consultation in Django admin: what the doctor works in all day.

Registers QueueEntry (the doctor's "My queue", assignment and priority) and
Consultation (notes, counselling, and the prescriptions inline). The visit's
pages are in consultations.admin_visits, prescriptions in
consultations.admin_prescriptions; importing them here registers them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import ForeignKey, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.permissions import user_of
from accounts.roles import ADMIN, COUNSELLOR, DOCTOR
from accounts.selectors import doctors
from audit.admin import ServiceAdmin
from audit.catalogue import Kind
from audit.event_types import EVENTS
from audit.refusals import log_domain_refusal
from consultations import admin_pages, admin_reports, admin_visits, patient_panel
from consultations.admin_prescriptions import PrescriptionEditInline, save_prescription_rows
from consultations.camp_day import minutes_since
from consultations.models import Consultation, Prescription, QueueEntry
from consultations.selectors import queue_entries
from consultations.services.consultation import (
    consultation_complete,
    consultation_counsel,
    consultation_open,
    consultation_update,
)
from consultations.services.queue import queue_assign, queue_update
from core.errors import DomainError
from patients.flags import flagged


def _doctors_only(db_field: ForeignKey[Any, Any], kwargs: dict[str, Any]) -> None:
    if db_field.name == "doctor":
        kwargs["queryset"] = doctors()


# The sex as a nurse writes it short ("F", "म", "స్త్రీ"): a label's first character can split a syllable.
SEX_SHORT = {
    "female": pgettext_lazy("sex, written short", "F"),
    "male": pgettext_lazy("sex, written short", "M"),
    "other": pgettext_lazy("sex, written short", "O"),
}


class MyQueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "mine"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        # Only a doctor has a queue of their own; for anyone else it would be an empty list.
        return [("1", gettext("My open queue"))] if request.user.has_role(DOCTOR) else []  # type: ignore[union-attr]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() != "1":
            return queryset
        return queryset.filter(doctor=request.user, status__in=QueueEntry.OPEN)


class DoctorFilter(admin.SimpleListFilter):
    title = _("doctor")
    parameter_name = "doctor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(d.pk), d.display_name()) for d in doctors(include_inactive=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(doctor_id=int(value)) if value and value.isdigit() else queryset


@admin.register(QueueEntry)
class QueueEntryAdmin(ServiceAdmin):
    list_display = ("token", "patient", "vitals", "waited", "priority", "doctor", "status", "next_step")
    list_filter = (MyQueueFilter, "status", "priority", DoctorFilter, "visit__camp")
    search_fields = ("visit__patient__book_no", "visit__patient__name__folds")
    raw_id_fields = ("visit",)
    list_select_related = ("visit__patient", "doctor")

    def get_list_display(self, request: HttpRequest) -> Any:
        if request.GET.get("mine") == "1":  # a doctor's own open queue: every row theirs, every row open
            return ("token", "patient", "vitals", "waited", "priority", "next_step")
        return self.list_display

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
        # queue_entries() selects related rows already, so Django ignores list_select_related: say it here.
        entries = queue_entries().select_related("visit__vitals").annotate(consultation_id=Subquery(opened))
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
            return format_html(
                '<a href="{}" class="open-consultation" title="{}">'
                '<span class="wide-only">{}</span><span class="phone-only">{}</span></a>',
                url,
                gettext("Open consultation"),
                gettext("Open consultation"),
                gettext("Open"),
            )
        if entry.status == QueueEntry.Status.WAITING:
            url = reverse("admin:consultations_queueentry_start", args=[entry.pk])
            return format_html(
                '<button type="submit" form="queue-action" formaction="{}" class="start">{}</button>',
                url,
                gettext("Start"),
            )
        return ""

    @admin.display(description=_("token"))
    def token(self, entry: QueueEntry) -> int:
        return entry.visit.token_number

    @admin.display(description=_("patient"))
    def patient(self, entry: QueueEntry) -> SafeString:
        person = entry.visit.patient
        urgent = "" if entry.priority == QueueEntry.Priority.NORMAL else entry.get_priority_display().upper()
        return format_html(
            '<span class="nowrap">{}</span> <span class="who">{} {} <strong class="priority">{}</strong></span>',
            person.name,
            person.age_years,
            SEX_SHORT.get(person.sex, ""),
            urgent,
        )

    @admin.display(description=_("vitals"))
    def vitals(self, entry: QueueEntry) -> str:
        taken = getattr(entry.visit, "vitals", None)
        if taken is None:
            return gettext("no vitals")
        return ", ".join(flag.shown(taken) for flag in flagged(taken)) or gettext("normal")

    @admin.display(description=_("waited"))
    def waited(self, entry: QueueEntry) -> str:
        if entry.status not in QueueEntry.OPEN or entry.queued_at is None:
            return "-"
        return gettext("%(minutes)s min") % {"minutes": minutes_since(entry.queued_at)}

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


CLINICAL = ("chief_complaint", "diagnosis", "advice")
ABOUT_THE_PATIENT = ("patient", "todays_vitals", "earlier_visits")
COUNSELLING = ("counselling_status", "counselling_notes")


def _counsellor_only(user: Any) -> bool:
    return bool(user.has_role(COUNSELLOR) and not user.has_role(ADMIN, DOCTOR))


@admin.register(Consultation)
class ConsultationAdmin(ServiceAdmin):
    list_display = ("id", "visit", "doctor", "counselling_status", "created_at")
    list_filter = ("doctor", "counselling_status", "visit__camp")
    search_fields = ("visit__patient__book_no", "visit__patient__name__folds")
    raw_id_fields = ("queue_entry",)
    list_select_related = ("visit", "doctor")
    inlines = (PrescriptionEditInline,)  # replaced and withdrawn ones: the visit's page and History

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        entry = QueueEntry.objects.filter(consultation__pk=int(object_id)).first() if object_id.isdigit() else None
        extra["can_complete"] = (
            entry is not None
            and entry.status == QueueEntry.Status.IN_CONSULTATION
            and self.has_change_permission(request)
            and not _counsellor_only(request.user)
        )
        return super().change_view(request, object_id, form_url, extra)

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        """ "Save and complete": the form and its prescriptions are saved by now; then the visit moves on."""
        if "_complete" not in request.POST:
            return super().response_change(request, obj)
        try:
            consultation, nothing = consultation_complete(by=user_of(request), consultation_id=obj.pk)
        except DomainError as exc:
            log_domain_refusal(exc, EVENTS.attempt("queue_entry", Kind.UPDATE), source="admin", record=obj)
            self.message_user(
                request, gettext("Saved, but not completed: %(why)s") % {"why": exc.detail}, messages.ERROR
            )
            return HttpResponseRedirect(request.path)
        visit = consultation.visit
        values = {"token": visit.token_number, "patient": visit.patient.name}
        if nothing:
            done = gettext(
                "Saved and completed token %(token)s (%(patient)s): nothing to dispense: the visit is completed."
            )
        else:
            done = gettext("Saved and completed token %(token)s (%(patient)s): the patient goes to the pharmacy.")
        done = done % values
        self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:consultations_queueentry_changelist") + "?mine=1")

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Prescription:
            return super().save_formset(request, form, formset, change)
        save_prescription_rows(user_of(request), form.instance, formset)
        return None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Consultation]:
        return super().get_queryset(request).select_related("visit__patient", "visit__camp", "doctor")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("queue_entry", *CLINICAL, "counselling_status")
        return (*ABOUT_THE_PATIENT, "doctor", *CLINICAL, *COUNSELLING)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        if _counsellor_only(request.user):
            return (*ABOUT_THE_PATIENT, "doctor", *CLINICAL)
        return (*ABOUT_THE_PATIENT, "doctor", "counselling_notes")

    @admin.display(description=_("patient"))
    def patient(self, consultation: Consultation) -> SafeString:
        return patient_panel.header(consultation)

    @admin.display(description=_("today's vitals"))
    def todays_vitals(self, consultation: Consultation) -> SafeString:
        return patient_panel.todays_vitals(consultation.visit)

    @admin.display(description=_("earlier visits"))
    def earlier_visits(self, consultation: Consultation) -> SafeString:
        return patient_panel.earlier_visits(consultation.visit)

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


__all__ = ["ConsultationAdmin", "QueueEntryAdmin", "admin_reports", "admin_visits"]
