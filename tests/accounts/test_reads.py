"""Reads of users are audited by the viewsets' read mixin."""

from __future__ import annotations


def test_user_list_and_retrieve_are_read_events(client_for, audit, admin_user, volunteer):
    api = client_for(admin_user)
    assert api.get("/api/v1/users/").status_code == 200
    listed = audit.one("user.list_viewed")
    assert (listed["action"], listed["details"]["count"]) == ("read", 2)
    assert api.get(f"/api/v1/users/{volunteer.pk}/").status_code == 200
    viewed = audit.one("user.viewed")
    assert viewed["target"] == {"type": "user", "id": volunteer.pk}
    assert viewed["actor"]["username"] == admin_user.username


def test_a_refused_read_of_another_user_is_no_read_event(client_for, audit, volunteer, doctor):
    response = client_for(volunteer).get(f"/api/v1/users/{doctor.pk}/")
    assert response.status_code == 403
    assert audit.named("user.viewed") == []
    assert audit.one("user.read")["outcome"] == "failure"
