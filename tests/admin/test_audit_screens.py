"""The auditors' screens: read-only for everyone, a patient's trail, CSV export, fixed query counts."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext

from audit.chain import seal_pending
from audit.models import AuditEvent
from patients import services as patient_services
from tests.factories import PatientFactory, UserFactory, VisitFactory

pytestmark = pytest.mark.django_db
EVENTS = "/admin/audit/auditevent/"


def signed_in(role: str, **kwargs) -> Client:
    client = Client()
    client.force_login(UserFactory(roles=[role], **kwargs))
    return client


def touch(patient, times: int) -> None:
    admin = UserFactory(roles=["admin"])
    for i in range(times):
        patient_services.patient_update(by=admin, patient_id=patient.pk, area=f"Ward {i}")


def test_a_patients_trail_lists_every_event_about_them_in_time_order():
    patient, other = PatientFactory(), PatientFactory()
    touch(patient, 3)
    touch(other, 2)
    auditor = signed_in("auditor")
    auditor.get(f"/api/v1/patients/{patient.pk}/")  # a session is no API token: a refusal about the patient
    response = auditor.get(EVENTS, {"patient": patient.pk})
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    names = ["patient.created", "patient.updated", "patient.updated", "patient.updated", "patient.read"]
    assert [r.event for r in rows] == names
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert all(r.patient_id == patient.pk for r in rows[:4]) and rows[4].outcome == "failure"


def test_an_event_that_names_the_patient_only_as_target_is_in_the_trail():
    from audit import event_types
    from audit.catalogue import Kind
    from audit.events import emit

    patient = PatientFactory()
    emit(
        event_types.EVENTS.of("patient", Kind.REVERT),
        outcome="failure",
        reason="x",
        target={"type": "patient", "id": patient.pk},
    )
    rows = signed_in("auditor").get(EVENTS, {"patient": patient.pk}).context["cl"].result_list
    refusal = [r for r in rows if r.outcome == "failure"]
    assert len(refusal) == 1 and refusal[0].patient_id is None and refusal[0].target_id == str(patient.pk)


def test_a_refused_request_names_the_record_and_patient_the_url_names(client_for):
    visit = VisitFactory(status="registered")
    pharmacist = UserFactory(roles=["pharmacist"])
    body = {"items": [{"prescription": 1, "quantity": 1}]}
    assert client_for(pharmacist).post(f"/api/v1/visits/{visit.pk}/dispense/", body, format="json").status_code >= 400
    refusal = AuditEvent.objects.filter(outcome="failure", event="dispense.create").latest("id")
    assert (refusal.target_type, refusal.target_id) == ("visit", str(visit.pk))
    assert (refusal.visit_id, refusal.patient_id, refusal.camp_id) == (visit.pk, visit.patient_id, visit.camp_id)


def test_search_finds_a_book_number_a_username_and_a_request_id():
    patient = PatientFactory(book_no="KT-0042")
    touch(patient, 1)
    auditor = signed_in("auditor")
    found = auditor.get(EVENTS, {"q": "kt-0042"}).context["cl"].result_list
    assert {r.patient_id for r in found} == {patient.pk}
    row = AuditEvent.objects.filter(patient_id=patient.pk).first()
    by_user = auditor.get(EVENTS, {"q": row.actor_username}).context["cl"].result_list
    assert row.pk in {r.pk for r in by_user}


def test_nobody_adds_changes_or_deletes_events_not_even_a_superuser():
    touch(PatientFactory(), 1)
    root = signed_in("admin", is_superuser=True)
    event = AuditEvent.objects.first()
    assert root.get(f"{EVENTS}add/").status_code == 403
    assert root.post(f"{EVENTS}{event.pk}/delete/").status_code == 403
    page = root.get(f"{EVENTS}{event.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    root.post(f"{EVENTS}{event.pk}/change/", {"event": "forged"})
    event.refresh_from_db()
    assert event.event != "forged"


def test_other_roles_see_no_audit_screens():
    for role in ("doctor", "pharmacist", "volunteer", "counsellor"):
        client = signed_in(role)
        assert client.get(EVENTS).status_code == 403, role
        assert client.get(f"{EVENTS}export/").status_code == 403, role
        assert b"/admin/audit/auditevent/" not in client.get("/admin/").content


def test_the_detail_page_shows_the_whole_event_and_whether_its_seal_verifies():
    touch(PatientFactory(), 1)
    auditor = signed_in("auditor")
    event = AuditEvent.objects.order_by("-id").first()
    assert b"not sealed yet" in auditor.get(f"{EVENTS}{event.pk}/change/").content
    seal_pending()
    page = auditor.get(f"{EVENTS}{event.pk}/change/").content.decode()
    assert "verified" in page and "DOES NOT VERIFY" not in page and event.event_id in page


def test_export_streams_the_filtered_list_as_csv_and_is_itself_an_event(audit):
    patient = PatientFactory()
    touch(patient, 2)
    touch(PatientFactory(), 3)
    response = signed_in("auditor").get(f"{EVENTS}export/", {"patient": patient.pk})
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["event_id", "timestamp", "event"]
    assert len(rows) == 1 + 3 and {r[12] for r in rows[1:]} == {str(patient.pk)}
    exported = audit.one("audit.exported")
    assert exported["details"] == {"filters": {"patient": str(patient.pk)}, "count": 3}
    assert exported["source"] == "admin"


def count_queries(client: Client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_audit_pages_run_a_fixed_number_of_queries():
    patient = PatientFactory()
    touch(patient, 2)
    auditor = signed_in("auditor")
    small = [count_queries(auditor, EVENTS), count_queries(auditor, EVENTS, {"patient": patient.pk})]
    event = AuditEvent.objects.filter(patient_id=patient.pk).first()
    detail = count_queries(auditor, f"{EVENTS}{event.pk}/change/")
    touch(patient, 40)
    touch(PatientFactory(), 20)
    assert [count_queries(auditor, EVENTS), count_queries(auditor, EVENTS, {"patient": patient.pk})] == small
    assert count_queries(auditor, f"{EVENTS}{event.pk}/change/") == detail


def test_patient_and_visit_pages_link_to_the_trail_for_auditors_only():
    visit = VisitFactory()
    auditor = signed_in("auditor")
    trail = f"/admin/audit/auditevent/?patient={visit.patient_id}"
    assert trail in auditor.get(f"/admin/patients/patient/{visit.patient_id}/change/").content.decode()
    assert trail in auditor.get(f"/admin/patients/visit/{visit.pk}/change/").content.decode()
    doctor_page = signed_in("doctor").get(f"/admin/patients/patient/{visit.patient_id}/change/")
    assert doctor_page.status_code == 200 and "audit-trail" not in doctor_page.content.decode()


def test_reading_the_trail_is_itself_logged(audit):
    patient = PatientFactory()
    with TestCase.captureOnCommitCallbacks(execute=True):
        signed_in("auditor").get(EVENTS, {"patient": patient.pk})
    searched = audit.one("audit_event.list_viewed")
    assert searched["details"]["filters"] == {"patient": str(patient.pk)}


def test_the_trail_reads_people_and_camp_times(client_for, settings):
    from tests.factories import PASSWORD

    patient = PatientFactory(name="Sunita Devi", book_no="KP-114")
    touch(patient, 1)
    client_for().post("/api/v1/auth/login/", {"username": "no_such_user", "password": PASSWORD}, format="json")
    auditor = signed_in("auditor")
    page = auditor.get("/admin/audit/auditevent/").content.decode()
    assert "Sunita Devi (KP-114)" in page  # the patient by name and book number, not an id
    assert 'no_such_user <em class="attempted">(attempted)</em>' in page
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d IST", page)  # camp time, to the second, with its zone
    exported = b"".join(auditor.get("/admin/audit/auditevent/export/").streaming_content).decode().splitlines()
    header = exported[0].split(",")
    assert header[-2:] == ["patient", "attempted_username"]
    assert any("Sunita Devi (KP-114)" in line for line in exported)
    assert any(line.endswith(",no_such_user") for line in exported)
    assert all("+05:30" in line.split(",")[1] for line in exported[1:])  # camp time with its UTC offset


def test_the_detail_names_the_patient_and_its_reading_shows_in_the_patients_trail(audit):
    patient = PatientFactory(name="Sunita Devi", book_no="KP-115")
    touch(patient, 1)
    event = AuditEvent.objects.filter(patient_id=patient.pk).order_by("-id").first()
    page = signed_in("auditor").get(f"/admin/audit/auditevent/{event.pk}/change/").content.decode()
    assert "Sunita Devi (KP-115)" in page
    read = audit.one("audit_event.viewed")
    assert read["patient_id"] == patient.pk  # the auditor's read is in that patient's trail too


def test_the_patient_filter_names_the_patient():
    patient = PatientFactory(name="Sunita Devi", book_no="KP-116")
    touch(patient, 1)
    page = signed_in("auditor").get(f"/admin/audit/auditevent/?patient={patient.pk}").content.decode()
    filter_box = page[page.index('id="changelist-filter"') :]
    assert "Sunita Devi (KP-116)" in filter_box and f"patient {patient.pk}" not in filter_box
