"""An auditor in Chromium: the camp report at 1280 px and on a phone, printed on A4, and the range form."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, signed_in
from tests.factories import PASSWORD, UserFactory
from tests.reports import known_camp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_camp_report_reads_at_both_widths_and_prints_on_a4(browser, live_server):
    known_camp.build()
    UserFactory(username="aud_report", roles=["auditor"])
    ARTIFACTS.mkdir(exist_ok=True)
    for width, label in ((1280, "desktop"), (390, "phone")):
        context, page = signed_in(browser, live_server, "aud_report", PASSWORD, width)
        page.goto(f"{live_server.url}/admin/camps/medicalcamp/")
        page.click("a.report-link")
        page.wait_for_selector("table.report-table")
        assert page.locator("table.report-table").count() == 10
        assert "Kondapur camp, Kondapur school, 14 Mar 2026" in page.inner_text("h1")
        widest = page.evaluate("document.documentElement.scrollWidth")
        assert widest <= width, f"the report scrolls sideways at {width} px ({widest} px wide)"
        page.screenshot(path=str(ARTIFACTS / f"report-camp-{label}.png"), full_page=True)
        if label == "desktop":
            page.emulate_media(media="print")
            assert not page.locator("#nav-sidebar").is_visible() and not page.locator("#export-csv").is_visible()
            page.screenshot(path=str(ARTIFACTS / "report-camp-print.png"), full_page=True)
            page.pdf(path=str(ARTIFACTS / "report-camp-a4.pdf"), format="A4")
            page.emulate_media(media="screen")
            page.goto(f"{live_server.url}/admin/camps/medicalcamp/reports/")
            page.fill("#id_from", "2026-03-01")
            page.fill("#id_to", "2026-02-01")
            page.click("#report-range input[type=submit]")
            assert "The range ends before it starts" in page.inner_text(".messagelist")
            assert page.input_value("#id_from") == "2026-03-01"  # what was typed stays
            page.fill("#id_from", "2026-01-01")
            page.fill("#id_to", "2026-12-31")
            page.click("#report-range input[type=submit]")
            rows = page.locator("table[data-key=attendance] tbody tr")
            assert rows.count() == 3
            page.screenshot(path=str(ARTIFACTS / "report-range-desktop.png"), full_page=True)
        context.close()
