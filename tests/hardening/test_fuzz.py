"""schemathesis against our own OpenAPI schema, every operation, response conformance on.

Each generated request's answer must be no server error, a documented status, the documented
content type and headers, and a body matching the documented schema (the error shape for
refusals). Runs as admin and as volunteer with input the schema allows, and as admin and
anonymous with input it does not (schemathesis's negative mode: wrong types, out-of-range
numbers, missing fields), on whichever database the suite runs on (CI runs both). The
hostile suite (test_hostile.py) sends what no schema describes: raw header bytes, 20 MB and
deeply nested bodies, to every route, admin's too.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tokens import AccessToken
from clinic.wsgi import application
from tests.factories import CampFactory, MedicineFactory, PatientFactory, StockBatchFactory, UserFactory, VisitFactory

# per operation and role: 2 roles x 47 operations x 12 > 1,000 requests; FUZZ_EXAMPLES=200
# FUZZ_RANDOM=1 for a deeper, differently seeded run by hand
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
DERANDOMIZE = not os.environ.get("FUZZ_RANDOM")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "mode"),
    [
        ("admin", GenerationMode.POSITIVE),
        ("volunteer", GenerationMode.POSITIVE),
        ("admin", GenerationMode.NEGATIVE),
        (None, GenerationMode.NEGATIVE),
    ],
)
def test_every_operation_answers_as_its_schema_says(role, mode, wsgi_in_test):
    # Some records, so generated ids sometimes hit something.
    visit = VisitFactory(camp=CampFactory(), patient=PatientFactory())
    StockBatchFactory(medicine=MedicineFactory())
    headers = {"Authorization": f"Bearer {AccessToken.for_user(UserFactory(roles=[role]))}"} if role else {}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    sent, operations, failures = 0, 0, []

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=DERANDOMIZE,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: schemathesis.Case) -> None:
            nonlocal sent
            response = case.call(headers=headers)
            sent += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as group:  # every failure of every case, not only hypothesis's first
                for failure in group.exceptions:
                    failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {failure}"[:300])

        try:
            run()
        except Unsatisfiable:  # negative mode, an operation that takes no input to break (GET auth/me/)
            assert mode is GenerationMode.NEGATIVE, operation.label
    who = f"{role or 'anonymous'}, {mode.value}"
    print(f"\nschemathesis as {who}: {operations} operations, {sent} requests, visit {visit.pk}")
    assert not failures, "\n".join(failures[:15])
    assert operations >= 47 and sent >= 500, (operations, sent)
