"""The hook that checks every test response against the schema does catch what is outside it."""

from __future__ import annotations

import json

from rest_framework.test import APIClient

from accounts.tokens import AccessToken
from tests import schema_check
from tests.factories import CampFactory


def _get(user, url):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client.get(url)


def test_a_matching_response_passes(admin_user):
    CampFactory()
    assert schema_check.mismatch(_get(admin_user, "/api/v1/camps/")) is None


def test_an_undocumented_status_is_caught(admin_user):
    response = _get(admin_user, "/api/v1/auth/me/")
    response.status_code = 409  # me/ takes nothing that could conflict
    assert "409" in schema_check.mismatch(response)


def test_a_body_outside_its_schema_is_caught(admin_user):
    CampFactory()
    response = _get(admin_user, "/api/v1/camps/")
    body = response.json()
    response.content = json.dumps(body["results"]).encode()  # the bare array camps/ used to answer
    assert "InvalidData" in schema_check.mismatch(response)
    body["results"][0]["status"] = "someday"
    response.content = json.dumps(body).encode()
    assert "status" in schema_check.mismatch(response)


def test_an_error_outside_the_error_shape_is_caught(admin_user):
    response = _get(admin_user, "/api/v1/camps/999/")
    assert response.status_code == 404 and schema_check.mismatch(response) is None
    response.content = b'{"error": "not found"}'
    assert "detail" in schema_check.mismatch(response)


def test_answers_from_servers_a_test_started_are_checked_and_others_are_not(db):
    error = json.dumps({"detail": "x", "code": "conflict"}).encode()
    schema_check.servers.add("127.0.0.1:9")
    try:
        ours = schema_check._from_url("GET", "http://127.0.0.1:9/api/v1/auth/me/", None, 409, {}, error)
        assert "409" in ours
        other_host = schema_check._from_url("GET", "http://127.0.0.1:9/api/v1/auth/me/", "evil.example", 409, {}, error)
        assert other_host is None  # sent in another host's name: Django's host check answers, not the API
    finally:
        schema_check.servers.discard("127.0.0.1:9")
    not_ours = schema_check._from_url("POST", "http://127.0.0.1:8/api/v1/logs/receiving/x", None, 202, {}, b"{}")
    assert not_ours is None  # the fake LogBull shares the /api/v1/ prefix
