"""One change, one history row, one event: a save that changes nothing writes nothing."""

from __future__ import annotations

from collections import Counter

import pytest

from audit import event_types as E
from audit.history import AuditedHistory, AuditedModel
from audit.models import AuditEvent
from patients.models import Patient
from tests.admin.test_camp_day_pages import camp_day, walk_in_admin, walk_through_api  # noqa: F401
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

CHANGES = ("create", "update", "delete")


def test_a_repeated_identical_patch_answers_200_and_writes_nothing(client_for, volunteer, audit):
    patient = PatientFactory(name="Asha", area="Kothur")
    api = client_for(volunteer)
    body = {"name": "Asha Devi", "area": "Kothur"}
    assert api.patch(f"/api/v1/patients/{patient.pk}/", body, format="json").status_code == 200
    stored = AuditEvent.objects.exclude(action="read").count()
    emitted = [e["event_id"] for e in audit.events if e["action"] != "read"]
    updated_at = Patient.objects.get(pk=patient.pk).updated_at
    for _ in range(2):
        again = api.patch(f"/api/v1/patients/{patient.pk}/", body, format="json")
        assert again.status_code == 200 and again.json()["name"] == "Asha Devi"
    assert Patient.history.filter(id=patient.pk).count() == 2  # created, then changed once
    assert AuditEvent.objects.exclude(action="read").count() == stored
    assert [e["event_id"] for e in audit.events if e["action"] != "read"] == emitted
    assert Patient.objects.get(pk=patient.pk).updated_at == updated_at  # no UPDATE was sent


def test_a_save_of_an_unchanged_record_sends_no_query(django_assert_num_queries):
    patient = Patient.objects.get(pk=PatientFactory().pk)
    with django_assert_num_queries(0):
        patient.save()


def test_a_camp_day_counts_the_same_changes_in_history_and_store(camp_day, client_for):  # noqa: F811
    walk_in_admin(camp_day)
    walk_through_api(camp_day, client_for)
    streamed = [m for m in AuditedHistory.tracked if issubclass(m, AuditedModel) and m.audit_stream]
    history = Counter({m.audit_type: m.history.count() for m in streamed})  # type: ignore[attr-defined]
    # What no history table holds, by design, has its event as its only record: a role (a group
    # membership) and a password (its hash is excluded from the user's history).
    off_history = [e.name for e in (E.USER_ROLE_ASSIGNED, E.USER_ROLE_REMOVED, E.USER_PASSWORD_CHANGED)]
    changes = AuditEvent.objects.filter(outcome="success", action__in=CHANGES).exclude(event__in=off_history)
    events = Counter(changes.values_list("target_type", flat=True))
    assert sum(history.values()) > 30  # the day made changes of every kind
    assert {t: history[t] for t in history} == {t: events[t] for t in history}
