"""Each request's latency, status class, SQL query count and the requests in flight (core.metrics).

Outermost middleware, so the time covers every other middleware. The route label is the URL
pattern the request resolved to, as a template (`api/v1/patients/{pk}/`); a request that
resolved to nothing is `unmatched`. METRICS_ENABLED=0 turns it off (bench/metrics_cost.py
compares both in one run).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse

from core import metrics as M


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.enabled = bool(getattr(settings, "METRICS_ENABLED", True))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.enabled:
            return self.get_response(request)
        queries = [0]

        def count(execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
            queries[0] += 1
            return execute(sql, params, many, context)

        timer = M.Timer()
        M.REQUESTS_IN_FLIGHT.inc()
        try:
            with connection.execute_wrapper(count):
                response = self.get_response(request)
        finally:
            M.REQUESTS_IN_FLIGHT.dec()
        route = M.route_of(request)
        status = response.status_code
        M.REQUEST_SECONDS.labels(route, M.method_label(request.method), M.status_class(status)).observe(timer.seconds())
        M.REQUEST_QUERIES.observe(queries[0])
        if status >= 500:
            M.SERVER_ERRORS.labels(route).inc()
        elif status == 429:
            M.THROTTLED.labels(route).inc()
        return response
