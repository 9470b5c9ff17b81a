"""The bounds the hostile suite leans on, one by one: the requests that answered 500 once, the
nesting count, the date and number bounds, and the codes that name them."""

from __future__ import annotations

import datetime as dt
import json
import zlib

import pytest
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from consultations.models import Prescription
from core.error_codes import ErrorCode
from core.forms import BoundedJSONField
from core.params import EARLIEST, LATEST, far_lookups, whole_number
from core.parsers import MAX_DEPTH, nesting
from tests.factories import CampFactory, ConsultationFactory, MedicineFactory, PrescriptionFactory, UserFactory
from tests.hardening.hostile import Route, call, identities, problem
from tests.hardening.hostile_world import world
from tests.hardening.test_entered_dates import admin_forms

pytestmark = pytest.mark.django_db
DEEP = "[" * 1000 + "]" * 1000


def test_a_deeply_nested_body_is_400_even_without_an_account(anon, client_for, admin_user):
    for api, path in [(anon, "/api/v1/auth/login/"), (client_for(admin_user), "/api/v1/patients/")]:
        response = api.post(path, DEEP, content_type="application/json")
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "body_too_deep"


def test_a_body_past_the_limit_is_413_in_the_error_shape(anon):
    response = anon.post(
        "/api/v1/auth/login/", "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_a_body_past_the_limit_on_an_admin_form_is_a_plain_413_page(wsgi_in_test):
    answer = call(
        "POST", "/admin/login/", body=b"x" * (20 * 2**20), headers={"CONTENT_TYPE": "application/x-www-form-urlencoded"}
    )
    assert answer.status == 413 and answer.headers["Content-Type"].startswith("text/plain")
    assert b"larger than 1048576 bytes" in answer.body


def test_a_metrics_token_with_raw_bytes_is_refused_in_the_error_shape(settings, wsgi_in_test):
    settings.METRICS_TOKEN = "the-metrics-token"
    answer = call("GET", "/metrics", headers={"HTTP_AUTHORIZATION": "Bearer \xff\x00the-metrics-token"})
    assert answer.status == 403 and json.loads(answer.body)["code"] == "permission_denied"
    good = call("GET", "/metrics", headers={"HTTP_AUTHORIZATION": "Bearer the-metrics-token"})
    assert good.status == 200 and b"medcamp_" in good.body


def test_a_post_to_metrics_is_405_in_the_error_shape():
    response = Client().post("/metrics", {"a": "b"})
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "9999-12-30", "to": "9999-12-31"}, "from"),
        ({"from": "2026-01-01", "to": "9999-12-31"}, "to"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, "from"),
        ({"from": LATEST.isoformat(), "to": LATEST.isoformat()}, None),
    ],
)
def test_a_far_report_date_is_a_400_naming_it(client_for, auditor, query, field):
    response = client_for(auditor).get("/api/v1/reports/", query)
    if field is None:  # the last day allowed still reports (no camps there)
        assert response.status_code == 200, response.content
        return
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_the_date_bounds_leave_room_for_a_range_and_a_day():
    assert EARLIEST.year > 1 and LATEST.year + 5 < 9999


def test_numbers_too_long_for_int_are_refused_not_raised(client_for, admin_user):
    assert whole_number("9" * 5000) is None and whole_number("0" * 30 + "7") == 7
    api = client_for(admin_user)
    assert api.get("/api/v1/patients/", {"page": "9" * 5000}).status_code == 400
    assert api.get(f"/api/v1/patients/{'1' * 5000}/").status_code == 404


def test_a_request_id_ending_in_a_newline_is_replaced_not_echoed(wsgi_in_test):
    answer = call("GET", "/api/v1/health/", headers={"HTTP_X_REQUEST_ID": "abc\n"})
    assert answer.status in (200, 503) and answer.headers["X-Request-ID"] != "abc\n"


@pytest.mark.parametrize("header", ["Bearer \xff\x00abc", "Bearer \x00abc", "Bearer abc\x7f", "Bearer\x1cabc"])
def test_raw_bytes_in_the_authorization_header_are_a_401_saying_so(anon, header):
    response = anon.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401 and response.json()["code"] == "bad_authorization_header"


def test_a_nul_in_a_cookie_is_a_400_before_the_session_is_looked_up(wsgi_in_test):
    answer = call("GET", "/admin/", headers={"HTTP_COOKIE": "sessionid=" + "\x00" * 40})
    assert answer.status == 400 and b"Cookie must not contain a NUL character" in answer.body


def test_a_charset_that_is_no_text_is_a_400_naming_the_header(wsgi_in_test):
    headers = {"CONTENT_TYPE": "application/json; charset=zlib"}
    for query, body in [("a=1", b""), ("", zlib.compress(b"{}" * 10_000))]:
        answer = call("POST", "/api/v1/auth/login/", query=query, body=body, headers=headers)
        assert answer.status == 400 and list(json.loads(answer.body)["fields"]) == ["Content-Type"]


def test_a_host_not_served_is_a_400_in_the_error_shape(wsgi_in_test):
    answer = call("GET", "/api/v1/health/", headers={"HTTP_HOST": "\xff\x00"})
    assert answer.status == 400 and problem(Route("", "/api/v1/health/", ("GET",)), answer) is None


def test_the_schema_refuses_in_json_whatever_it_renders():
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="text/x-nothing")
    assert response.status_code == 406 and response.json()["code"] == "not_acceptable"


@pytest.mark.parametrize("day", [dt.date(9999, 12, 31), dt.date(1, 1, 1), LATEST, EARLIEST])
def test_a_camp_of_any_date_reports(client_for, auditor, day):
    camp = CampFactory(date=day)  # the camp's own date is not bounded where it is entered
    response = client_for(auditor).get(f"/api/v1/camps/{camp.pk}/report/")
    assert response.status_code == 200 and response.json()["first_day"] == day.isoformat()


@pytest.mark.parametrize(
    "query",
    ["date__year=9999", "date__year=9999&date__month=12&date__day=31", "date__iso_year=0", "timestamp__gte=0001-01-01"],
)
def test_a_far_year_in_an_admin_lookup_is_a_400_naming_it(query, wsgi_in_test):
    world()
    admin = next(i for i in identities() if i.name == "admin")
    for page in ["/admin/camps/medicalcamp/", "/admin/audit/auditevent/", "/admin/pharmacy/stockbatch/"]:
        answer = call("GET", page, query=query, headers=admin.headers)
        assert answer.status == 400 and query.split("=")[0].encode() in answer.body, (page, answer.status)


def test_the_codes_say_the_bounds_the_code_keeps():
    assert f"{MAX_DEPTH} deep" in ErrorCode.BODY_TOO_DEEP.meaning
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2**20 and "1 MiB" in ErrorCode.BODY_TOO_LARGE.meaning


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:', max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='[]{}"\\', max_size=4), inner, max_size=3)
    ),
    max_leaves=30,
)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@given(JSON_VALUES)
def test_nesting_counts_brackets_outside_strings_exactly(value):
    assert nesting(json.dumps(value)) == _depth(value)


def test_nesting_is_one_pass_on_strings_that_never_end():
    assert nesting('"\\"' * 300_000 + "[[[") == 0  # one unterminated string: the rest is its text
    assert nesting("[" * 100_000) == 100_000


@pytest.mark.parametrize(
    "query",
    [
        "date__year=2000&date__month=1&date__day=99999999999999999999",
        "date__year=2000&date__month=99999999999999999999",
        "date__month=13",
        "date__day=0",
        "date__week=54",
        "date__week_day=8",
        "date__iso_week_day=0",
        "date__quarter=5",
        "timestamp__hour=24",
        "timestamp__minute=60",
        "timestamp__second=99999999999999999999",
        "date__day__gte=99999999999999999999",
        "date__year__gte=99999",
    ],
)
def test_a_part_of_a_date_past_its_bounds_in_an_admin_lookup_is_a_400_naming_it(query, wsgi_in_test):
    world()
    admin = next(i for i in identities() if i.name == "admin")
    name = query.split("&")[-1].split("=")[0]
    for page in ["/admin/camps/medicalcamp/", "/admin/audit/auditevent/"]:
        answer = call("GET", page, query=query, headers=admin.headers)
        assert answer.status == 400 and answer.body.decode().startswith(f"{name} must be "), (page, answer.body)


def test_the_parts_within_bounds_pass_and_each_refusal_says_its_bounds(wsgi_in_test):
    world()
    admin = next(i for i in identities() if i.name == "admin")
    for query in ["date__year=2026&date__month=12&date__day=31", "date__year=2026&date__month=1"]:
        assert call("GET", "/admin/camps/medicalcamp/", query=query, headers=admin.headers).status == 200
    query = QueryDict("date__month=0&date__hour=24&date__week_day=1&status__exact=planned&date__year=1899")
    assert far_lookups(query) == {"date__month": ("month", 1, 12), "date__hour": ("hour", 0, 23)} | {
        "date__year": ("year", EARLIEST.year, LATEST.year)
    }
    answer = call("GET", "/admin/camps/medicalcamp/", query="date__hour=24", headers=admin.headers)
    assert answer.status == 400 and answer.body == b"date__hour must be an hour from 0 to 23."


HOSTILE_JSON = {
    "digits": "9" * 5000,
    "arrays": "[" * 2000,
    "many arrays": "[" * 100_000,
    "objects": '{"a":' * 5000,
    "surrogate": '["\\ud800"]',
    "surrogate key": '{"\\udfff": 1}',
}


@pytest.mark.parametrize("field", ["time_slots", "initial-time_slots"])
@pytest.mark.parametrize("name", list(HOSTILE_JSON))
def test_hostile_json_in_admins_prescription_form_is_a_form_error(client, field, name):
    client.force_login(UserFactory(is_superuser=True))
    consultation, medicine = ConsultationFactory(), MedicineFactory()
    rx = PrescriptionFactory(time_slots=["morning"])
    form = {"consultation": consultation.pk, "medicine": medicine.pk, "quantity": "5", "days": "5"}
    form |= {"time_slots": '["night"]', "initial-time_slots": "[]", "instructions": "", field: HOSTILE_JSON[name]}
    for page in ["/admin/consultations/prescription/add/", f"/admin/consultations/prescription/{rx.pk}/change/"]:
        response = client.post(page, form)
        assert response.status_code in (200, 302), (page, response.status_code)
        if field == "time_slots":  # the form again, with the error on the field
            assert response.status_code == 200 and response.context["adminform"].form.errors["time_slots"]
    if field == "time_slots":
        assert Prescription.objects.count() == 1 and Prescription.objects.get().time_slots == ["morning"]


@pytest.mark.parametrize(
    ("text", "refused"),
    [('["night"]', False), ("[" * 32 + "]" * 32, False), ("[" * 33 + "]" * 33, True), ('"\\ud83d\\ude00"', False)],
)
def test_the_admins_json_field_takes_what_the_api_takes(text, refused):
    try:
        BoundedJSONField().clean(text)
    except ValidationError as error:
        assert refused and error.code == "too_deep"
    else:
        assert not refused


def test_every_json_field_in_an_admin_form_is_bounded():
    found = {
        f"{form._meta.model._meta.label}.{name}": type(field)
        for form in admin_forms(UserFactory(is_superuser=True))
        for name, field in form.base_fields.items()
        if isinstance(field, forms.JSONField)
    }
    assert "consultations.Prescription.time_slots" in found
    assert set(found.values()) == {BoundedJSONField}, found
