"""Reads of patient data are audited by the viewsets' read mixin, with the patient they concern."""

from __future__ import annotations

from tests.factories import PatientFactory, VisitFactory


def test_patient_retrieve_is_a_read_event_with_the_patient(client_for, audit, doctor):
    patient = PatientFactory()
    assert client_for(doctor).get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    viewed = audit.one("patient.viewed")
    assert (viewed["action"], viewed["source"]) == ("read", "route")
    assert viewed["target"] == {"type": "patient", "id": patient.pk}
    assert viewed["patient_id"] == patient.pk


def test_patient_search_is_a_read_event_with_filters_and_count(client_for, audit, volunteer):
    PatientFactory(name="Asha Kumari", area="Kothur")
    PatientFactory(name="Ravi", area="Kothur")
    response = client_for(volunteer).get("/api/v1/patients/", {"area": "kothur", "page_size": 1})
    assert response.json()["count"] == 2
    searched = audit.one("patient.searched")
    assert searched["details"] == {"filters": {"area": "kothur"}, "count": 2}


def test_a_patients_status_is_read_with_visit_and_camp(client_for, audit, volunteer):
    visit = VisitFactory()
    assert client_for(volunteer).get(f"/api/v1/patients/{visit.patient_id}/status/").status_code == 200
    event = audit.one("patient.status_viewed")
    assert (event["patient_id"], event["visit_id"], event["camp_id"]) == (visit.patient_id, visit.pk, visit.camp_id)


def test_a_filter_in_the_query_string_does_not_hide_a_record_named_by_id(client_for, volunteer):
    patient = PatientFactory(name="Asha")
    response = client_for(volunteer).get(f"/api/v1/patients/{patient.pk}/", {"name": "nobody"})
    assert response.status_code == 200 and response.json()["id"] == patient.pk
