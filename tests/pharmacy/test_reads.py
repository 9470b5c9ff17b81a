"""Reads of the catalogue and stock are audited by the viewsets' read mixin."""

from __future__ import annotations

from tests.factories import MedicineFactory, StockBatchFactory


def test_medicine_list_retrieve_and_batch_are_read_events(client_for, audit, pharmacist):
    medicine = MedicineFactory(name="Paracetamol")
    batch = StockBatchFactory(medicine=medicine)
    api = client_for(pharmacist)
    assert api.get("/api/v1/medicines/", {"search": "parac"}).status_code == 200
    assert audit.one("medicine.searched")["details"] == {"filters": {"search": "parac"}, "count": 1}
    assert api.get(f"/api/v1/medicines/{medicine.pk}/").status_code == 200
    assert audit.one("medicine.viewed")["target"] == {"type": "medicine", "id": medicine.pk}
    assert api.get(f"/api/v1/batches/{batch.pk}/").status_code == 200
    viewed = audit.one("stock_batch.viewed")
    assert (viewed["action"], viewed["target"]) == ("read", {"type": "stock_batch", "id": batch.pk})
