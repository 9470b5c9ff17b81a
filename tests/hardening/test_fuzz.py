"""schemathesis against our own OpenAPI schema: no 5xx, and every error in the one error shape."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings

from accounts.tokens import AccessToken
from clinic.wsgi import application
from tests.factories import CampFactory, MedicineFactory, PatientFactory, StockBatchFactory, UserFactory, VisitFactory

EXAMPLES = 12  # per operation and role: 2 roles x ~45 operations x 12 > 1,000 requests


@pytest.fixture
def keep_connection():
    """Requests go straight to the WSGI app, whose request_finished signal would close the test's
    database connection (and its transaction); Django's own test client unhooks it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "volunteer"])
def test_generated_requests_never_crash_and_errors_have_one_shape(role, keep_connection):
    user = UserFactory(roles=[role])
    # Some records, so generated ids sometimes hit something.
    visit = VisitFactory(camp=CampFactory(), patient=PatientFactory())
    StockBatchFactory(medicine=MedicineFactory())
    headers = {"Authorization": f"Bearer {AccessToken.for_user(user)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    sent, failures = 0, []

    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            nonlocal sent
            response = case.call(headers=headers)
            sent += 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
            elif response.status_code >= 400:
                body = response.json()
                if not (isinstance(body, dict) and isinstance(body.get("detail"), str) and body.get("code")):
                    failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {body}")

        run()
    assert not failures, failures[:10]
    assert sent >= 500, sent
    print(f"\nschemathesis as {role}: {sent} requests, visit {visit.pk}")
