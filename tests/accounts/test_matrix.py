"""docs/roles.md's role matrix matches the views, and only the intended endpoints are public."""

from __future__ import annotations

from accounts.management.commands.role_matrix import DOC, replace_table
from accounts.matrix import markdown, routes

PUBLIC = {"auth/login/", "auth/refresh/", "health/", "schema/", "docs/"}


def test_docs_role_matrix_matches_the_views():
    text = DOC.read_text()
    assert replace_table(text, markdown()) == text, "run: manage.py role_matrix --write"


def test_only_the_intended_endpoints_are_public():
    public = {route.path for route in routes() if route.roles is None}
    assert public == PUBLIC
