"""A volunteer at the desk in Chromium, on a phone and at 1280 px: find, register without a booklet, see the token."""

from __future__ import annotations

import pytest

from patients.models import Patient
from tests.browser.conftest import ARTIFACTS, signed_in
from tests.factories import PASSWORD, CampFactory, PatientFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_desk_at_both_widths(browser, live_server):
    UserFactory(username="vol_desk", roles=["volunteer"])
    doctor = UserFactory(roles=["doctor"], first_name="Meena", last_name="Iyer")
    CampFactory(status="active", book_prefix="KOT")
    PatientFactory(book_no="KP-114", name="Sunita Devi", area="Kondapur")
    for width, label in ((390, "phone"), (1280, "desktop")):
        context, page = signed_in(browser, live_server, "vol_desk", PASSWORD, width)
        page.goto(f"{live_server.url}/admin/patients/visit/desk/")
        page.fill("#id_q", "sunita")
        page.click("#desk-search input[type=submit]")
        assert "Sunita Devi" in page.inner_text("#desk-found")
        page.screenshot(path=str(ARTIFACTS / f"desk-search-{label}.png"), full_page=True)
        register = page.locator("#register").bounding_box()
        assert register is not None and register["x"] + register["width"] <= width
        name = f"Ramu {label}"
        page.fill("#id_name", name)
        page.fill("#id_age_years", "50")
        page.select_option("#id_sex", "male")
        page.fill("#id_area", "Kothur")
        page.fill("#id_bp_systolic", "130")
        page.fill("#id_bp_diastolic", "85")
        page.fill("#id_pulse", "72")
        page.select_option("#id_doctor", str(doctor.pk))
        page.click("#register")
        page.wait_for_selector("h2.token")
        assert "Sent to Meena Iyer" in page.inner_text(".sent")
        page.screenshot(path=str(ARTIFACTS / f"desk-token-{label}.png"), full_page=True)
        assert Patient.objects.get(name=name).book_no.startswith("KOT-")
        page.goto(f"{live_server.url}/admin/")  # the camp day at a glance, its chart within the screen
        chart = page.locator("svg.camp-chart").bounding_box()
        assert chart is not None and chart["x"] + chart["width"] <= width
        assert "hour of the day (camp time)" in page.inner_html("svg.camp-chart")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"the dashboard is {wide} px wide on a {width} px screen"
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{label}.png"), full_page=True)
        context.close()
