"""OpenTelemetry traces of requests and their SQL, when OTEL_EXPORTER_OTLP_ENDPOINT is set.

Off by default, and then free: nothing of OpenTelemetry is imported and the middleware
returns at its first line. On, each request is a server span named by its route template
(`GET api/v1/patients/{pk}/`, never a raw path) with the method, the status, the route and
MedCamp's request id (`medcamp.request_id`, the X-Request-ID the audit trail carries) as
attributes; each SQL statement is a child span with the statement as Django sends it
(placeholders, never the values: no patient data leaves in a trace).

`install()` runs after gunicorn forks (clinic/gunicorn_conf.py, post_fork): a batch span
processor's thread started before fork() would not exist in the workers. The exporter is
OTLP over HTTP (opentelemetry-exporter-otlp-proto-http), configured by the standard
OTEL_* variables (https://opentelemetry.io/docs/specs/otel/protocol/exporter/).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse

from core.metrics import method_label, route_of

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
SERVICE = "medcamp"
_tracer: Any = None


def wanted() -> bool:
    return bool(os.environ.get(ENDPOINT_ENV))


def install(exporter: Any = None, *, batch: bool = True) -> None:
    """Start tracing this process: to `exporter`, or to OTLP/HTTP at OTEL_EXPORTER_OTLP_ENDPOINT."""
    global _tracer
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", SERVICE)}))
    provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
    _tracer = provider.get_tracer("medcamp")


def uninstall() -> None:
    """Stop tracing this process (tests)."""
    global _tracer
    _tracer = None


class TracingMiddleware:
    """A server span per request, a child span per SQL statement; nothing when tracing is off."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tracer = _tracer
        if tracer is None:
            return self.get_response(request)
        from opentelemetry.trace import SpanKind, Status, StatusCode

        method = method_label(request.method)
        with tracer.start_as_current_span(method, kind=SpanKind.SERVER) as span:

            def traced(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
                verb = sql.split(None, 1)[0].upper() if sql.strip() else "SQL"
                with tracer.start_as_current_span(verb, kind=SpanKind.CLIENT) as child:
                    child.set_attribute("db.system", connection.vendor)
                    child.set_attribute("db.statement", sql)
                    return execute(sql, params, many, context)

            with connection.execute_wrapper(traced):
                response = self.get_response(request)
            route = route_of(request)
            span.update_name(f"{method} {route}")
            span.set_attribute("http.request.method", method)
            span.set_attribute("http.route", route)
            span.set_attribute("http.response.status_code", response.status_code)
            request_id = response.get("X-Request-ID")
            if request_id:
                span.set_attribute("medcamp.request_id", request_id)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
        return response
