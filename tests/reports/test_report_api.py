"""The report API: admins and auditors only, bad input in the error shape, each read an audit event."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tests.reports import known_camp

pytestmark = pytest.mark.django_db


@pytest.fixture
def built():
    return known_camp.build()


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_admins_and_auditors_read_a_camps_report(client_for, audit, built, role):
    camp = built["camp"]
    response = client_for(UserFactory(roles=[role])).get(f"/api/v1/camps/{camp.pk}/report/")
    assert response.status_code == 200
    body = response.json()
    assert (
        body["camp_id"] == camp.pk
        and body["title"].startswith("Kondapur camp")
        and body["first_day"] == body["last_day"] == "2026-03-14"
    )
    tables = {t["key"]: t for t in body["tables"]}
    assert tables["attendance"]["rows"][0][3:] == [50, 4, 3, 2, 1, 1, 6]
    assert body["made_at"].endswith("+05:30")  # camp time, its offset written
    read = audit.one("report.viewed")
    assert read["camp_id"] == camp.pk and read["details"]["camp"] == "Kondapur camp"


def test_a_range_report_and_its_event(client_for, audit, built):
    api = client_for(UserFactory(roles=["auditor"]))
    body = api.get("/api/v1/reports/", {"from": "2026-02-01", "to": "2026-03-31", "location": "kondapur"}).json()
    assert [row[0] for row in body["tables"][0]["rows"]] == ["Kondapur camp"]
    assert audit.one("report.viewed")["details"] == {"from": "2026-02-01", "to": "2026-03-31", "location": "kondapur"}


@pytest.mark.parametrize("role", ["doctor", "pharmacist", "volunteer", "counsellor"])
def test_other_roles_are_refused(client_for, audit, built, role):
    api = client_for(UserFactory(roles=[role]))
    assert api.get(f"/api/v1/camps/{built['camp'].pk}/report/").status_code == 403
    assert api.get("/api/v1/reports/", {"from": "2026-01-01", "to": "2026-12-31"}).status_code == 403
    assert not audit.named("report.viewed")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "from"),
        ({"from": "2026-03-01"}, "to"),
        ({"from": "2026-13-01", "to": "2026-12-31"}, "from"),
        ({"from": "1/3/2026", "to": "2026-12-31"}, "from"),
        ({"from": "2026-03-01", "to": "2026-02-28"}, "to"),
        ({"from": "2020-01-01", "to": "2025-01-01"}, "to"),
        ({"from": "2026-03-01", "to": "2026-03-31", "location": "x" * 201}, "location"),
        ({"from": "2026-03-01", "to": "2026-03-31", "location": "a\x01b"}, "location"),
        ({"from": "\uff12\uff10\uff12\uff16-03-01", "to": "2026-03-31"}, "from"),
    ],
)
def test_bad_ranges_are_400_naming_the_field(client_for, audit, query, field):
    response = client_for(UserFactory(roles=["admin"])).get("/api/v1/reports/", query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"]
    assert audit.one("report.read")["outcome"] == "failure"


def test_five_years_to_the_day_before_is_allowed(client_for):
    api = client_for(UserFactory(roles=["admin"]))
    assert api.get("/api/v1/reports/", {"from": "2020-01-01", "to": "2024-12-31"}).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/camps/999999/report/", "/api/v1/camps/abc/report/"])
def test_an_unknown_camp_is_404(client_for, path):
    response = client_for(UserFactory(roles=["admin"])).get(path)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize("wildcard", ["%", "_", "\\"])
def test_a_location_is_text_not_a_pattern(client_for, built, wildcard):
    api = client_for(UserFactory(roles=["auditor"]))
    body = api.get("/api/v1/reports/", {"from": "2026-01-01", "to": "2026-12-31", "location": wildcard}).json()
    assert body["tables"][0]["rows"] == []  # no camp's location contains it
