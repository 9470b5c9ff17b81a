"""Signing in through the API: tokens, refusals with their reasons, throttling."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from django.conf import settings

from accounts.tokens import AccessToken, RefreshToken
from tests.factories import PASSWORD, UserFactory

LOGIN = "/api/v1/auth/login/"
ME = "/api/v1/auth/me/"
LOGOUT = "/api/v1/auth/logout/"
REFRESH = "/api/v1/auth/refresh/"


def _bearer(api: Any, token: str) -> Any:
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def test_login_returns_tokens_and_user_with_roles(anon, doctor, audit):
    response = anon.post(LOGIN, {"username": "dr_rao", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {**body["user"], "username": "dr_rao", "roles": ["doctor"]}
    assert AccessToken(body["access"])["user_id"] == str(doctor.pk)
    event = audit.one("auth.login")
    assert event["outcome"] == "success"
    assert event["actor"] == {"id": doctor.pk, "username": "dr_rao", "roles": ["doctor"]}
    assert event["source"] == "auth" and event["action"] == "login"
    assert PASSWORD not in json.dumps(audit.events)


def test_wrong_password_is_401_invalid_credentials_and_logged(anon, doctor, audit):
    response = anon.post(LOGIN, {"username": "dr_rao", "password": "wrong-one"}, format="json")
    assert response.status_code == 401
    assert response.json() == {"detail": "Wrong username or password.", "code": "invalid_credentials"}
    event = audit.one("auth.login")
    assert (event["outcome"], event["reason"], event["level"]) == ("failure", "invalid_credentials", "WARNING")
    assert event["details"] == {"username": "dr_rao"}
    assert "wrong-one" not in json.dumps(event)


def test_login_is_throttled_per_username_and_address(anon, doctor, audit, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    for _ in range(3):
        assert anon.post(LOGIN, {"username": "dr_rao", "password": "nope"}, format="json").status_code == 401
    # Locked now, even with the right password.
    response = anon.post(LOGIN, {"username": "dr_rao", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert audit.named("auth.login")[-1]["reason"] == "throttled"
    # Another address is not locked out.
    other = anon.post(LOGIN, {"username": "dr_rao", "password": PASSWORD}, format="json", REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 200


def _expired(user: Any) -> str:
    token = AccessToken.for_user(user)
    token["exp"] = int(time.time()) - 5
    return str(token)


def _wrong_signature(user: Any) -> str:
    payload = dict(AccessToken.for_user(user).payload)
    return jwt.encode(payload, "not-the-server-key-not-the-server-key", algorithm="HS256")


def _no_user_claim(user: Any) -> str:
    token = AccessToken.for_user(user)
    del token["user_id"]
    return str(token)


def _deleted_user(user: Any) -> str:
    token = str(AccessToken.for_user(user))
    user.delete()
    return token


def _inactive_user(user: Any) -> str:
    user.is_active = False
    user.save()
    return str(AccessToken.for_user(user))


def _refresh_as_access(user: Any) -> str:
    return str(RefreshToken.for_user(user))


@pytest.mark.parametrize(
    ("craft", "code"),
    [
        (_expired, "token_expired"),
        (_wrong_signature, "token_invalid"),
        (lambda user: "not.a.jwt", "token_invalid"),
        (_refresh_as_access, "token_invalid"),
        (_no_user_claim, "token_missing_user_claim"),
        (_deleted_user, "user_not_found"),
        (_inactive_user, "user_inactive"),
    ],
)
def test_each_rejected_token_answers_401_with_its_reason(anon, volunteer, audit, craft, code):
    token = craft(volunteer)
    response = _bearer(anon, token).get(ME, HTTP_X_REQUEST_ID="req-token-check-1")
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert set(response.json()) == {"detail", "code"}
    event = audit.one("auth.token_rejected")
    assert (event["outcome"], event["reason"], event["source"]) == ("failure", code, "auth")
    assert event["request"]["id"] == "req-token-check-1"
    assert token not in json.dumps(audit.events)


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("Bearer", "has no token"),
        ("Bearer ", "has no token"),
        ("", "has no token"),
        ("Bearer a b", "two words"),
        ("Bearer  a.b.c  extra", "two words"),
        ("Basic dXNlcjpwYXNz", "Bearer scheme"),
        ("Token abc", "Bearer scheme"),
        ("bearer abc", "Bearer scheme"),
        ("Bearer \u00e9t\u00e9", "characters"),
        ("Bearer \u2460", "characters"),
    ],
)
def test_a_malformed_authorization_header_is_401_in_words(anon, audit, header, words):
    response = anon.get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"detail", "code"} and body["code"] == "bad_authorization_header"
    assert words in body["detail"] and body["detail"].endswith(".") and "{" not in body["detail"]
    event = audit.one("auth.token_rejected")
    assert (event["outcome"], event["reason"]) == ("failure", "bad_authorization_header")


def test_missing_token_is_401_not_authenticated(anon):
    response = anon.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_returns_the_current_user(client_for, pharmacist):
    body = client_for(pharmacist).get(ME).json()
    assert (body["username"], body["roles"]) == ("pat_pharma", ["pharmacist"])


def test_refresh_gives_a_new_access_token(anon, doctor):
    refresh = str(RefreshToken.for_user(doctor))
    response = anon.post(REFRESH, {"refresh": refresh}, format="json")
    assert response.status_code == 200
    assert AccessToken(response.json()["access"])["user_id"] == str(doctor.pk)
    garbage = anon.post(REFRESH, {"refresh": "garbage"}, format="json")
    assert (garbage.status_code, garbage.json()["code"]) == (401, "token_invalid")


def test_logout_without_refresh_is_audited_and_tells_client_to_delete_tokens(client_for, doctor, audit):
    response = client_for(doctor).post(LOGOUT, {}, format="json")
    assert response.status_code == 200
    assert "Delete the access and refresh tokens" in response.json()["message"]
    assert response.json()["refresh_blacklisted"] is False
    event = audit.one("auth.logout")
    assert event["action"] == "logout" and event["outcome"] == "success"
    assert event["details"] == {"user_id": doctor.pk, "username": "dr_rao", "refresh_blacklisted": False}
    assert event["actor"]["username"] == "dr_rao"


def test_logout_with_own_refresh_blacklists_it(client_for, anon, doctor, audit):
    refresh = str(RefreshToken.for_user(doctor))
    response = client_for(doctor).post(LOGOUT, {"refresh": refresh}, format="json")
    assert response.status_code == 200 and response.json()["refresh_blacklisted"] is True
    assert audit.one("auth.logout")["details"]["refresh_blacklisted"] is True
    again = anon.post(REFRESH, {"refresh": refresh}, format="json")
    assert (again.status_code, again.json()["code"]) == (401, "token_invalid")
    assert refresh not in json.dumps(audit.events)


def test_logout_with_another_users_refresh_is_refused(client_for, anon, doctor, volunteer, audit):
    theirs = str(RefreshToken.for_user(volunteer))
    response = client_for(doctor).post(LOGOUT, {"refresh": theirs}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "refresh_token_not_owned"
    refusal = audit.one("auth.logout")
    assert (refusal["outcome"], refusal["reason"], refusal["level"]) == (
        "failure",
        "refresh_token_not_owned",
        "WARNING",
    )
    # Theirs still works.
    assert anon.post(REFRESH, {"refresh": theirs}, format="json").status_code == 200


def test_logout_requires_authentication(anon):
    response = anon.post(LOGOUT, {}, format="json")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_malformed_json_is_400_in_the_error_shape(anon):
    response = anon.generic("POST", LOGIN, "{bad json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert set(response.json()) == {"detail", "code"}


def test_missing_login_fields_are_400_with_fields(anon):
    response = anon.post(LOGIN, {"username": "x"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"] == {"password": ["This field is required."]}


def test_request_id_is_echoed_when_well_formed_and_replaced_otherwise(client_for, doctor, audit):
    api = client_for(doctor)
    good = api.post(LOGOUT, {}, format="json", HTTP_X_REQUEST_ID="camp-7.req-42")
    assert good["X-Request-ID"] == "camp-7.req-42"
    assert audit.events[-1]["request"] == {"id": "camp-7.req-42", "method": "POST", "path": LOGOUT, "ip": "127.0.0.1"}
    bad = api.post(LOGOUT, {}, format="json", HTTP_X_REQUEST_ID='x"}\n{"event":"forged')
    assert bad["X-Request-ID"] != 'x"}\n{"event":"forged' and len(bad["X-Request-ID"]) == 32


def test_unknown_api_path_is_404_in_the_error_shape(anon):
    response = anon.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such endpoint.", "code": "not_found"}


def test_access_token_lifetime_is_short(db):
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() <= 3600
    assert UserFactory()  # the factory works with the configured hasher
