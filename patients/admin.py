"""Patients and vitals in Django admin, saved through patients.services; a book number finds a trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import CharField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat
from django.http import HttpRequest

from accounts.permissions import user_of
from audit.admin import PatientTrailLink, ReadOnlyInline, ServiceAdmin
from audit.trail_admin import register_search
from audit.trail_people import register_patient_label
from patients import services
from patients.models import Patient, Visit, Vitals


class VisitInline(ReadOnlyInline):
    model = Visit
    fields = ("camp", "token_number", "status", "counselling", "registered_at")


@admin.register(Patient)
class PatientAdmin(PatientTrailLink, ServiceAdmin):
    list_display = ("book_no", "name", "age_years", "sex", "area", "phone")
    list_filter = ("sex",)
    search_fields = ("book_no", "name__folds", "phone", "area__folds")
    fields = ("book_no", "name", "age_years", "sex", "phone", "area", "address", "preferred_language")
    inlines = (VisitInline,)

    def trail_patient_id(self, record: Any) -> int | None:
        return int(record.pk)

    def create_via(self, request: HttpRequest, form: Any) -> Any:
        return services.patient_create(by=user_of(request), **form.cleaned_data)

    def change_via(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> Any:
        return services.patient_update(by=user_of(request), patient_id=obj.pk, loaded=obj, **changes)


@admin.register(Vitals)
class VitalsAdmin(ServiceAdmin):
    list_display = ("visit", "bp_systolic", "bp_diastolic", "pulse", "rbs", "recorded_by", "recorded_at")
    list_filter = ("visit__camp",)
    search_fields = ("visit__patient__book_no", "visit__patient__name__folds")
    raw_id_fields = ("visit",)
    list_select_related = ("visit__patient", "visit__camp", "recorded_by")
    fields = ("visit", *Vitals.MEASURES)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("visit",) if obj else ()

    def create_via(self, request: HttpRequest, form: Any) -> Any:
        data = dict(form.cleaned_data)
        visit = data.pop("visit")
        return services.vitals_record(by=user_of(request), visit_id=visit.pk, **data)

    def change_via(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> Any:
        return services.vitals_correct(by=user_of(request), vitals_id=obj.pk, loaded=obj, **changes)


def _book_number(term: str) -> Q | None:
    """An audit search term that is a book number finds that patient's trail (one query)."""
    found = Patient.objects.filter(book_no=services.normalize_book_no(term)).values_list("pk", flat=True).first()
    if found is None:
        return None
    return Q(patient_id=found) | Q(target_type="patient", target_id=str(found))


register_search(_book_number)


def _patient_label() -> Subquery:
    """How the auditors' screens read a patient id: "Sunita Devi (KP-114)", in the page's own query."""
    label = Concat("name", Value(" ("), "book_no", Value(")"), output_field=CharField())
    return Subquery(Patient.objects.filter(pk=OuterRef("patient_id")).annotate(label=label).values("label")[:1])


register_patient_label(_patient_label)
