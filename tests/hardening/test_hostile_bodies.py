"""Bodies the parser and the renderer must survive: a lone surrogate in any string of a JSON
body (a 400 `parse_error`, never the renderer's UnicodeEncodeError echoing it), a response
holding one (ASCII escapes), and a body sent in chunks with no Content-Length (a 411)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from core.error_codes import ErrorCode
from core.renderers import JSONRenderer
from tests.hardening.hostile import LONE_SURROGATES, Route, call, identities, lone_surrogate_bodies, problem, routes
from tests.hardening.hostile_world import world

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", LONE_SURROGATES)
@pytest.mark.parametrize("key", ["sex", "status", "counselling_status", "type", "priority", "role"])
def test_a_lone_surrogate_in_a_choice_is_a_400_parse_error(client_for, admin_user, text, key):
    raw = json.dumps({key: text})  # the escape as the attacker writes it: {"sex": "\ud800"}
    assert "\\u" in raw and raw.isascii()
    for path in ["/api/v1/patients/", f"/api/v1/users/{admin_user.pk}/roles/"]:
        response = client_for(admin_user).post(path, raw, content_type="application/json")
        assert response.status_code == 400 and response.json()["code"] == "parse_error", response.content
        assert "lone surrogate" in response.json()["detail"]


@pytest.mark.parametrize("raw", ['{"sex": "\\\\ud800"}', '{"sex": "\\ud83d\\ude00"}', '{"sex": "\\\\\\ud83d\\ude00"}'])
def test_an_escaped_backslash_or_a_surrogate_pair_is_text_not_refused(client_for, admin_user, raw):
    response = client_for(admin_user).post("/api/v1/patients/", raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert "sex" in response.json()["fields"]


def test_a_lone_surrogate_in_any_body_to_any_route_is_no_500(wsgi_in_test):
    world()
    admin = next(i for i in identities() if i.name == "admin")
    headers = {**admin.headers, "CONTENT_TYPE": "application/json"}
    failures, refused = [], 0
    for route in routes():
        for method in [m for m in route.methods if m in ("POST", "PUT", "PATCH")]:
            for name, body in lone_surrogate_bodies().items():
                answer = call(method, route.path, body=body, headers=headers)
                found = problem(route, answer)
                failures += [f"{method} {route.path} {name}: {found}"] if found else []
                refused += route.json_errors and answer.status == 400 and b'"parse_error"' in answer.body
    assert failures == [] and refused >= 20, (failures[:5], refused)


def test_the_renderer_escapes_what_utf8_cannot_encode():
    renderer = JSONRenderer()
    assert json.loads(renderer.render({"\ud800": ["a\udfff", "é"]})) == {"\ud800": ["a\udfff", "é"]}
    assert renderer.render({"name": "é"}) == '{"name":"é"}'.encode()  # UTF-8 otherwise, as before
    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] == ["core.renderers.JSONRenderer"]


@pytest.mark.parametrize(("path", "json_errors"), [("/api/v1/auth/login/", True), ("/admin/login/", False)])
def test_a_body_in_chunks_without_a_length_is_a_411(wsgi_in_test, path, json_errors):
    headers = {"HTTP_TRANSFER_ENCODING": "chunked", "CONTENT_LENGTH": "", "CONTENT_TYPE": "application/json"}
    answer = call("POST", path, body=b"x" * (2 * 2**20), headers=headers)
    assert answer.status == 411 and problem(Route("", path, ("POST",)), answer) is None
    if json_errors:
        assert json.loads(answer.body)["code"] == ErrorCode.LENGTH_REQUIRED == "length_required"
    else:
        assert answer.headers["Content-Type"].startswith("text/plain") and b"Content-Length" in answer.body
    with_length = call("POST", path, body=b"{}", headers={**headers, "CONTENT_LENGTH": "2"})
    assert with_length.status != 411
