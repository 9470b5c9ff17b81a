"""The report in admin: linked from the camp and the dashboard, admins and auditors only, CSV and XLSX, audited."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.factories import CampFactory, UserFactory
from tests.reports import known_camp

pytestmark = pytest.mark.django_db


def signed_in(*roles: str) -> Client:
    client = Client()
    client.force_login(UserFactory(roles=list(roles)))
    return client


@pytest.fixture
def camp():
    return known_camp.build()["camp"]


def test_the_camp_page_list_and_dashboard_link_the_report(camp):
    auditor = signed_in("auditor")
    url = f"/admin/camps/medicalcamp/{camp.pk}/report/"
    assert url in auditor.get("/admin/camps/medicalcamp/").content.decode()
    assert url in auditor.get(f"/admin/camps/medicalcamp/{camp.pk}/change/").content.decode()
    CampFactory(status="active")
    index = auditor.get("/admin/").content.decode()
    assert 'id="camp-report-link"' in index and "/admin/camps/medicalcamp/reports/" in index
    doctor_index = signed_in("doctor").get("/admin/").content.decode()
    assert "camp-report-link" not in doctor_index and "reports-link" not in doctor_index


def test_the_page_shows_every_section_and_is_a_read_event(camp, audit):
    page = signed_in("admin").get(f"/admin/camps/medicalcamp/{camp.pk}/report/").content.decode()
    assert "Kondapur camp, Kondapur school, 14 Mar 2026" in page
    for title in ("Attendance", "Patients by age band and sex", "Screening findings", "Diagnoses", "Medicines"):
        assert title in page
    assert "Waiting times (minutes)" in page and "Dr Meena Iyer" in page
    assert audit.one("report.viewed")["source"] == "admin"


@pytest.mark.parametrize("role", ["doctor", "pharmacist", "volunteer", "counsellor"])
def test_other_roles_are_refused(camp, role):
    client = signed_in(role)
    assert client.get(f"/admin/camps/medicalcamp/{camp.pk}/report/").status_code == 403
    assert (
        client.get("/admin/camps/medicalcamp/reports/", {"from": "2026-01-01", "to": "2026-12-31"}).status_code == 403
    )
    assert "report-link" not in client.get("/admin/camps/medicalcamp/").content.decode()


def test_csv_zip_has_a_file_per_section_with_numbers(camp, audit):
    response = signed_in("auditor").get(f"/admin/camps/medicalcamp/{camp.pk}/report/", {"export": "csv"})
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist()[:2] == ["01-attendance.csv", "02-age_sex.csv"] and len(archive.namelist()) == 10
    lines = list(csv.reader(io.StringIO(archive.read("01-attendance.csv").decode())))
    assert lines[0] == ["MedCamp report", "Kondapur camp, Kondapur school, 14 Mar 2026"]
    assert ["Kondapur camp", "2026-03-14", "Kondapur school", "50", "4", "3", "2", "1", "1", "6"] in lines
    exported = audit.one("report.exported")
    assert exported["details"]["format"] == "csv" and exported["camp_id"] == camp.pk


def test_xlsx_has_a_sheet_per_section_with_numbers_as_numbers(camp, audit):
    response = signed_in("admin").get(f"/admin/camps/medicalcamp/{camp.pk}/report/", {"export": "xlsx"})
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:3] == ["Attendance", "Patients by age band and sex", "New and returning patients"]
    rows = list(book["Medicines"].iter_rows(values_only=True))
    amlodipine = next(row for row in rows if row[0] == "Amlodipine 2.5 mg (tablet)")
    assert amlodipine[1:10] == (50, 30, 1, 100, 0, 30, -5, 0, 65)  # ints, not text
    assert audit.one("report.exported")["details"]["format"] == "xlsx"


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"from": "2026-03-01", "to": "2026-02-01"}, "The range ends before it starts"),
        ({"from": "junk", "to": "2026-02-01"}, "from must be a date written YYYY-MM-DD"),
        ({"from": "2019-01-01", "to": "2026-02-01"}, "at most 5 years"),
        ({"from": "2026-01-01", "to": "2026-02-01", "location": "a\x01"}, "printable characters"),
    ],
)
def test_bad_input_is_said_on_the_page(query, said, audit):
    response = signed_in("admin").get("/admin/camps/medicalcamp/reports/", query)
    assert response.status_code == 400 and said in response.content.decode()
    assert audit.one("report.read")["outcome"] == "failure"


def test_an_unknown_camp_is_404():
    assert signed_in("admin").get("/admin/camps/medicalcamp/999999/report/").status_code == 404


def test_the_range_form_alone_reads_nothing(audit):
    page = signed_in("auditor").get("/admin/camps/medicalcamp/reports/").content.decode()
    assert 'id="report-range"' in page and not audit.named("report.viewed")
