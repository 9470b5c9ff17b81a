"""Concurrent registrations for one camp get distinct, consecutive tokens (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import User
from patients import services
from patients.models import Visit
from tests.conftest import require_postgres
from tests.factories import CampFactory, PatientFactory, UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_get_distinct_tokens():
    require_postgres()
    camp = CampFactory()
    patients = PatientFactory.create_batch(24)
    by = UserFactory(roles=["volunteer"])
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def register(chunk: list[int]) -> None:
        try:
            user = User.objects.get(pk=by.pk)
            barrier.wait()
            for patient_id in chunk:
                services.visit_register(by=user, patient_id=patient_id, camp_id=camp.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    ids = [p.pk for p in patients]
    threads = [threading.Thread(target=register, args=(ids[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    tokens = sorted(Visit.objects.filter(camp=camp).values_list("token_number", flat=True))
    assert tokens == list(range(1, 25))
