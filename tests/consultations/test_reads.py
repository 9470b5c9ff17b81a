"""Reads of queue entries, consultations, prescriptions and visits name the patient they concern."""

from __future__ import annotations

from tests.factories import ConsultationFactory, PrescriptionFactory, QueueEntryFactory


def _scope(event):
    return {k: event.get(k) for k in ("patient_id", "visit_id", "camp_id")}


def test_queue_entry_retrieve_and_queue_list_are_read_events(client_for, audit, doctor):
    entry = QueueEntryFactory(doctor=doctor)
    visit = entry.visit
    api = client_for(doctor)
    assert api.get(f"/api/v1/queue/{entry.pk}/").status_code == 200
    viewed = audit.one("queue_entry.viewed")
    assert viewed["target"] == {"type": "queue_entry", "id": entry.pk}
    assert _scope(viewed) == {"patient_id": visit.patient_id, "visit_id": visit.pk, "camp_id": visit.camp_id}
    assert api.get("/api/v1/queue/", {"patient": visit.patient_id}).status_code == 200
    listed = audit.one("queue.viewed")
    assert listed["patient_id"] == visit.patient_id and listed["details"]["count"] == 1


def test_consultation_and_prescription_reads_carry_the_patient(client_for, audit, doctor):
    prescription = PrescriptionFactory(consultation=ConsultationFactory(doctor=doctor))
    visit = prescription.consultation.visit
    api = client_for(doctor)
    assert api.get(f"/api/v1/consultations/{prescription.consultation_id}/").status_code == 200
    assert _scope(audit.one("consultation.viewed"))["patient_id"] == visit.patient_id
    assert api.get(f"/api/v1/prescriptions/{prescription.pk}/").status_code == 200
    viewed = audit.one("prescription.viewed")
    assert viewed["target"] == {"type": "prescription", "id": prescription.pk}
    assert _scope(viewed) == {"patient_id": visit.patient_id, "visit_id": visit.pk, "camp_id": visit.camp_id}


def test_visit_retrieve_and_patient_consultations_are_read_events(client_for, audit, doctor):
    consultation = ConsultationFactory(doctor=doctor)
    visit = consultation.visit
    api = client_for(doctor)
    assert api.get(f"/api/v1/visits/{visit.pk}/").status_code == 200
    assert _scope(audit.one("visit.viewed"))["patient_id"] == visit.patient_id
    assert api.get(f"/api/v1/patients/{visit.patient_id}/consultations/").status_code == 200
    listed = audit.one("patient.consultations_viewed")
    assert (listed["patient_id"], listed["details"]) == (visit.patient_id, {"count": 1})
