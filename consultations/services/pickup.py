"""Medicine pickup: dispensing a visit's prescriptions from stock, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit import event_types as E
from audit.events import actor_name, emit
from audit.history import audited_save
from consultations.models import Dispense, Prescription
from consultations.services.prescriptions import prescription_details
from core.error_codes import ErrorCode
from core.errors import Conflict, DomainError, about
from core.languages import english
from patients.models import Visit
from patients.services import CLOSED_VISIT, lock_visit, visit_move
from pharmacy.services import stock_take

P = Prescription.Status


@dataclass(frozen=True)
class Item:
    prescription: int
    quantity: int


@dataclass
class Served:
    prescription: Prescription
    quantity: int
    dispenses: list[Dispense]

    def as_event(self) -> dict[str, Any]:
        return {
            **prescription_details(self.prescription),
            "prescription": self.prescription.pk,
            "dispensed_now": self.quantity,
            "remaining": self.prescription.remaining,
            "batches": [{"batch": d.movement.batch_id, "quantity": d.quantity} for d in self.dispenses],
        }


@dataclass
class Pickup:
    """What one pickup handed over, and the visit as it stands afterwards."""

    visit: Visit
    served: list[Served]

    @property
    def units(self) -> int:
        return sum(s.quantity for s in self.served)


FINAL_WORDS: dict[str, Any] = {
    P.REPLACED: _("%(medicine)s was replaced by the doctor; it cannot be dispensed."),
    P.DELETED: _("%(medicine)s was withdrawn by the doctor; it cannot be dispensed."),
    P.DISPENSED: _("%(medicine)s is handed over in full already; it cannot be dispensed."),
}


def _refuse(code: ErrorCode, detail: Any, params: dict[str, Any], **extra: Any) -> Conflict:
    return Conflict(detail, params=params, code=code, extra=extra)


def _check(prescription: Prescription | None, item: Item, visit: Visit) -> Prescription:
    if prescription is None:
        raise DomainError(
            _("There is no such prescription."),
            params={"id": item.prescription},
            code=ErrorCode.INVALID,
            fields={"items": [_("Prescription %(id)s does not exist.")]},
        )
    if prescription.consultation.visit_id != visit.pk:
        raise _refuse(
            ErrorCode.PRESCRIPTION_NOT_IN_VISIT,
            _("%(medicine)s (prescription %(id)s) belongs to another visit."),
            {"medicine": str(prescription.medicine), "id": prescription.pk},
            prescription=prescription.pk,
        )
    if prescription.status != P.ACTIVE:
        status = prescription.status
        raise _refuse(
            Prescription.FINAL_CODES[status],
            FINAL_WORDS[status],
            {"medicine": str(prescription.medicine)},
            prescription=prescription.pk,
        )
    if item.quantity > prescription.remaining:
        raise _refuse(
            ErrorCode.QUANTITY_EXCEEDS_PRESCRIPTION,
            _("%(medicine)s: %(remaining)s left to hand over; %(asked)s asked."),
            {"medicine": str(prescription.medicine), "remaining": prescription.remaining, "asked": item.quantity},
            prescription=prescription.pk,
            remaining=prescription.remaining,
        )
    return prescription


@transaction.atomic
def visit_dispense(*, by: User | None, visit_id: int, items: list[Item], loaded: Visit | None = None) -> Pickup:
    """Hand over medicines for a visit; every item is served or none is.

    Stock comes from the unexpired batches of each prescription's medicine, earliest
    expiry first, rows locked until commit (pharmacy.services.stock_take). Medicines are
    taken in id order so concurrent pickups lock batches in the same order.
    """
    visit = lock_visit(visit_id, subject=True, loaded=loaded)
    with about(visit):
        return _dispense(by, visit, items)


def _dispense(by: User | None, visit: Visit, items: list[Item]) -> Pickup:
    if visit.status in CLOSED_VISIT:
        raise _refuse(
            ErrorCode.VISIT_CLOSED,
            _("Visit %(visit)s is %(status)s."),
            {"visit": visit.pk, "status": Visit.Status(visit.status).label},
        )
    ids = [item.prescription for item in items]
    if len(set(ids)) != len(ids):
        raise DomainError(
            _("Name each prescription once."),
            code=ErrorCode.INVALID,
            fields={"items": [_("A prescription appears twice.")]},
        )
    locked = {
        p.pk: p
        for p in Prescription.objects.select_for_update().select_related("consultation", "medicine").filter(pk__in=ids)
    }
    checked = [(_check(locked.get(item.prescription), item, visit), item.quantity) for item in items]
    served = []
    for prescription, quantity in sorted(checked, key=lambda pair: (pair[0].medicine_id, pair[0].pk)):
        served.append(_serve(by, visit, prescription, quantity))
    _move_visit_on(by, visit)
    return Pickup(visit, served)


def _serve(by: User | None, visit: Visit, prescription: Prescription, quantity: int) -> Served:
    reason = f"prescription {prescription.pk}, visit {visit.pk} (token {visit.token_number})"
    movements = stock_take(by=by, medicine_id=prescription.medicine_id, quantity=quantity, reason=reason)
    dispenses = []
    for movement in movements:
        dispense = Dispense(prescription=prescription, movement=movement, quantity=-movement.quantity, dispensed_by=by)
        audited_save(dispense, by=by)
        dispenses.append(dispense)
    prescription.quantity_dispensed += quantity
    if prescription.remaining == 0:
        prescription.status = P.DISPENSED
    prescription.consultation.visit = visit
    audited_save(
        prescription,
        by=by,
        event=E.PRESCRIPTION_DISPENSED,
        message=f"{actor_name(by)} handed over {quantity} x {english(prescription.medicine)} "
        f"({prescription.remaining} left) for token {visit.token_number}",
        details={
            **prescription_details(prescription),
            "dispensed_now": quantity,
            "batches": [{"batch": d.movement.batch_id, "quantity": d.quantity} for d in dispenses],
        },
    )
    return Served(prescription, quantity, dispenses)


def _move_visit_on(by: User | None, visit: Visit) -> None:
    """Once nothing prescribed is left to hand over, the visit is `dispensed`."""
    outstanding = Prescription.objects.filter(consultation__visit=visit, status=P.ACTIVE).exists()
    if not outstanding and visit.status == Visit.Status.CONSULTED:
        visit_move(by=by, visit=visit, to=Visit.Status.DISPENSED)


def log_pickup(by: User, done: Pickup, *, source: str) -> list[dict[str, Any]]:
    """The `visit.picked_up` event of a pickup (API route or admin page); returns its lines."""
    visit, lines = done.visit, [served.as_event() for served in done.served]
    emit(
        E.VISIT_PICKED_UP,
        source=source,
        target={"type": "visit", "id": visit.pk},
        scope=visit.audit_scope(),
        details={"items": lines, "units": done.units, "visit_status": visit.status},
        message=f"{actor_name(by)} dispensed {done.units} units in {len(lines)} items for token {visit.token_number}",
    )
    return lines
