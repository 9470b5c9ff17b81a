"""The queue entry, the consultation, the prescription and the dispense."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.history import AuditedHistory, AuditedModel
from core.error_codes import ErrorCode
from core.labels import loaded
from patients.models import Visit
from pharmacy.models import Medicine, StockMovement


class QueueEntry(AuditedModel):
    class Priority(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")
        EMERGENCY = "emergency", _("Emergency")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        IN_CONSULTATION = "in_consultation", _("In consultation")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

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

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.PROTECT, related_name="queue_entries")
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("doctor"), on_delete=models.PROTECT, related_name="queue_entries"
    )
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.WAITING)
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), on_delete=models.PROTECT, related_name="+", null=True
    )

    history = AuditedHistory()
    audit_type = "queue_entry"

    class Meta:
        verbose_name = _("queue entry")
        verbose_name_plural = _("queue entries")
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
        shown = visit if visit is not None else gettext("Queue entry")
        return f"{shown} ({self.get_priority_display()}, {self.get_status_display()})"

    def audit_scope(self) -> dict[str, Any]:
        return self.visit.audit_scope()


class Consultation(AuditedModel):
    class Counselling(models.TextChoices):
        NOT_REQUIRED = "not_required", _("Not required")
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.PROTECT, related_name="consultations")
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("doctor"), on_delete=models.PROTECT, related_name="consultations"
    )
    queue_entry = models.OneToOneField(
        QueueEntry,
        verbose_name=_("queue entry"),
        on_delete=models.PROTECT,
        related_name="consultation",
        null=True,
        blank=True,
    )
    chief_complaint = models.TextField(_("chief complaint"), blank=True)
    diagnosis = models.TextField(_("diagnosis"), blank=True)
    advice = models.TextField(_("advice"), blank=True)
    counselling_status = models.CharField(
        _("counselling status"), max_length=16, choices=Counselling.choices, default=Counselling.NOT_REQUIRED
    )
    counselling_notes = models.TextField(_("counselling notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = AuditedHistory()
    audit_type = "consultation"

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["visit", "doctor"], name="consultation_one_per_visit_doctor")]

    def __str__(self) -> str:
        visit = loaded(self, "visit")
        return gettext("Consultation of %(visit)s") % {"visit": visit} if visit is not None else gettext("Consultation")

    def audit_scope(self) -> dict[str, Any]:
        return self.visit.audit_scope()


class Prescription(AuditedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REPLACED = "replaced", _("Replaced")
        DISPENSED = "dispensed", _("Dispensed")
        DELETED = "deleted", _("Deleted")

    # The refusal of a change to a final prescription, by the status that made it final.
    FINAL_CODES: ClassVar[dict[str, ErrorCode]] = {
        Status.REPLACED: ErrorCode.PRESCRIPTION_REPLACED,
        Status.DISPENSED: ErrorCode.PRESCRIPTION_DISPENSED,
        Status.DELETED: ErrorCode.PRESCRIPTION_DELETED,
    }

    class Slot(models.TextChoices):
        MORNING = "morning", _("Morning")
        AFTERNOON = "afternoon", _("Afternoon")
        NIGHT = "night", _("Night")

    consultation = models.ForeignKey(
        Consultation, verbose_name=_("consultation"), on_delete=models.PROTECT, related_name="prescriptions"
    )
    medicine = models.ForeignKey(
        Medicine, verbose_name=_("medicine"), on_delete=models.PROTECT, related_name="prescriptions"
    )
    quantity = models.PositiveIntegerField(_("quantity"), help_text=_("units to hand over"))
    quantity_dispensed = models.PositiveIntegerField(_("quantity dispensed"), default=0)
    days = models.PositiveSmallIntegerField(_("days"), null=True, blank=True)
    time_slots = models.JSONField(_("time slots"), default=list, blank=True)
    instructions = models.CharField(_("instructions"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    replaces = models.OneToOneField(
        "self", verbose_name=_("replaces"), on_delete=models.PROTECT, related_name="replaced_by", null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = AuditedHistory()
    audit_type = "prescription"

    class Meta:
        verbose_name = _("prescription")
        verbose_name_plural = _("prescriptions")
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
        if medicine is None:
            return gettext("%(quantity)s units prescribed") % {"quantity": self.quantity}
        return f"{self.quantity} x {medicine}"

    @property
    def remaining(self) -> int:
        return self.quantity - self.quantity_dispensed

    def audit_scope(self) -> dict[str, Any]:
        return self.consultation.visit.audit_scope()


class Dispense(AuditedModel):
    """What was handed over against a prescription, from which batch (one row per batch)."""

    prescription = models.ForeignKey(
        Prescription, verbose_name=_("prescription"), on_delete=models.PROTECT, related_name="dispenses"
    )
    movement = models.OneToOneField(
        StockMovement, verbose_name=_("movement"), on_delete=models.PROTECT, related_name="dispense"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    dispensed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dispensed by"), on_delete=models.PROTECT, related_name="+", null=True
    )
    dispensed_at = models.DateTimeField(_("dispensed at"), auto_now_add=True)

    history = AuditedHistory()
    audit_type = "dispense"
    audit_stream = False  # logged in the pickup event and the batch's stock.deducted event

    class Meta:
        verbose_name = _("dispense")
        verbose_name_plural = _("dispenses")
        ordering = ["id"]

    def __str__(self) -> str:
        prescription = loaded(self, "prescription")
        medicine = loaded(prescription, "medicine") if prescription is not None else None
        if medicine is None:
            return gettext("%(quantity)s handed over") % {"quantity": self.quantity}
        return gettext("%(quantity)s of %(medicine)s handed over") % {"quantity": self.quantity, "medicine": medicine}
