"""A medicine, a stock batch of it, and the ledger of every change to a batch's quantity."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from audit.history import AuditedHistory, AuditedModel
from core.labels import loaded


class Medicine(AuditedModel):
    class Type(models.TextChoices):
        TABLET = "tablet", "Tablet"
        CAPSULE = "capsule", "Capsule"
        SYRUP = "syrup", "Syrup"
        SUSPENSION = "suspension", "Suspension"
        INJECTION = "injection", "Injection"
        OINTMENT = "ointment", "Ointment"
        CREAM = "cream", "Cream"
        DROPS = "drops", "Drops"
        INHALER = "inhaler", "Inhaler"
        POWDER = "powder", "Powder"
        OTHER = "other", "Other"

    name = models.CharField(max_length=120)
    type = models.CharField(max_length=16, choices=Type.choices)
    formulation = models.CharField("formulation / strength", max_length=60, help_text="e.g. 500 mg, 125 mg/5 ml")
    unit = models.CharField(max_length=20, default="unit", help_text="what one counted unit is: tablet, bottle, tube")
    reorder_level = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditedHistory()
    audit_type = "medicine"

    class Meta:
        ordering = ["name", "formulation"]
        constraints = [
            # Names and formulations are stored with single spaces (pharmacy.services), so this
            # refuses "Paracetamol 500 mg" twice in any case, even from two racing requests.
            models.UniqueConstraint(Lower("name"), "type", Lower("formulation"), name="medicine_unique_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.formulation} ({self.type})"

    def audit_label(self) -> str:
        return f"medicine {self.name} {self.formulation}"


class StockBatch(AuditedModel):
    medicine = models.ForeignKey(Medicine, on_delete=models.PROTECT, related_name="batches")
    batch_no = models.CharField("batch number", max_length=40)
    expiry_date = models.DateField()
    quantity_received = models.PositiveIntegerField()
    quantity_on_hand = models.IntegerField()
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    received_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = AuditedHistory()
    audit_type = "stock_batch"

    class Meta:
        verbose_name_plural = "stock batches"
        ordering = ["expiry_date", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity_on_hand__gte=0), name="stockbatch_on_hand_not_negative"),
            models.UniqueConstraint(fields=["medicine", "batch_no"], name="stockbatch_unique_per_medicine"),
        ]
        indexes = [models.Index(fields=["medicine", "expiry_date"])]

    def __str__(self) -> str:
        medicine = loaded(self, "medicine")
        return f"Batch {self.batch_no}{f' of {medicine}' if medicine is not None else ''} (expires {self.expiry_date})"

    def audit_label(self) -> str:
        return f"batch {self.batch_no}"


class StockMovement(AuditedModel):
    """The stock ledger: every change of a batch's quantity is one signed movement."""

    class Kind(models.TextChoices):
        RECEIVED = "received", "Received"
        ADJUSTED = "adjusted", "Adjusted"
        DISPENSED = "dispensed", "Dispensed"
        EXPIRED = "expired", "Expired"

    batch = models.ForeignKey(StockBatch, on_delete=models.PROTECT, related_name="movements")
    quantity = models.IntegerField(help_text="signed: + into stock, - out of stock")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.CharField(max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    at = models.DateTimeField(auto_now_add=True)

    history = AuditedHistory()
    audit_type = "stock_movement"
    audit_stream = False  # logged inside the batch's event

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [models.CheckConstraint(condition=~models.Q(quantity=0), name="stockmovement_not_zero")]

    def __str__(self) -> str:
        batch = loaded(self, "batch")
        return f"{self.kind} {self.quantity:+d}{f' of batch {batch.batch_no}' if batch is not None else ''}"

    def as_event(self) -> dict[str, Any]:
        return {"movement_id": self.pk, "kind": self.kind, "quantity": self.quantity, "reason": self.reason}
