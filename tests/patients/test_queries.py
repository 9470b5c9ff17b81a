"""List endpoints keep one query count as their rows grow."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CampFactory, PatientFactory, VisitFactory, VitalsFactory


def count_queries(api, url):
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_patient_search_query_count_does_not_grow(client_for, volunteer):
    api = client_for(volunteer)
    PatientFactory.create_batch(3, area="Kothur")
    small = count_queries(api, "/api/v1/patients/?area=kothur")
    PatientFactory.create_batch(40, area="Kothur")
    assert count_queries(api, "/api/v1/patients/?area=kothur") == small


def test_vitals_history_query_count_does_not_grow(client_for, doctor):
    api = client_for(doctor)
    patient = PatientFactory()
    VitalsFactory(visit=VisitFactory(patient=patient))
    small = count_queries(api, f"/api/v1/patients/{patient.pk}/vitals/")
    for _ in range(8):
        VitalsFactory(visit=VisitFactory(patient=patient))
    assert count_queries(api, f"/api/v1/patients/{patient.pk}/vitals/") == small


def test_camp_list_query_count_does_not_grow(client_for, volunteer):
    api = client_for(volunteer)
    CampFactory.create_batch(2)
    small = count_queries(api, "/api/v1/camps/")
    CampFactory.create_batch(20)
    assert count_queries(api, "/api/v1/camps/") == small
