"""OpenTelemetry: with tracing on, a request is a span named by its route with SQL spans under it."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from core import tracing
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    tracing.install(exporter, batch=False)
    yield exporter
    tracing.uninstall()


def test_a_request_and_its_sql_are_spans_with_the_request_id(client_for, spans):
    patient = PatientFactory(name="Traced Person")
    response = client_for(UserFactory(roles=["volunteer"])).get(f"/api/v1/patients/{patient.pk}/")
    assert response.status_code == 200
    finished = spans.get_finished_spans()
    (server,) = [s for s in finished if s.kind == SpanKind.SERVER and s.name == "GET api/v1/patients/{pk}/"]
    attributes = dict(server.attributes)
    assert attributes["http.route"] == "api/v1/patients/{pk}/" and attributes["http.response.status_code"] == 200
    assert attributes["medcamp.request_id"] == response["X-Request-ID"]
    sql = [s for s in finished if s.kind == SpanKind.CLIENT and s.context.trace_id == server.context.trace_id]
    assert sql and all(s.parent.span_id == server.context.span_id for s in sql)
    assert any(s.name == "SELECT" and "patients_patient" in s.attributes["db.statement"] for s in sql)
    assert not any("Traced Person" in str(s.attributes) for s in finished)  # values never leave


def test_off_by_default_nothing_is_traced(client_for):
    assert not tracing.wanted() and tracing._tracer is None
    exporter = InMemorySpanExporter()
    client_for(UserFactory(roles=["volunteer"])).get("/api/v1/health/")
    assert exporter.get_finished_spans() == ()
