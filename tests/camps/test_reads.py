"""Reads of camps are audited by the viewsets' read mixin."""

from __future__ import annotations

from tests.factories import CampFactory


def test_camp_list_and_retrieve_are_read_events(client_for, audit, volunteer):
    camp = CampFactory()
    api = client_for(volunteer)
    assert api.get("/api/v1/camps/").status_code == 200
    listed = audit.one("camp.list_viewed")
    assert (listed["action"], listed["outcome"], listed["details"]) == ("read", "success", {"filters": {}, "count": 1})
    assert api.get(f"/api/v1/camps/{camp.pk}/").status_code == 200
    viewed = audit.one("camp.viewed")
    assert viewed["target"] == {"type": "camp", "id": camp.pk}
    assert viewed["actor"]["username"] == volunteer.username
    assert "patient_id" not in viewed  # a camp concerns no one patient
