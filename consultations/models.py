"""The queue entry, the consultation, the prescription and the dispense."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from audit.history import AuditedHistory, AuditedModel
from core.error_codes import ErrorCode
from core.labels import loaded
from patients.models import Visit
from pharmacy.models import Medicine, StockMovement


class QueueEntry(AuditedModel):
    class Priority(models.TextChoices):
        NORMAL = "normal", "Normal"
        URGENT = "urgent", "Urgent"
        EMERGENCY = "emergency", "Emergency"

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        IN_CONSULTATION = "in_consultation", "In consultation"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    S = Status
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        S.WAITING: frozenset({S.IN_CONSULTATION, S.CANCELLED}),
        S.IN_CONSULTATION: frozenset({S.COMPLETED, S.WAITING}),
        S.COMPLETED: frozenset(),
        S.CANCELLED: frozenset(),
    }
    P = Priority
    # Priority moves freely while the entry is open; a closed entry refuses every change.
    PRIORITY_TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        P.NORMAL: frozenset({P.URGENT, P.EMERGENCY}),
        P.URGENT: frozenset({P.NORMAL, P.EMERGENCY}),
        P.EMERGENCY: frozenset({P.NORMAL, P.URGENT}),
    }
    PRIORITY_RANK: ClassVar[dict[str, int]] = {P.EMERGENCY: 0, P.URGENT: 1, P.NORMAL: 2}
    OPEN: ClassVar[tuple[str, ...]] = (S.WAITING, S.IN_CONSULTATION)

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="queue_entries")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="queue_entries")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)

    history = AuditedHistory()
    audit_type = "queue_entry"

    class Meta:
        verbose_name_plural = "queue entries"
        ordering = ["queued_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "doctor"],
                condition=models.Q(status__in=["waiting", "in_consultation"]),
                name="queue_one_open_entry_per_visit_and_doctor",
            )
        ]
        indexes = [models.Index(fields=["doctor", "status"])]

    def __str__(self) -> str:
        visit = loaded(self, "visit")
        return f"{visit if visit is not None else 'Queue entry'} ({self.priority}, {self.status})"

    def audit_scope(self) -> dict[str, Any]:
        return self.visit.audit_scope()


class Consultation(AuditedModel):
    class Counselling(models.TextChoices):
        NOT_REQUIRED = "not_required", "Not required"
        PENDING = "pending", "Pending"
        DONE = "done", "Done"

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="consultations")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultations")
    queue_entry = models.OneToOneField(
        QueueEntry, on_delete=models.PROTECT, related_name="consultation", null=True, blank=True
    )
    chief_complaint = models.TextField(blank=True)
    diagnosis = models.TextField(blank=True)
    advice = models.TextField(blank=True)
    counselling_status = models.CharField(max_length=16, choices=Counselling.choices, default=Counselling.NOT_REQUIRED)
    counselling_notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditedHistory()
    audit_type = "consultation"

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["visit", "doctor"], name="consultation_one_per_visit_doctor")]

    def __str__(self) -> str:
        visit = loaded(self, "visit")
        return f"Consultation of {visit}" if visit is not None else "Consultation"

    def audit_scope(self) -> dict[str, Any]:
        return self.visit.audit_scope()


class Prescription(AuditedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        REPLACED = "replaced", "Replaced"
        DISPENSED = "dispensed", "Dispensed"
        DELETED = "deleted", "Deleted"

    # The refusal of a change to a final prescription, by the status that made it final.
    FINAL_CODES: ClassVar[dict[str, ErrorCode]] = {
        Status.REPLACED: ErrorCode.PRESCRIPTION_REPLACED,
        Status.DISPENSED: ErrorCode.PRESCRIPTION_DISPENSED,
        Status.DELETED: ErrorCode.PRESCRIPTION_DELETED,
    }

    class Slot(models.TextChoices):
        MORNING = "morning", "Morning"
        AFTERNOON = "afternoon", "Afternoon"
        NIGHT = "night", "Night"

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="prescriptions")
    medicine = models.ForeignKey(Medicine, on_delete=models.PROTECT, related_name="prescriptions")
    quantity = models.PositiveIntegerField(help_text="units to hand over")
    quantity_dispensed = models.PositiveIntegerField(default=0)
    days = models.PositiveSmallIntegerField(null=True, blank=True)
    time_slots = models.JSONField(default=list, blank=True)
    instructions = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, related_name="replaced_by", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditedHistory()
    audit_type = "prescription"

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="prescription_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(quantity_dispensed__lte=models.F("quantity")),
                name="prescription_not_over_dispensed",
            ),
        ]

    def __str__(self) -> str:
        medicine = loaded(self, "medicine")
        return f"{self.quantity} x {medicine}" if medicine is not None else f"{self.quantity} units prescribed"

    @property
    def remaining(self) -> int:
        return self.quantity - self.quantity_dispensed

    def audit_scope(self) -> dict[str, Any]:
        return self.consultation.visit.audit_scope()


class Dispense(AuditedModel):
    """What was handed over against a prescription, from which batch (one row per batch)."""

    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="dispenses")
    movement = models.OneToOneField(StockMovement, on_delete=models.PROTECT, related_name="dispense")
    quantity = models.PositiveIntegerField()
    dispensed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    dispensed_at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistory()
    audit_type = "dispense"
    audit_stream = False  # logged in the pickup event and the batch's stock.deducted event

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        prescription = loaded(self, "prescription")
        medicine = loaded(prescription, "medicine") if prescription is not None else None
        return f"{self.quantity} of {medicine} handed over" if medicine is not None else f"{self.quantity} handed over"
