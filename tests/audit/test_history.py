"""History rows and change events: one event per change, after commit only."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from accounts import services
from accounts.models import User
from tests.factories import PASSWORD, UserFactory


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_emits_nothing_and_keeps_no_history(audit):
    admin = UserFactory(username="root_admin", roles=["admin"])
    user = UserFactory(username="temp_user")
    history_before = user.history.count()
    audit.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.user_update(by=admin, user_id=user.pk, first_name="Changed")
        raise RuntimeError("the camp laptop lost power")
    assert audit.events == []
    assert user.history.count() == history_before
    user.refresh_from_db()
    assert user.first_name != "Changed"


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_emits_once_after_commit(audit):
    admin = UserFactory(username="root_admin2", roles=["admin"])
    user = UserFactory(username="temp_user2", first_name="Old")
    audit.clear()
    with transaction.atomic():
        services.user_update(by=admin, user_id=user.pk, first_name="New")
        assert audit.events == []  # not before the commit
    event = audit.one("user.updated")
    assert event["changes"] == {"first_name": {"old": "Old", "new": "New"}}
    assert event["actor"]["username"] == "root_admin2"
    assert event["source"] == "command"
    row = user.history.first()
    assert (row.history_type, row.first_name, row.history_user_id) == ("~", "New", admin.pk)


def test_a_save_that_changes_nothing_audited_emits_nothing(db, audit, django_capture_on_commit_callbacks):
    user = User.objects.get(pk=UserFactory().pk)
    with django_capture_on_commit_callbacks(execute=True):
        user.save()
    assert audit.events == []


def test_finding_what_changed_costs_no_query(db, django_assert_num_queries, django_capture_on_commit_callbacks, audit):
    user = User.objects.get(pk=UserFactory(first_name="A").pk)
    user.first_name = "B"
    # The UPDATE, the history row and the event store's row: on PostgreSQL those two are one
    # statement (a data-modifying WITH); on SQLite, which has no round trip, two.
    statements = 2 if connection.vendor == "postgresql" else 3
    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(statements):
        user.save()
    assert audit.one("user.updated")["changes"] == {"first_name": {"old": "A", "new": "B"}}


def test_an_admin_edit_carries_source_admin_and_the_session_user(client, db, audit):
    admin = UserFactory(username="site_admin", roles=["admin"], is_superuser=True)
    target = UserFactory(username="edited_in_admin", first_name="Before")
    client.login(username="site_admin", password=PASSWORD)
    form = {
        "username": "edited_in_admin",
        "first_name": "After",
        "last_name": target.last_name,
        "email": target.email,
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "08:00:00",
    }
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/admin/accounts/user/{target.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    event = audit.one("user.updated")
    assert event["source"] == "admin"
    assert event["actor"]["username"] == "site_admin"
    assert event["changes"]["first_name"] == {"old": "Before", "new": "After"}
    assert event["request"]["path"] == f"/admin/accounts/user/{target.pk}/change/"
    assert target.history.first().history_user == admin


def test_history_pages_refuse_a_revert_post_even_for_viewers(client, db, audit):
    auditor = UserFactory(username="the_auditor", roles=["auditor"])
    target = UserFactory(username="victim", first_name="Original")
    services.user_update(by=auditor, user_id=target.pk, first_name="Second")
    first_version = target.history.order_by("history_id").first()
    client.login(username="the_auditor", password=PASSWORD)
    url = f"/admin/accounts/user/{target.pk}/history/{first_version.history_id}/"
    assert client.get(url).status_code == 200  # an auditor may look
    response = client.post(url, {"username": "victim", "first_name": "Hacked"})
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.first_name == "Second"
    refused = audit.one("user.revert")
    assert (refused["outcome"], refused["reason"], refused["source"]) == ("failure", "history_is_read_only", "admin")


def test_every_audited_model_keeps_its_trail():
    from audit.checks import audited_models_keep_their_trail
    from audit.history import AuditedHistory

    assert audited_models_keep_their_trail() == []
    from patients.models import Patient

    AuditedHistory.tracked.discard(Patient)
    try:
        assert [e.id for e in audited_models_keep_their_trail()] == ["audit.E003"]
    finally:
        AuditedHistory.tracked.add(Patient)
