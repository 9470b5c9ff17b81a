"""Reads of the catalogue and the stock, for the API, admin and the pickup."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from pharmacy.models import Medicine, StockBatch


def medicines() -> QuerySet[Medicine]:
    """The catalogue with stock on hand, by name (API lists filter it with pharmacy.filters)."""
    return with_stock(Medicine.objects.all()).order_by("name", "formulation", "id")


def medicine_detail() -> QuerySet[Medicine]:
    """Medicines with stock on hand and their batches."""
    return with_stock(Medicine.objects.all()).prefetch_related("batches")


def batches() -> QuerySet[StockBatch]:
    return StockBatch.objects.all()


def active_medicine(medicine_id: int) -> Medicine | None:
    """A medicine that may be prescribed, or None."""
    return Medicine.objects.filter(pk=medicine_id, active=True).first()


def _usable(today: date | None = None) -> QuerySet[StockBatch]:
    """Batches that may be dispensed: not expired, something on hand, earliest expiry first."""
    today = today or timezone.localdate()
    return StockBatch.objects.filter(expiry_date__gte=today, quantity_on_hand__gt=0).order_by("expiry_date", "id")


def usable_batches(medicine_id: int, today: date | None = None) -> QuerySet[StockBatch]:
    """One medicine's batches in the order a pickup takes them."""
    return _usable(today).filter(medicine_id=medicine_id)


def first_batches(medicine_ids: list[int]) -> dict[int, StockBatch]:
    """The batch a pickup would take first, per medicine, in one query."""
    first: dict[int, StockBatch] = {}
    for batch in _usable().filter(medicine_id__in=medicine_ids):
        first.setdefault(batch.medicine_id, batch)
    return first


def low_stock() -> list[Medicine]:
    """Medicines in use whose unexpired stock is below their reorder level."""
    medicines = with_stock(Medicine.objects.filter(active=True))
    return list(medicines.filter(stock_on_hand__lt=F("reorder_level")).order_by("name", "id"))  # type: ignore[misc]


def expiring_batches(within: timedelta = timedelta(days=30)) -> list[StockBatch]:
    """Batches with stock on hand that expire within `within` (and have not yet)."""
    today = timezone.localdate()
    soon = _usable(today).filter(expiry_date__lte=today + within)
    return list(soon.select_related("medicine"))


def with_stock(medicines: QuerySet[Medicine], today: date | None = None) -> QuerySet[Medicine]:
    """Annotate stock on hand (unexpired batches only) in the same query."""
    today = today or timezone.localdate()
    unexpired = Q(batches__expiry_date__gte=today)
    return medicines.annotate(stock_on_hand=Coalesce(Sum("batches__quantity_on_hand", filter=unexpired), 0))


def stock_available(medicine_ids: list[int]) -> dict[int, int]:
    """Unexpired stock on hand per medicine, in one query."""
    rows = (
        StockBatch.objects.filter(medicine_id__in=medicine_ids, expiry_date__gte=timezone.localdate())
        .values("medicine_id")
        .annotate(n=Sum("quantity_on_hand"))
    )
    found = {row["medicine_id"]: int(row["n"] or 0) for row in rows}
    return {medicine_id: found.get(medicine_id, 0) for medicine_id in medicine_ids}


def medicine_with_stock(medicine_id: int) -> Medicine:
    """One medicine with its stock on hand (for the answer to its creation)."""
    return with_stock(Medicine.objects.filter(pk=medicine_id)).get()
