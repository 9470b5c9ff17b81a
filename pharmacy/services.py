"""The catalogue and the stock. Knows nothing of patients or prescriptions."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum, Value
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit import event_types as E
from audit.events import actor_name
from audit.history import audited, audited_save
from core.error_codes import ErrorCode
from core.errors import Conflict, DomainError, one_or_404
from core.languages import english
from pharmacy.models import Medicine, StockBatch, StockMovement
from pharmacy.selectors import usable_batches


def tidy(text: str) -> str:
    """Collapse runs of white space; names are compared ignoring case and extra spaces."""
    return " ".join(text.split())


def find_duplicate(name: str, type: str, formulation: str, exclude: int | None = None) -> Medicine | None:
    # Both sides through the database's own LOWER, the function its unique constraint uses:
    # Python's lower() folds more letters than SQLite's, and the two must agree.
    matches = Medicine.objects.annotate(n=Lower("name"), f=Lower("formulation")).filter(
        n=Lower(Value(tidy(name))), type=type, f=Lower(Value(tidy(formulation)))
    )
    if exclude is not None:
        matches = matches.exclude(pk=exclude)
    return matches.first()


def _duplicate(existing: Medicine) -> Conflict:
    return Conflict(
        f"{existing.name} {existing.formulation} ({existing.type}) already exists as medicine {existing.pk}.",
        code=ErrorCode.DUPLICATE_MEDICINE,
        extra={"existing_id": existing.pk},
    )


@transaction.atomic
def medicine_create(*, by: User | None, name: str, type: str, formulation: str, **extra: Any) -> Medicine:
    """Add a medicine to the catalogue; the same name, type and formulation is a 409."""
    existing = find_duplicate(name, type, formulation)
    if existing is not None:
        raise _duplicate(existing)
    medicine = Medicine(name=tidy(name), type=type, formulation=tidy(formulation), **extra)
    try:
        with transaction.atomic(), audited(medicine, by=by):
            medicine.save()
    except IntegrityError:  # a racing request inserted it first
        raced = find_duplicate(name, type, formulation)
        if raced is None:
            raise
        raise _duplicate(raced) from None
    return medicine


def _movement(batch: StockBatch, *, by: User | None, quantity: int, kind: str, reason: str = "") -> StockMovement:
    movement = StockMovement(batch=batch, quantity=quantity, kind=kind, reason=reason, by=by)
    audited_save(movement, by=by)
    return movement


@transaction.atomic
def batch_receive(*, by: User | None, medicine_id: int, batch_no: str, expiry_date: date, quantity: int) -> StockBatch:
    """Receive stock. A known batch number with the same expiry is topped up."""
    medicine = one_or_404(Medicine.objects, medicine_id)
    if expiry_date < timezone.localdate():
        raise DomainError(
            _("This batch has already expired; expired stock is not received."),
            params={"date": expiry_date.isoformat()},
            code=ErrorCode.BATCH_EXPIRED,
            fields={"expiry_date": [_("%(date)s is in the past.")]},
        )
    batch_no = tidy(batch_no).upper()
    batch = StockBatch.objects.select_for_update().filter(medicine=medicine, batch_no=batch_no).first()
    if batch is not None and batch.expiry_date != expiry_date:
        raise Conflict(
            _("Batch %(batch)s is already recorded with expiry %(expiry)s."),
            params={"batch": batch_no, "expiry": batch.expiry_date.isoformat()},
            code=ErrorCode.BATCH_CONFLICT,
            extra={"existing_id": batch.pk},
        )
    received = E.STOCK_TOPPED_UP if batch is not None else E.STOCK_RECEIVED
    if batch is None:
        batch = StockBatch(
            medicine=medicine,
            batch_no=batch_no,
            expiry_date=expiry_date,
            quantity_received=0,
            quantity_on_hand=0,
            received_by=by,
        )
    batch.quantity_received += quantity
    batch.quantity_on_hand += quantity
    audited_save(
        batch,
        by=by,
        event=received,
        message=f"{actor_name(by)} received {quantity} {medicine.unit} of {english(medicine)} in batch {batch_no}",
        details={**_medicine_details(medicine), "batch_no": batch_no, "quantity": quantity},
    )
    _movement(batch, by=by, quantity=quantity, kind=StockMovement.Kind.RECEIVED)
    return batch


@transaction.atomic
def batch_adjust(*, by: User | None, batch_id: int, quantity_on_hand: int, reason: str) -> StockBatch:
    """Set a batch's count after a stock-take, with the reason; the ledger records the difference."""
    batch = one_or_404(StockBatch.objects.select_for_update().select_related("medicine"), batch_id)
    if quantity_on_hand < 0:
        raise DomainError(
            _("Stock cannot go below zero."),
            code=ErrorCode.NEGATIVE_STOCK,
            fields={"quantity_on_hand": [_("Must be 0 or more.")]},
        )
    delta = quantity_on_hand - batch.quantity_on_hand
    if delta == 0:
        return batch
    batch.quantity_on_hand = quantity_on_hand
    medicine = batch.medicine
    audited_save(
        batch,
        by=by,
        event=E.STOCK_ADJUSTED,
        message=f"{actor_name(by)} adjusted batch {batch.batch_no} of {medicine.name} by {delta:+d}: {reason}",
        details={**_medicine_details(medicine), "batch_no": batch.batch_no, "reason": reason},
    )
    _movement(batch, by=by, quantity=delta, kind=StockMovement.Kind.ADJUSTED, reason=reason)
    return batch


class InsufficientStock(Conflict):
    default_code = ErrorCode.INSUFFICIENT_STOCK


def stock_take(*, by: User | None, medicine_id: int, quantity: int, reason: str = "") -> list[StockMovement]:
    """Take `quantity` of a medicine from its unexpired batches, earliest expiry first.

    Call inside a transaction: the batches are locked (SELECT ... FOR UPDATE) until it
    ends, so concurrent takers wait and never drive a batch below zero. Returns the
    movements made, one per batch touched; raises InsufficientStock when the unexpired
    stock is short, naming what is available.
    """
    batches = list(usable_batches(medicine_id).select_for_update().select_related("medicine"))
    available = sum(b.quantity_on_hand for b in batches)
    if available < quantity:
        raise _short(medicine_id, quantity, available)
    movements = []
    remaining = quantity
    for batch in batches:
        if remaining == 0:
            break
        taken = min(remaining, batch.quantity_on_hand)
        before = batch.quantity_on_hand
        batch.quantity_on_hand = before - taken
        audited_save(
            batch,
            by=by,
            update_fields=["quantity_on_hand", "updated_at"],
            event=E.STOCK_DEDUCTED,
            message=f"{actor_name(by)} took {taken} of {english(batch.medicine)} from batch {batch.batch_no} "
            f"({before} -> {before - taken})",
            details={
                **_medicine_details(batch.medicine),
                "batch_no": batch.batch_no,
                "quantity": taken,
                "before": before,
                "after": before - taken,
                "reason": reason,
            },
        )
        movements.append(_movement(batch, by=by, quantity=-taken, kind=StockMovement.Kind.DISPENSED, reason=reason))
        remaining -= taken
    return movements


def _short(medicine_id: int, quantity: int, available: int) -> InsufficientStock:
    """409 naming what is available; `stock_expired` when only expired batches could have served it."""
    medicine = Medicine.objects.filter(pk=medicine_id).first()
    name = str(medicine) if medicine else medicine_id
    expired = StockBatch.objects.filter(medicine_id=medicine_id, expiry_date__lt=timezone.localdate()).aggregate(
        n=Coalesce(Sum("quantity_on_hand"), 0)
    )["n"]
    extra = {"medicine": medicine_id, "requested": quantity, "available": available, "expired_on_hand": expired}
    if available == 0 and expired > 0:
        return InsufficientStock(
            _("All %(expired)s of %(name)s on the shelf have expired; none can be dispensed."),
            params={"expired": expired, "name": name},
            code=ErrorCode.STOCK_EXPIRED,
            extra=extra,
        )
    return InsufficientStock(
        _("Only %(available)s of %(name)s in unexpired stock; %(asked)s asked."),
        params={"available": available, "name": name, "asked": quantity},
        extra=extra,
    )


def _medicine_details(medicine: Medicine) -> dict[str, Any]:
    return {
        "medicine_id": medicine.pk,
        "medicine": medicine.name,
        "type": medicine.type,
        "formulation": medicine.formulation,
    }


@transaction.atomic
def medicine_update(*, by: User | None, medicine_id: int, **changes: Any) -> Medicine:
    """Change a medicine's catalogue entry; renaming it onto another medicine is a 409."""
    medicine = one_or_404(Medicine.objects.select_for_update(), medicine_id)
    for name, value in changes.items():
        setattr(medicine, name, tidy(value) if name in ("name", "formulation") else value)
    existing = find_duplicate(medicine.name, medicine.type, medicine.formulation, exclude=medicine.pk)
    if existing is not None:
        raise _duplicate(existing)
    audited_save(medicine, by=by)
    return medicine
