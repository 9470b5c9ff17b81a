"""Django admin is held to the API's rules: throttled, audited sign-ins and sign-outs, audited roles
and passwords, sessions that end with the password, superusers that work."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client, TestCase

from accounts.models import User
from accounts.tokens import RefreshToken
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/?next=/admin/"
API_LOGIN = "/api/v1/auth/login/"
NEW_PASSWORD = "a-new-Passphrase-77"


def admin_sign_in(client: Client, username: str, password: str):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(ADMIN_LOGIN, {"username": username, "password": password})


def signed_in(role: str = "admin", **kwargs) -> tuple[Client, User]:
    user = UserFactory(roles=[role], **kwargs)
    client = Client()
    client.force_login(user)
    return client, user


def post(client: Client, url: str, data: dict):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data, follow=True)


# --- the door itself -------------------------------------------------------------------------
def test_admin_failures_lock_both_doors_and_the_page_says_when(client_for, audit, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    settings.LOGIN_THROTTLE_WINDOW_SECONDS = 300
    UserFactory(username="dr_rao", roles=["doctor"])
    client = Client()
    for attempt in range(3):
        response = admin_sign_in(client, "dr_rao", f"guess-{attempt}")
        assert response.status_code == 200 and b"Please enter the correct username" in response.content
    refused = admin_sign_in(client, "dr_rao", PASSWORD)  # the right password, locked out
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert b"Try again in 5 minutes" in refused.content
    api = client_for().post(API_LOGIN, {"username": "dr_rao", "password": PASSWORD}, format="json")
    assert (api.status_code, api.json()["code"]) == (429, "throttled")
    assert 1 <= int(api["Retry-After"]) <= 300
    logins = audit.named("auth.login")
    assert [(e["source"], e["reason"]) for e in logins] == [("admin", "invalid_credentials")] * 3 + [
        ("admin", "throttled"),
        ("auth", "throttled"),
    ]
    assert all(e["details"]["username"] == "dr_rao" for e in logins)
    assert not any(secret in json.dumps(audit.events) for secret in (PASSWORD, "guess-0", "guess-2"))


def test_api_failures_lock_the_admin_door_too(client_for, audit, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 2
    UserFactory(username="vic", roles=["volunteer"])
    for _ in range(2):
        assert client_for().post(API_LOGIN, {"username": "vic", "password": "x"}, format="json").status_code == 401
    assert b"Try again in" in admin_sign_in(Client(), "vic", PASSWORD).content


def test_admin_sign_in_and_sign_out_are_events(audit):
    user = UserFactory(username="ana_admin", roles=["admin"])
    versions = user.history.count()
    client = Client()
    response = admin_sign_in(client, "ana_admin", PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)
    login = audit.one("auth.login")
    assert (login["outcome"], login["source"], login["actor"]["username"]) == ("success", "admin", "ana_admin")
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/admin/logout/")
    logout = audit.one("auth.logout")
    assert (logout["source"], logout["actor"]["id"]) == ("admin", user.pk)
    user.refresh_from_db()
    assert user.last_login is not None
    assert user.history.count() == versions  # signing in writes no history row


# --- users and roles in admin ------------------------------------------------------------------
def _change_form(user: User, **overrides) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def test_roles_granted_and_removed_in_admin_are_the_apis_events(audit):
    client, admin_user = signed_in("admin")
    target = UserFactory(username="new_hand", roles=["volunteer"])
    url = f"/admin/accounts/user/{target.pk}/change/"
    doctor = Group.objects.get(name="doctor")
    post(client, url, _change_form(target, groups=[doctor.pk]))
    assert target.role_names() == ["doctor"]
    given, taken = audit.one("user.role_assigned"), audit.one("user.role_removed")
    for event in (given, taken):
        assert (event["source"], event["actor"]["id"], event["target"]) == (
            "admin",
            admin_user.pk,
            {"type": "user", "id": target.pk},
        )
    assert given["changes"]["roles"] == {"old": ["volunteer"], "new": ["doctor", "volunteer"]}
    assert taken["changes"]["roles"] == {"old": ["doctor", "volunteer"], "new": ["doctor"]}


def test_admin_refuses_a_group_that_is_not_a_role(audit):
    client, _ = signed_in("admin")
    target = UserFactory(roles=["volunteer"])
    other = Group.objects.create(name="friends")
    response = post(client, f"/admin/accounts/user/{target.pk}/change/", _change_form(target, groups=[other.pk]))
    assert b"Select a valid choice" in response.content
    assert target.role_names() == ["volunteer"]
    assert audit.named("user.role_assigned") == []


def test_is_staff_toggled_in_admin_is_a_field_level_event(audit):
    client, _ = signed_in("admin")
    target = UserFactory(roles=["volunteer"])
    post(client, f"/admin/accounts/user/{target.pk}/change/", _change_form(target, is_staff=""))
    event = audit.one("user.updated")
    assert (event["source"], event["changes"]) == ("admin", {"is_staff": {"old": True, "new": False}})


# --- sessions end with the password -------------------------------------------------------------
def _tokens(user: User) -> tuple[str, str]:
    refresh = RefreshToken.for_user(user)
    return str(refresh), str(refresh.access_token)


def _assert_old_tokens_refused(client_for, user: User, refresh: str, access: str, audit) -> None:
    api = client_for()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    response = api.get("/api/v1/auth/me/")
    assert (response.status_code, response.json()["code"]) == (401, "token_revoked")
    assert audit.named("auth.token_rejected")[-1]["reason"] == "token_revoked"
    again = client_for().post("/api/v1/auth/refresh/", {"refresh": refresh}, format="json")
    assert again.status_code == 401
    fresh = client_for().post(API_LOGIN, {"username": user.username, "password": NEW_PASSWORD}, format="json")
    assert fresh.status_code == 200
    api = client_for()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh.json()['access']}")
    assert api.get("/api/v1/auth/me/").status_code == 200


def test_a_password_changed_through_the_api_ends_earlier_tokens(client_for, audit, admin_user):
    user = UserFactory(roles=["doctor"])
    refresh, access = _tokens(user)
    response = client_for(admin_user).patch(f"/api/v1/users/{user.pk}/", {"password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200
    event = audit.one("user.password_changed")
    assert event["details"] == {"refresh_tokens_revoked": 1} and event["actor"]["id"] == admin_user.pk
    _assert_old_tokens_refused(client_for, user, refresh, access, audit)


def test_a_password_set_in_admin_ends_earlier_tokens_and_is_an_event(client_for, audit):
    client, _ = signed_in("admin")
    user = UserFactory(roles=["pharmacist"])
    refresh, access = _tokens(user)
    response = post(
        client, f"/admin/accounts/user/{user.pk}/password/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 200
    event = audit.one("user.password_changed")
    assert event["source"] == "admin" and event["target"] == {"type": "user", "id": user.pk}
    assert NEW_PASSWORD not in json.dumps(audit.events) and "pbkdf2" not in json.dumps(audit.events)
    _assert_old_tokens_refused(client_for, user, refresh, access, audit)


def test_manage_changepassword_ends_earlier_tokens(client_for, audit, monkeypatch):
    from django.contrib.auth.management.commands import changepassword

    user = UserFactory(roles=["volunteer"])
    refresh, access = _tokens(user)
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": NEW_PASSWORD)
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("changepassword", user.username, stdout=io.StringIO())
    assert audit.one("user.password_changed")["source"] == "command"
    _assert_old_tokens_refused(client_for, user, refresh, access, audit)


def test_deactivation_revokes_refresh_tokens_and_leaves_the_rest(client_for, admin_user):
    user = UserFactory(roles=["doctor"], first_name="Meena")
    refresh, _ = _tokens(user)
    client_for(admin_user).patch(f"/api/v1/users/{user.pk}/", {"is_active": False}, format="json")
    client_for(admin_user).patch(f"/api/v1/users/{user.pk}/", {"is_active": True}, format="json")
    assert client_for().post("/api/v1/auth/refresh/", {"refresh": refresh}, format="json").status_code == 401
    user.refresh_from_db()
    assert (user.first_name, user.role_names()) == ("Meena", ["doctor"])


# --- superusers and the first admin --------------------------------------------------------------
def test_a_createsuperuser_user_is_an_admin_in_the_api(client_for, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", NEW_PASSWORD)
    call_command("createsuperuser", interactive=False, username="root_admin", email="", stdout=io.StringIO())
    user = User.objects.get(username="root_admin")
    response = client_for(user).get("/api/v1/auth/me/")
    assert response.status_code == 200 and response.json()["roles"] == ["admin"]
    assert client_for(user).get("/api/v1/users/").status_code == 200


def test_create_admin_reads_the_password_from_the_environment(client_for, monkeypatch):
    monkeypatch.setenv("MEDCAMP_ADMIN_PASSWORD", NEW_PASSWORD)
    call_command("create_admin", username="first_admin", stdout=io.StringIO())
    login = client_for().post(API_LOGIN, {"username": "first_admin", "password": NEW_PASSWORD}, format="json")
    assert login.status_code == 200 and login.json()["user"]["roles"] == ["admin"]
    assert User.objects.get(username="first_admin").is_superuser


def test_create_admin_reads_the_password_from_stdin(client_for, monkeypatch):
    monkeypatch.delenv("MEDCAMP_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    call_command("create_admin", username="stdin_admin", password_stdin=True, stdout=io.StringIO())
    login = client_for().post(API_LOGIN, {"username": "stdin_admin", "password": NEW_PASSWORD}, format="json")
    assert login.status_code == 200


def test_create_admin_refuses_without_a_password_or_with_a_weak_one(monkeypatch):
    monkeypatch.delenv("MEDCAMP_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="No password"):
        call_command("create_admin", username="nobody")
    monkeypatch.setenv("MEDCAMP_ADMIN_PASSWORD", "123")
    with pytest.raises(CommandError, match="refused"):
        call_command("create_admin", username="nobody")
    assert not User.objects.filter(username="nobody").exists()
