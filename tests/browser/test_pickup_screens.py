"""A pharmacist in Chromium: the pickup list and page fit 1280 px and a phone, and say when all is handed over."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from patients.models import Visit
from tests.browser.conftest import ARTIFACTS, signed_in
from tests.factories import (
    PASSWORD,
    ConsultationFactory,
    MedicineFactory,
    PrescriptionFactory,
    StockBatchFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def waiting_for_pickup(name: str, minutes_ago: int, medicine) -> Visit:
    visit = VisitFactory(patient__name=name, status=Visit.Status.CONSULTED)
    Visit.objects.filter(pk=visit.pk).update(consulted_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    consultation = ConsultationFactory(queue_entry__visit=visit, queue_entry__status="completed")
    PrescriptionFactory(consultation=consultation, medicine=medicine, quantity=10, days=5, time_slots=["morning"])
    return visit


def test_the_pickup_list_and_page_at_both_widths(browser, live_server):
    UserFactory(username="ph_screens", roles=["pharmacist"])
    medicine = MedicineFactory(name="Paracetamol", formulation="500 mg", type="tablet")
    StockBatchFactory(medicine=medicine, quantity_received=500)
    first = waiting_for_pickup("Lakshmi Narasimha Reddy", 45, medicine)
    waiting_for_pickup("Ramu Goud", 10, medicine)
    for width, label in ((390, "phone"), (1280, "desktop")):  # the desktop walk hands over last
        context, page = signed_in(browser, live_server, "ph_screens", PASSWORD, width)
        page.goto(f"{live_server.url}/admin/patients/visit/?pickup=waiting")
        shown = page.locator("#changelist .results").bounding_box()
        links = page.locator("a.pickup-link")
        assert links.count() == 2 and shown is not None
        for i in range(2):
            box = links.nth(i).bounding_box()
            assert box is not None and box["x"] + box["width"] <= min(width, shown["x"] + shown["width"])
        assert page.locator("#result_list tbody tr").first.inner_text().count("Lakshmi") == 1  # waited longest
        page.screenshot(path=str(ARTIFACTS / f"pickup-list-{label}.png"), full_page=True)
        page.goto(f"{live_server.url}/admin/patients/visit/{first.pk}/pickup/")
        widest = page.evaluate("document.documentElement.scrollWidth")
        assert widest <= width, f"the pickup page scrolls sideways at {width} px ({widest} px wide)"
        hand_over = page.locator("#pickup-lines input.vIntegerField").first.bounding_box()
        assert hand_over is not None and hand_over["x"] + hand_over["width"] <= width
        dispense = page.locator("#dispense")
        assert dispense.is_visible()
        box = dispense.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width
        page.screenshot(path=str(ARTIFACTS / f"pickup-page-{label}.png"), full_page=True)
        if label == "desktop":
            dispense.click()
            page.wait_for_selector(".messagelist .success")
            assert "Everything prescribed is handed over." in page.inner_text("#content")
            assert page.locator("#dispense").count() == 0 and "Ramu Goud" in page.inner_text(".next-patient")
            page.screenshot(path=str(ARTIFACTS / "pickup-done-desktop.png"), full_page=True)
        context.close()
