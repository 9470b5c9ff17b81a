"""The auditor's screens and admin's history pages answer junk with 400 or admin's own error, never 500.

Hypothesis draws query strings and path ids from what broke them once (digits `int()` refuses,
NUL, numbers past any id, malformed dates, negative pages) and from any text at all; the
suite runs on SQLite and on PostgreSQL, which refuses NUL in any string.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

KNOWN_JUNK = ["²", "①", "¹²", "٣", "-1", "0", "99999999999999999999999", "1e3", "2026-13-45", "junk", "\x00", "1\x00"]
JUNK = st.one_of(
    st.sampled_from(KNOWN_JUNK),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=20),
)
PARAMS = ["patient", "family", "action", "outcome", "source", "timestamp__gte", "timestamp__lt", "p", "q", "o", "e"]
QUERIES = st.dictionaries(st.one_of(st.sampled_from([*PARAMS, "all", "unknown", "id__gt"]), st.text(max_size=8)), JUNK)
ANSWERS = {200, 302, 400}  # a list (maybe empty), the admin's own error redirect, or a 400
EXAMPLES = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def auditor_client() -> Client:
    client = Client()
    client.force_login(UserFactory(roles=["auditor"]))
    return client


@pytest.mark.parametrize("page", ["/admin/audit/auditevent/", "/admin/audit/auditevent/export/"])
def test_the_trail_list_and_export_take_any_query_string(auditor_client, page):
    PatientFactory()

    @EXAMPLES
    @given(query=QUERIES)
    def check(query: dict[str, str]) -> None:
        response = auditor_client.get(f"{page}?{urlencode(query)}")
        assert response.status_code in ANSWERS, (query, response.status_code)

    check()


@pytest.mark.parametrize(
    "template",
    [
        "/admin/audit/auditevent/{junk}/change/",
        "/admin/patients/patient/{junk}/history/",
        "/admin/patients/patient/{pk}/history/{junk}/",
        "/admin/patients/patient/{junk}/history/1/",
        "/admin/patients/patient/{junk}/change/",
    ],
)
def test_history_and_detail_pages_take_any_id(auditor_client, template):
    patient = PatientFactory()

    @EXAMPLES
    @given(junk=JUNK.filter(bool))
    def check(junk: str) -> None:
        path = template.format(pk=patient.pk, junk=quote(junk, safe=""))
        response = auditor_client.get(path)
        assert response.status_code in {*ANSWERS, 404}, (path, response.status_code)

    check()


@pytest.mark.parametrize("name", ["patient", "family", "action", "outcome", "source", "q"])
def test_a_nul_anywhere_is_a_400(auditor_client, name):
    response = auditor_client.get("/admin/audit/auditevent/", {name: "x\x00y"})
    assert response.status_code == 400
    assert "must not contain a NUL character" in response.content.decode()


def test_a_nul_in_an_api_query_is_a_400_in_the_error_shape(client_for, doctor):
    response = client_for(doctor).get("/api/v1/patients/", {"search": "a\x00"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "search" in response.json()["fields"]
