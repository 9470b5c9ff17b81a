"""The pharmacist's screens: who waits longest first, the page says when all is handed over, a visit closes there."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from patients.models import Visit
from pharmacy.models import Medicine
from tests.factories import (
    ConsultationFactory,
    MedicineFactory,
    PrescriptionFactory,
    StockBatchFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pharmacist() -> Client:
    client = Client()
    client.force_login(UserFactory(roles=["pharmacist"]))
    return client


def consulted(name: str, minutes_ago: int, prescribe: bool = True) -> Visit:
    visit = VisitFactory(patient__name=name, status=Visit.Status.CONSULTED)
    Visit.objects.filter(pk=visit.pk).update(consulted_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    consultation = ConsultationFactory(queue_entry__visit=visit, queue_entry__status="completed")
    if prescribe:
        medicine = Medicine.objects.filter(name="Amoxicillin").first() or MedicineFactory(
            name="Amoxicillin", formulation="500 mg", type="capsule"
        )
        StockBatchFactory(medicine=medicine, quantity_received=3)
        PrescriptionFactory(consultation=consultation, medicine=medicine, quantity=6)
    visit.refresh_from_db()
    return visit


def test_the_pickup_list_puts_the_action_and_the_name_first_oldest_consulted_first(pharmacist):
    consulted("Later Patient", 5)
    consulted("Earlier Patient", 40)
    page = pharmacist.get("/admin/patients/visit/?pickup=waiting")
    html = page.content.decode()
    assert html.index("Earlier Patient") < html.index("Later Patient")
    first_row = html[html.index("<tbody>") : html.index("</tr>", html.index("<tbody>"))]
    assert first_row.index("pickup-link") < first_row.index("Earlier Patient")  # the action first


def test_a_refusal_names_the_medicine(pharmacist):
    visit = consulted("Asha", 10)
    prescription = visit.consultations.get().prescriptions.get()
    page = pharmacist.post(f"/admin/patients/visit/{visit.pk}/pickup/", {f"quantity-{prescription.pk}": "6"})
    assert "Only 3 of Amoxicillin 500 mg (capsule) in unexpired stock; 6 asked." in page.content.decode()
    page = pharmacist.post(f"/admin/patients/visit/{visit.pk}/pickup/", {f"quantity-{prescription.pk}": "99"})
    assert "Amoxicillin 500 mg (capsule): 6 left to hand over; 99 asked." in page.content.decode()


def test_a_visit_with_nothing_prescribed_is_closed_on_its_pickup_page(
    pharmacist, audit, django_capture_on_commit_callbacks
):
    visit = consulted("Nothing Prescribed", 30, prescribe=False)
    following = consulted("Next In Line", 20)
    page = pharmacist.get(f"/admin/patients/visit/{visit.pk}/pickup/").content.decode()
    assert "Nothing to dispense" in page and 'id="dispense"' not in page and 'id="close-visit"' in page
    assert "Next In Line" in page
    with django_capture_on_commit_callbacks(execute=True):
        closed = pharmacist.post(f"/admin/patients/visit/{visit.pk}/pickup/", {"close": "Close the visit"})
    assert closed.status_code == 302 and closed["Location"].endswith(f"/admin/patients/visit/{following.pk}/pickup/")
    assert Visit.objects.get(pk=visit.pk).status == "completed"
    moved = audit.one("visit.status_changed")
    assert moved["changes"]["status"] == {"old": "consulted", "new": "completed"} and moved["source"] == "admin"


def test_a_visit_with_medicine_left_is_not_closed(pharmacist):
    visit = consulted("Asha", 10)
    refused = pharmacist.post(f"/admin/patients/visit/{visit.pk}/pickup/", {"close": "Close the visit"}, follow=True)
    assert "medicines left to hand over" in refused.content.decode()
    assert Visit.objects.get(pk=visit.pk).status == "consulted"
