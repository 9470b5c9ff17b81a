from __future__ import annotations

from typing import Any

from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as s
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.logbull import all_stats


class HealthView(APIView):
    """Database reachability and the audit sinks' counters, for operators."""

    authentication_classes: list[Any] = []
    audit_resource = "health"

    @extend_schema(
        responses=inline_serializer(
            "Health", {"status": s.CharField(), "database": s.CharField(), "audit": s.DictField()}
        )
    )
    def get(self, request: Request) -> Response:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            database = "ok"
        except Exception:
            database = "unreachable"
        logbull = all_stats()
        body = {
            "status": "ok" if database == "ok" else "degraded",
            "database": database,
            "audit": {"logbull": logbull if logbull else {"enabled": False}},
        }
        return Response(body, status=200 if database == "ok" else 503)
