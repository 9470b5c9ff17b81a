"""The patient, their visit to a camp (with its token), and the vitals recorded at a visit."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from audit.history import AuditedHistory, AuditedModel
from camps.models import MedicalCamp
from core.labels import loaded

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
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"

    book_no = models.CharField("book number", max_length=32, unique=True)
    name = models.CharField(max_length=200)
    age_years = models.PositiveSmallIntegerField("age (years)")
    sex = models.CharField(max_length=8, choices=Sex.choices)
    phone = models.CharField(max_length=20, blank=True)
    area = models.CharField(max_length=120)
    address = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditedHistory()
    audit_type = "patient"

    class Meta:
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
        REGISTERED = "registered", "Registered"
        VITALS_RECORDED = "vitals_recorded", "Vitals recorded"
        QUEUED = "queued", "Queued"
        IN_CONSULTATION = "in_consultation", "In consultation"
        CONSULTED = "consulted", "Consulted"
        DISPENSED = "dispensed", "Medicines dispensed"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    class Counselling(models.TextChoices):
        NOT_REQUIRED = "not_required", "Not required"
        PENDING = "pending", "Pending"
        DONE = "done", "Done"

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

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="visits")
    camp = models.ForeignKey(MedicalCamp, on_delete=models.PROTECT, related_name="visits")
    token_number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REGISTERED)
    counselling = models.CharField(max_length=16, choices=Counselling.choices, default=Counselling.NOT_REQUIRED)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    registered_at = models.DateTimeField(auto_now_add=True)
    vitals_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    consultation_started_at = models.DateTimeField(null=True, blank=True)
    consulted_at = models.DateTimeField(null=True, blank=True)
    dispensed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    history = AuditedHistory()
    audit_type = "visit"

    class Meta:
        ordering = ["camp_id", "token_number"]
        constraints = [
            models.UniqueConstraint(fields=["camp", "token_number"], name="visit_token_unique_in_camp"),
            models.UniqueConstraint(fields=["patient", "camp"], name="visit_one_per_patient_per_camp"),
        ]

    def __str__(self) -> str:
        parts = [f"Token {self.token_number}"]
        patient, camp = loaded(self, "patient"), loaded(self, "camp")
        if patient is not None:
            parts.append(patient.name)
        if camp is not None:
            parts.append(f"{camp.name} {camp.date:%d %b}")
        return ", ".join(parts)

    def audit_scope(self) -> dict[str, Any]:
        return {"patient_id": self.patient_id, "camp_id": self.camp_id, "visit_id": self.pk}

    def audit_label(self) -> str:
        return f"visit {self.pk} (token {self.token_number})"


class Vitals(AuditedModel):
    MEASURES: ClassVar[tuple[str, ...]] = (*VITAL_RANGES, "notes")  # what a volunteer records
    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="vitals")
    bp_systolic = models.PositiveSmallIntegerField("systolic BP (mmHg)")
    bp_diastolic = models.PositiveSmallIntegerField("diastolic BP (mmHg)")
    pulse = models.PositiveSmallIntegerField("pulse (per minute)")
    rbs = models.PositiveSmallIntegerField("random blood sugar (mg/dL)", null=True, blank=True)
    weight_kg = models.DecimalField("weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField("height (cm)", max_digits=4, decimal_places=1, null=True, blank=True)
    temperature_c = models.DecimalField("temperature (°C)", max_digits=3, decimal_places=1, null=True, blank=True)
    spo2 = models.PositiveSmallIntegerField("SpO2 (%)", null=True, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditedHistory()
    audit_type = "vitals"
    audit_ignore = ("id", "updated_at", "recorded_at")

    class Meta:
        verbose_name_plural = "vitals"
        ordering = ["-recorded_at"]
        constraints = [
            *[_range_check(name, low, high) for name, (low, high, _unit, _label) in VITAL_RANGES.items()],
            models.CheckConstraint(
                condition=models.Q(bp_diastolic__lt=models.F("bp_systolic")), name="vitals_diastolic_below_systolic"
            ),
        ]

    def __str__(self) -> str:
        visit = loaded(self, "visit")
        return f"Vitals of {visit}" if visit is not None else "Vitals"

    def audit_scope(self) -> dict[str, Any]:
        return self.visit.audit_scope()  # services pass the visit they loaded: no query
