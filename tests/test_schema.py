"""The OpenAPI schema is valid, covers the whole API contract, and describes errors and auth."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

# Every path and method of the mobile app's contract (api.md), as the schema writes them.
CONTRACT = {
    "/api/v1/auth/login/": {"post"},
    "/api/v1/auth/refresh/": {"post"},
    "/api/v1/auth/logout/": {"post"},
    "/api/v1/auth/me/": {"get"},
    "/api/v1/users/": {"get", "post"},
    "/api/v1/users/{id}/": {"get", "patch"},
    "/api/v1/users/{id}/roles/": {"post"},
    "/api/v1/users/{id}/roles/{role}/": {"delete"},
    "/api/v1/camps/": {"get", "post"},
    "/api/v1/camps/{id}/": {"get", "patch"},
    "/api/v1/patients/": {"get", "post"},
    "/api/v1/patients/{id}/": {"get", "patch"},
    "/api/v1/patients/{id}/visits/": {"post"},
    "/api/v1/patients/{id}/status/": {"get"},
    "/api/v1/patients/{id}/vitals/": {"get"},
    "/api/v1/patients/{id}/consultations/": {"get"},
    "/api/v1/visits/{id}/": {"get"},
    "/api/v1/visits/{id}/vitals/": {"post"},
    "/api/v1/vitals/{id}/": {"patch"},
    "/api/v1/queue/": {"get", "post"},
    "/api/v1/queue/{id}/": {"patch"},
    "/api/v1/consultations/": {"post"},
    "/api/v1/consultations/{id}/": {"patch"},
    "/api/v1/consultations/{id}/counselling/": {"patch"},
    "/api/v1/consultations/{id}/prescriptions/": {"post"},
    "/api/v1/prescriptions/{id}/": {"patch", "delete"},
    "/api/v1/medicines/": {"get", "post"},
    "/api/v1/medicines/{id}/": {"get"},
    "/api/v1/medicines/{id}/batches/": {"post"},
    "/api/v1/batches/{id}/": {"patch"},
    "/api/v1/visits/{id}/dispense/": {"post"},
    "/api/v1/health/": {"get"},
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_every_path_of_the_contract_is_in_the_schema(schema):
    missing = {
        f"{method.upper()} {path}"
        for path, methods in CONTRACT.items()
        for method in methods
        if method not in schema["paths"].get(path, {})
    }
    assert not missing


def test_errors_and_bearer_auth_are_described(schema):
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail", "code"]
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    login = schema["paths"]["/api/v1/auth/login/"]["post"]
    assert login["responses"]["401"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    dispense = schema["paths"]["/api/v1/visits/{id}/dispense/"]["post"]
    assert {"bearerAuth": []} in dispense["security"]
    assert "409" in dispense["responses"]


def _responses(schema, method, path):
    return schema["paths"][path][method]["responses"]


def test_deletes_document_the_200_body_they_answer(schema):
    for path in ("/api/v1/prescriptions/{id}/", "/api/v1/users/{id}/roles/{role}/"):
        responses = _responses(schema, "delete", path)
        assert "204" not in responses and "schema" in responses["200"]["content"]["application/json"]


def test_each_operation_lists_only_the_errors_it_can_answer(schema):
    assert set(_responses(schema, "get", "/api/v1/auth/me/")) == {"200", "401", "403", "500", "503"}
    assert set(_responses(schema, "get", "/api/v1/health/")) == {"200", "500", "503"}
    login = _responses(schema, "post", "/api/v1/auth/login/")
    assert set(login) == {"200", "400", "401", "413", "415", "429", "500", "503"}
    assert "Retry-After" in login["429"]["headers"]
    register = set(_responses(schema, "post", "/api/v1/patients/"))
    assert register == {"201", "400", "401", "403", "409", "413", "415", "422", "500", "503"}
    assert not {"413", "415"} & set(_responses(schema, "delete", "/api/v1/prescriptions/{id}/"))


def test_lists_document_their_envelope_filters_order_and_pages(schema):
    search = schema["paths"]["/api/v1/patients/"]["get"]
    params = {p["name"]: p for p in search["parameters"]}
    assert {"page", "page_size", "ordering", "search", "book_no", "phone"} <= set(params)
    assert params["page_size"]["schema"]["maximum"] == 200
    assert "-name" in params["ordering"]["schema"]["enum"]
    envelope = search["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][envelope]["required"]) == {"count", "next", "previous", "results"}
    queue = schema["paths"]["/api/v1/queue/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    queue_envelope = schema["components"]["schemas"][queue["$ref"].rsplit("/", 1)[1]]
    assert {"scope", "counts"} <= set(queue_envelope["required"])


def test_signed_in_writes_take_an_idempotency_key_and_say_when_they_replay(schema):
    for method, path in (("post", "/api/v1/visits/{id}/dispense/"), ("delete", "/api/v1/prescriptions/{id}/")):
        operation = schema["paths"][path][method]
        key = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
        assert key["in"] == "header" and key["schema"]["maxLength"] == 255
        assert "Idempotent-Replayed" in operation["responses"]["200"]["headers"]
    login = schema["paths"]["/api/v1/auth/login/"]["post"]
    assert all(p["name"] != "Idempotency-Key" for p in login.get("parameters", []))
