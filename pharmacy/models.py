"""A medicine, a stock batch of it, and the ledger of every change to a batch's quantity."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.history import AuditedHistory, AuditedModel
from core.labels import loaded
from core.params import within_dates


def form_label(kind: str) -> Any:
    """A medicine type's label in the active language ("Tablet", "गोली"); an unknown type as stored.

    Read straight from the choices: `get_type_display` rebuilds the choices dict per call (30 us).
    """
    return Medicine.Type(kind).label if kind in Medicine.Type.values else kind


class Medicine(AuditedModel):
    class Type(models.TextChoices):
        TABLET = "tablet", _("Tablet")
        CAPSULE = "capsule", _("Capsule")
        SYRUP = "syrup", _("Syrup")
        SUSPENSION = "suspension", _("Suspension")
        INJECTION = "injection", _("Injection")
        OINTMENT = "ointment", _("Ointment")
        CREAM = "cream", _("Cream")
        DROPS = "drops", _("Drops")
        INHALER = "inhaler", _("Inhaler")
        POWDER = "powder", _("Powder")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=120)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    formulation = models.CharField(_("formulation / strength"), max_length=60, help_text=_("e.g. 500 mg, 125 mg/5 ml"))
    unit = models.CharField(
        _("unit"), max_length=20, default="unit", help_text=_("what one counted unit is: tablet, bottle, tube")
    )
    reorder_level = models.PositiveIntegerField(_("reorder level"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = AuditedHistory()
    audit_type = "medicine"

    class Meta:
        verbose_name = _("medicine")
        verbose_name_plural = _("medicines")
        ordering = ["name", "formulation"]
        constraints = [
            # Names and formulations are stored with single spaces (pharmacy.services), so this
            # refuses "Paracetamol 500 mg" twice in any case, even from two racing requests.
            models.UniqueConstraint(Lower("name"), "type", Lower("formulation"), name="medicine_unique_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.formulation} ({str(form_label(self.type)).lower()})"

    def audit_label(self) -> str:
        return f"medicine {self.name} {self.formulation}"


class StockBatch(AuditedModel):
    medicine = models.ForeignKey(Medicine, verbose_name=_("medicine"), on_delete=models.PROTECT, related_name="batches")
    batch_no = models.CharField(_("batch number"), max_length=40)
    expiry_date = models.DateField(_("expiry date"), validators=[within_dates])
    quantity_received = models.PositiveIntegerField(_("quantity received"))
    quantity_on_hand = models.IntegerField(_("quantity on hand"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), on_delete=models.PROTECT, related_name="+", null=True
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = AuditedHistory()
    audit_type = "stock_batch"

    class Meta:
        verbose_name = _("stock batch")
        verbose_name_plural = _("stock batches")
        ordering = ["expiry_date", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity_on_hand__gte=0), name="stockbatch_on_hand_not_negative"),
            models.UniqueConstraint(fields=["medicine", "batch_no"], name="stockbatch_unique_per_medicine"),
        ]
        indexes = [models.Index(fields=["medicine", "expiry_date"])]

    def __str__(self) -> str:
        medicine = loaded(self, "medicine")
        values = {"batch": self.batch_no, "medicine": medicine, "expiry": self.expiry_date.isoformat()}
        if medicine is None:
            return gettext("Batch %(batch)s (expires %(expiry)s)") % values
        return gettext("Batch %(batch)s of %(medicine)s (expires %(expiry)s)") % values

    def audit_label(self) -> str:
        return f"batch {self.batch_no}"


class StockMovement(AuditedModel):
    """The stock ledger: every change of a batch's quantity is one signed movement."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Received")
        ADJUSTED = "adjusted", _("Adjusted")
        DISPENSED = "dispensed", _("Dispensed")
        EXPIRED = "expired", _("Expired")

    batch = models.ForeignKey(StockBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="movements")
    quantity = models.IntegerField(_("quantity"), help_text=_("signed: + into stock, - out of stock"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+", null=True
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    history = AuditedHistory()
    audit_type = "stock_movement"
    audit_stream = False  # logged inside the batch's event

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-at", "-id"]
        constraints = [models.CheckConstraint(condition=~models.Q(quantity=0), name="stockmovement_not_zero")]

    def __str__(self) -> str:
        batch = loaded(self, "batch")
        change = f"{self.get_kind_display()} {self.quantity:+d}"
        return (
            change
            if batch is None
            else gettext("%(change)s of batch %(batch)s") % {"change": change, "batch": batch.batch_no}
        )

    def as_event(self) -> dict[str, Any]:
        return {"movement_id": self.pk, "kind": self.kind, "quantity": self.quantity, "reason": self.reason}
