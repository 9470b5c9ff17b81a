"""Prescriptions in Django admin: the doctor's inline on the consultation, their own list, dispenses.

The inline shows only the active, undispensed prescriptions (what the doctor may
still change); replaced and withdrawn ones are on the visit's page and in History.
Every save goes through consultations.services.prescriptions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.permissions import user_of
from audit.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin
from consultations.models import Dispense, Prescription
from consultations.services.prescriptions import prescription_create, prescription_delete, prescription_update
from core.forms import BoundedJSONField
from pharmacy.models import Medicine


class DispenseInline(ReadOnlyInline):
    model = Dispense
    fields = ("movement", "quantity", "dispensed_by", "dispensed_at")


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
    verbose_name_plural = _("prescriptions (active)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Prescription]:
        active = Prescription.Status.ACTIVE
        return super().get_queryset(request).filter(status=active, quantity_dispensed=0).select_related("medicine")


def save_prescription_rows(by: Any, consultation: Any, formset: Any) -> None:
    """Each row of the inline through its service: a new one, a change, a withdrawal."""
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


@admin.register(Prescription)
class PrescriptionAdmin(ServiceAdmin):
    list_display = ("id", "consultation", "medicine", "quantity", "quantity_dispensed", "status")
    list_filter = ("status", "consultation__visit__camp", "consultation__doctor")
    search_fields = ("medicine__name", "consultation__visit__patient__book_no")
    raw_id_fields = ("consultation",)
    list_select_related = ("consultation__visit__patient", "consultation__visit__camp", "medicine")
    inlines = (DispenseInline,)
    # time_slots typed as JSON: bounded as the API's bodies are (core.forms)
    formfield_overrides = {models.JSONField: {"form_class": BoundedJSONField}}

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
    list_select_related = ("prescription__medicine", "dispensed_by")
