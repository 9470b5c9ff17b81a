"""Users and roles through the API, audited without passwords."""

from __future__ import annotations

import json

import pytest

from accounts.models import User
from audit.state import of as state_of
from tests.factories import PASSWORD

USERS = "/api/v1/users/"


def test_admin_creates_a_user_with_roles_and_it_is_audited_without_password(client_for, admin_user, audit, audit_file):
    payload = {"username": "nurse_joy", "password": "Str0ng-Enough-Pass", "first_name": "Joy", "roles": ["volunteer"]}
    response = client_for(admin_user).post(USERS, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["roles"] == ["volunteer"]
    user = User.objects.get(username="nurse_joy")
    assert user.check_password("Str0ng-Enough-Pass") and user.is_staff
    event = audit.one("user.created")
    assert event["fields"] == {
        "username": "nurse_joy",
        "first_name": "Joy",
        "is_active": True,
        "is_staff": True,
        "is_superuser": False,
    }
    assert event["details"] == {"roles": ["volunteer"], "state": state_of(user)}
    assert event["actor"]["username"] == "alice_admin"
    assert event["target"] == {"type": "user", "id": user.pk}
    assert "Str0ng-Enough-Pass" not in json.dumps(audit.events)
    # The file sink wrote the same event as one parseable JSON line.
    lines = [line for line in audit_file() if line["event"] == "user.created"]
    assert lines == [event]
    assert user.history.count() == 1
    assert user.history.first().history_user == admin_user


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"password": "Str0ng-Enough-Pass"}, "username"),
        ({"username": "x1"}, "password"),
        ({"username": "x2", "password": "Str0ng-Enough-Pass", "roles": ["wizard"]}, "roles"),
        ({"username": "x3", "password": "123"}, "password"),
    ],
)
def test_bad_user_input_is_400_with_fields_and_nothing_created(client_for, admin_user, payload, field, audit):
    before = User.objects.count()
    response = client_for(admin_user).post(USERS, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"]
    assert User.objects.count() == before
    failure = audit.one("user.create")
    assert failure["outcome"] == "failure" and field in failure["details"]["fields"]


def test_user_list_for_admin_and_auditor_only(client_for, admin_user, auditor, volunteer, audit):
    assert client_for(admin_user).get(USERS).status_code == 200
    listed = client_for(auditor).get(USERS)
    assert listed.status_code == 200
    assert {u["username"] for u in listed.json()["results"]} >= {"alice_admin", "aud_auditor", "vic_volunteer"}
    assert audit.named("user.list_viewed")[-1]["details"]["count"] == 3
    refused = client_for(volunteer).get(USERS)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    failure = audit.named("user.read")[-1]
    assert (failure["outcome"], failure["reason"], failure["actor"]["username"]) == (
        "failure",
        "permission_denied",
        "vic_volunteer",
    )


def test_a_user_views_themself_but_not_others(client_for, volunteer, doctor, audit):
    api = client_for(volunteer)
    assert api.get(f"{USERS}{volunteer.pk}/").status_code == 200
    assert audit.one("user.viewed")["target"] == {"type": "user", "id": volunteer.pk}
    assert api.get(f"{USERS}{doctor.pk}/").status_code == 403


def test_update_logs_changed_fields_only_and_never_the_password(client_for, admin_user, volunteer, audit):
    payload = {"first_name": "Victor", "last_name": volunteer.last_name, "password": "An0ther-Good-Pass"}
    response = client_for(admin_user).patch(f"{USERS}{volunteer.pk}/", payload, format="json")
    assert response.status_code == 200
    event = audit.one("user.updated")
    assert event["changes"] == {"first_name": {"old": volunteer.first_name, "new": "Victor"}}
    assert event["details"] == {
        "password_changed": True,
        "state": state_of(type(volunteer).objects.get(pk=volunteer.pk)),
    }
    assert "An0ther-Good-Pass" not in json.dumps(audit.events)
    volunteer.refresh_from_db()
    assert volunteer.check_password("An0ther-Good-Pass")
    history = volunteer.history.first()
    assert not hasattr(history, "password")


def test_admin_assigns_and_removes_a_role(client_for, admin_user, volunteer, audit):
    api = client_for(admin_user)
    response = api.post(f"{USERS}{volunteer.pk}/roles/", {"role": "counsellor"}, format="json")
    assert response.status_code == 200
    assert response.json()["roles"] == ["counsellor", "volunteer"]
    assigned = audit.one("user.role_assigned")
    assert assigned["changes"] == {"roles": {"old": ["volunteer"], "new": ["counsellor", "volunteer"]}}
    assert assigned["message"] == "alice_admin gave role counsellor to vic_volunteer"
    assert api.post(f"{USERS}{volunteer.pk}/roles/", {"role": "counsellor"}, format="json").status_code == 409

    removed = api.delete(f"{USERS}{volunteer.pk}/roles/counsellor/")
    assert removed.status_code == 200 and removed.json()["roles"] == ["volunteer"]
    assert audit.one("user.role_removed")["changes"]["roles"]["new"] == ["volunteer"]


def test_removing_the_last_role_revokes_admin_site_access(client_for, admin_user, volunteer):
    client_for(admin_user).delete(f"{USERS}{volunteer.pk}/roles/volunteer/")
    volunteer.refresh_from_db()
    assert volunteer.is_staff is False


def test_unknown_role_is_refused_and_nothing_changes(client_for, admin_user, volunteer):
    api = client_for(admin_user)
    assigned = api.post(f"{USERS}{volunteer.pk}/roles/", {"role": "wizard"}, format="json")
    assert (assigned.status_code, assigned.json()["code"]) == (400, "invalid")
    assert "role" in assigned.json()["fields"]
    removed = api.delete(f"{USERS}{volunteer.pk}/roles/wizard/")
    assert (removed.status_code, removed.json()["code"]) == (404, "unknown_role")
    volunteer.refresh_from_db()
    assert volunteer.role_names() == ["volunteer"]


@pytest.mark.parametrize("role", ["doctor", "pharmacist", "volunteer", "counsellor", "auditor"])
def test_only_admins_manage_roles(client_for, role, volunteer, audit, django_user_model):
    from tests.factories import UserFactory

    actor = UserFactory(roles=[role])
    api = client_for(actor)
    assert api.post(f"{USERS}{volunteer.pk}/roles/", {"role": "admin"}, format="json").status_code == 403
    assert api.delete(f"{USERS}{volunteer.pk}/roles/volunteer/").status_code == 403
    volunteer.refresh_from_db()
    volunteer.forget_roles()
    assert volunteer.role_names() == ["volunteer"]
    reasons = [e["reason"] for e in audit.events if e["event"].startswith("user_role.")]
    assert reasons == ["permission_denied", "permission_denied"]


def test_role_groups_carry_model_permissions(db):
    from django.contrib.auth.models import Group

    auditor = Group.objects.get(name="auditor")
    codenames = set(auditor.permissions.values_list("codename", flat=True))
    assert "view_user" in codenames and "view_historicaluser" in codenames
    assert not any(c.startswith(("add_", "change_", "delete_")) for c in codenames)
    admin = set(Group.objects.get(name="admin").permissions.values_list("codename", flat=True))
    assert "change_user" in admin and "change_historicaluser" not in admin
    assert PASSWORD  # personas share one password, scanned for in every sink
