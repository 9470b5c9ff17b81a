"""Hostile text in names, notes and searches never breaks a JSONL line or forges an event."""

from __future__ import annotations

import json

import pytest

from tests.factories import VisitFactory

FORGED = '{"event": "auth.login", "outcome": "success", "actor": {"username": "root"}}'
HOSTILE = [
    "Ravi\nKumar",
    "Ravi\r\n" + FORGED + "\n",
    "\x1b[2J\x1b[31mRED\x1b[0m Kumar",
    "line\u2028sep\u2029para\x85nel",
    "N" * 10_000,
    FORGED,
    "\x00nul\x07bell",
]


@pytest.mark.parametrize("text", HOSTILE, ids=["newline", "crlf-json", "ansi", "unicode-seps", "10k", "json", "ctrl"])
def test_hostile_text_stays_inside_its_own_line(client_for, volunteer, doctor, audit_file, text):
    vol = client_for(volunteer)
    visit = VisitFactory()
    created = vol.post(
        "/api/v1/patients/",
        {"book_no": "INJ-1", "name": text[:200], "age_years": 30, "sex": "male", "area": text[:120], "address": text},
        format="json",
    )
    vol.get("/api/v1/patients/", {"search": text[:200]})
    vol.post(
        f"/api/v1/visits/{visit.pk}/vitals/",
        {
            "bp_systolic": 120,
            "bp_diastolic": 80,
            "pulse": 70,
            "rbs": 100,
            "weight_kg": "60",
            "height_cm": "160",
            "notes": text,
        },
        format="json",
    )
    vol.patch(f"/api/v1/patients/{created.json().get('id', 0)}/", {"name": text[-150:]}, format="json")
    lines = audit_file()  # every line of the test's part of the file parses as one JSON object
    assert lines, "the file sink wrote nothing"
    assert all(isinstance(line, dict) for line in lines)
    events = [line["event"] for line in lines]
    assert "auth.login" not in events  # nothing forged
    for line in lines:
        assert line["actor"] is None or line["actor"]["username"] in ("vic_volunteer", "dr_rao")


def test_invalid_utf8_is_refused_cleanly_and_logged(client_for, volunteer, audit_file):
    api = client_for(volunteer)
    response = api.generic("POST", "/api/v1/patients/", b'{"name": "\xff\xfe bad"}', content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    search = api.get("/api/v1/patients/?search=%ff%fe-x")  # decoded with replacement characters
    assert search.status_code == 200
    nul = api.get("/api/v1/patients/?search=a%00b")
    assert nul.status_code == 400 and nul.json()["code"] == "invalid"  # Django refuses NUL in form input
    lines = audit_file()
    assert [line["outcome"] for line in lines if line["event"] == "patient.create"] == ["failure"]
    assert any(line["event"] == "patient.searched" for line in lines)
    for line in lines:
        json.dumps(line, ensure_ascii=True)  # and each parsed line serialises again
