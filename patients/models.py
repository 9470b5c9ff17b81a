"""The patient, their visit to a camp (with its token), and the vitals recorded at a visit."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.dates import MONTHS_3
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.history import AuditedHistory, AuditedModel
from camps.models import MedicalCamp
from core.labels import loaded
from core.languages import LanguageField

# Ranges a volunteer may record (domain.md); the serializer explains, the database enforces.
VITAL_RANGES: dict[str, tuple[int, int, str, str]] = {
    "bp_systolic": (70, 250, "mmHg", "Systolic blood pressure"),
    "bp_diastolic": (40, 150, "mmHg", "Diastolic blood pressure"),
    "pulse": (30, 220, "beats per minute", "Pulse"),
    "rbs": (20, 1000, "mg/dL", "Random blood sugar"),
    "weight_kg": (1, 500, "kg", "Weight"),
    "height_cm": (50, 275, "cm", "Height"),
    "temperature_c": (30, 45, "°C", "Temperature"),
    "spo2": (50, 100, "%", "SpO2"),
}


# Only blood pressure and pulse are required at the desk: many camps have no glucometer strips,
# scale or stadiometer for everyone (a relaxation of the API: these may be sent, or not).
OPTIONAL_VITALS = ("rbs", "weight_kg", "height_cm", "temperature_c", "spo2")


def _range_check(name: str, low: int, high: int) -> models.CheckConstraint:
    condition = models.Q(**{f"{name}__gte": low, f"{name}__lte": high})
    if name in OPTIONAL_VITALS:
        condition |= models.Q(**{f"{name}__isnull": True})
    return models.CheckConstraint(condition=condition, name=f"vitals_{name}_in_range")


class Patient(AuditedModel):
    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")

    book_no = models.CharField(_("book number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    age_years = models.PositiveSmallIntegerField(_("age (years)"))
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    area = models.CharField(_("area"), max_length=120)
    address = models.TextField(_("address"), blank=True)
    # Asked at the desk (the camp's language unless the patient says otherwise): the slip's language.
    preferred_language = LanguageField(_("preferred language"), blank=True, default="", db_default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = AuditedHistory()
    audit_type = "patient"

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name"]), models.Index(fields=["area"]), models.Index(fields=["phone"])]
        constraints = [models.CheckConstraint(condition=models.Q(age_years__lte=130), name="patient_age_plausible")]

    def __str__(self) -> str:
        return f"{self.name} ({self.book_no})"

    def audit_scope(self) -> dict[str, Any]:
        return {"patient_id": self.pk}

    def audit_label(self) -> str:
        return f"patient {self.book_no}"


class Visit(AuditedModel):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        VITALS_RECORDED = "vitals_recorded", _("Vitals recorded")
        QUEUED = "queued", _("Queued")
        IN_CONSULTATION = "in_consultation", _("In consultation")
        CONSULTED = "consulted", _("Consulted")
        DISPENSED = "dispensed", _("Medicines dispensed")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Counselling(models.TextChoices):
        NOT_REQUIRED = "not_required", _("Not required")
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")

    S = Status
    # A visit may go back to the queue for another doctor after a consultation.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        S.REGISTERED: frozenset({S.VITALS_RECORDED, S.QUEUED, S.CANCELLED}),
        S.VITALS_RECORDED: frozenset({S.QUEUED, S.CANCELLED}),
        S.QUEUED: frozenset({S.IN_CONSULTATION, S.CANCELLED}),
        S.IN_CONSULTATION: frozenset({S.CONSULTED, S.QUEUED}),
        S.CONSULTED: frozenset({S.QUEUED, S.IN_CONSULTATION, S.DISPENSED, S.COMPLETED}),
        S.DISPENSED: frozenset({S.COMPLETED}),
        S.COMPLETED: frozenset(),
        S.CANCELLED: frozenset(),
    }
    # The timestamp each stage sets when first reached.
    STAGE_TIMES: ClassVar[dict[str, str]] = {
        S.VITALS_RECORDED: "vitals_at",
        S.QUEUED: "queued_at",
        S.IN_CONSULTATION: "consultation_started_at",
        S.CONSULTED: "consulted_at",
        S.DISPENSED: "dispensed_at",
        S.COMPLETED: "completed_at",
        S.CANCELLED: "cancelled_at",
    }

    patient = models.ForeignKey(Patient, verbose_name=_("patient"), on_delete=models.PROTECT, related_name="visits")
    camp = models.ForeignKey(MedicalCamp, verbose_name=_("camp"), on_delete=models.PROTECT, related_name="visits")
    token_number = models.PositiveIntegerField(_("token number"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED)
    counselling = models.CharField(
        _("counselling"), max_length=16, choices=Counselling.choices, default=Counselling.NOT_REQUIRED
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    vitals_at = models.DateTimeField(_("vitals at"), null=True, blank=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    consultation_started_at = models.DateTimeField(_("consultation started at"), null=True, blank=True)
    consulted_at = models.DateTimeField(_("consulted at"), null=True, blank=True)
    dispensed_at = models.DateTimeField(_("dispensed at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    history = AuditedHistory()
    audit_type = "visit"

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["camp_id", "token_number"]
        constraints = [
            models.UniqueConstraint(fields=["camp", "token_number"], name="visit_token_unique_in_camp"),
            models.UniqueConstraint(fields=["patient", "camp"], name="visit_one_per_patient_per_camp"),
        ]

    def __str__(self) -> str:
        parts = [gettext("Token %(number)s") % {"number": self.token_number}]
        patient, camp = loaded(self, "patient"), loaded(self, "camp")
        if patient is not None:
            parts.append(patient.name)
        if camp is not None:
            # Django's 'j M', without DateFormat's cost (this name is written into events)
            parts.append(f"{camp.name} {camp.date.day} {str(MONTHS_3[camp.date.month]).title()}")
        return ", ".join(parts)

    def audit_scope(self) -> dict[str, Any]:
        return {"patient_id": self.patient_id, "camp_id": self.camp_id, "visit_id": self.pk}

    def audit_label(self) -> str:
        return f"visit {self.pk} (token {self.token_number})"


class Vitals(AuditedModel):
    MEASURES: ClassVar[tuple[str, ...]] = (*VITAL_RANGES, "notes")  # what a volunteer records
    visit = models.OneToOneField(Visit, verbose_name=_("visit"), on_delete=models.PROTECT, related_name="vitals")
    bp_systolic = models.PositiveSmallIntegerField(_("systolic BP (mmHg)"))
    bp_diastolic = models.PositiveSmallIntegerField(_("diastolic BP (mmHg)"))
    pulse = models.PositiveSmallIntegerField(_("pulse (per minute)"))
    rbs = models.PositiveSmallIntegerField(_("random blood sugar (mg/dL)"), null=True, blank=True)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=5, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField(_("height (cm)"), max_digits=4, decimal_places=1, null=True, blank=True)
    temperature_c = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField(_("SpO2 (%)"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+", null=True
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = AuditedHistory()
    audit_type = "vitals"
    audit_ignore = ("id", "updated_at", "recorded_at")

    class Meta:
        verbose_name = _("vitals")
        verbose_name_plural = _("vitals")
        ordering = ["-recorded_at"]
        constraints = [
            *[_range_check(name, low, high) for name, (low, high, _unit, _label) in VITAL_RANGES.items()],
            models.CheckConstraint(
                condition=models.Q(bp_diastolic__lt=models.F("bp_systolic")), name="vitals_diastolic_below_systolic"
            ),
        ]

    def __str__(self) -> str:
        visit = loaded(self, "visit")
        return gettext("Vitals of %(visit)s") % {"visit": visit} if visit is not None else gettext("Vitals")

    def audit_scope(self) -> dict[str, Any]:
        return self.visit.audit_scope()  # services pass the visit they loaded: no query
