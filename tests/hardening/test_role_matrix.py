"""Every (role, endpoint, method) of docs/roles.md, anonymous included, against the running API.

Allowed: neither 401 nor 403 (ids that do not exist keep allowed writes harmless: 404/400).
Refused: 403 `permission_denied` for a signed-in role, 401 `not_authenticated` for anonymous
(a missing token is a 401, so the app knows to sign in), each in the error shape and
logged as a failure event.
"""

from __future__ import annotations

import re

import pytest

from accounts.matrix import routes
from accounts.roles import ALL_ROLES
from tests.factories import UserFactory

MISSING_ID = "987654"
CASES = [(route, role) for route in routes() for role in (*ALL_ROLES, None)]


def concrete(path: str) -> str:
    path = path.replace("{role}", "volunteer")
    return "/api/v1/" + re.sub(r"\{\w+\}", MISSING_ID, path)


@pytest.mark.parametrize(
    ("route", "role"), CASES, ids=[f"{r.method} {r.path} as {role or 'anonymous'}" for r, role in CASES]
)
def test_role_matrix(client_for, audit, route, role):
    user = UserFactory(roles=[role]) if role else None
    api = client_for(user)
    url = concrete(route.path)
    response = api.generic(route.method, url, "{}", content_type="application/json")
    status = response.status_code
    if route.allows(role):
        assert status not in (401, 403), f"{role} should reach {route.method} {url}: {status} {response.content[:200]}"
        assert status < 500
        return
    expected = (403, "permission_denied") if role else (401, "not_authenticated")
    body = response.json()
    assert (status, body["code"]) == expected
    assert set(body) == {"detail", "code"}
    failures = [e for e in audit.events if e["outcome"] == "failure"]
    assert failures and failures[-1]["reason"] == expected[1]
    assert failures[-1]["request"]["path"] == url


def test_the_matrix_covers_every_api_route():
    assert len({(r.path, r.method) for r in routes()}) >= 40
    assert len(CASES) == len(routes()) * (len(ALL_ROLES) + 1)


ADMIN_USER_PAGES = [
    ("list", "/admin/accounts/user/", "accounts.view_user"),
    ("change page", "/admin/accounts/user/{id}/change/", "accounts.view_user"),
    ("history", "/admin/accounts/user/{id}/history/", "accounts.view_historicaluser"),
    ("password", "/admin/accounts/user/{id}/password/", "accounts.change_user"),
]


@pytest.mark.parametrize("role", [*ALL_ROLES, None], ids=[*ALL_ROLES, "anonymous"])
@pytest.mark.parametrize(("page", "url", "permission"), ADMIN_USER_PAGES, ids=[p[0] for p in ADMIN_USER_PAGES])
def test_admin_user_pages_follow_the_role_matrix(db, role, page, url, permission):
    from django.test import Client

    target = UserFactory(roles=["volunteer"])
    client = Client()
    user = UserFactory(roles=[role]) if role else None
    if user is not None:
        client.force_login(user)
    response = client.get(url.format(id=target.pk))
    if user is None:
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    elif user.has_perm(permission):
        assert response.status_code == 200, f"{role} should open the user {page}"
    else:
        assert response.status_code == 403, f"{role} must not open the user {page}: {response.status_code}"
    if role == "admin" or (role == "auditor" and page != "password"):
        assert response.status_code == 200
