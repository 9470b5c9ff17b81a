"""GET health/: whether this app server can do its work (database, shared cache, LogBull spool),
and whether the trail is being sealed and shipped (the `audit` check: audit.health)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as s
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.health import audit as audit_check
from audit.logbull import all_stats
from core import cache as shared_cache

Check = dict[str, Any]


def database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def redis() -> Check | None:
    """The shared cache (sign-in throttling across processes), when REDIS_URL configures one: Redis
    itself, never the memory a process falls back to while Redis is down (core/cache.py)."""
    if not settings.REDIS_URL:
        return None
    return shared_cache.probe(caches["default"])


def spool() -> Check | None:
    """LogBull's spool: events wait there while LogBull is out of reach, so it must take writes."""
    if not settings.LOGBULL_HOST:
        return None
    directory = Path(settings.LOGBULL_SPOOL_DIR)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".health-"):
            pass
        free_mb = shutil.disk_usage(directory).free // (1024 * 1024)
    except OSError as exc:
        return {"ok": False, "writable": False, "error": type(exc).__name__}
    minimum: int = settings.HEALTH_MIN_FREE_MB
    return {"ok": free_mb >= minimum, "writable": True, "free_mb": free_mb, "min_free_mb": minimum}


class HealthView(APIView):
    """Whether this app server can do its work: 200, or 503 naming each part that is down."""

    authentication_classes: list[Any] = []
    audit_resource = "health"

    @extend_schema(
        responses={
            (code, "application/json"): inline_serializer(
                f"Health{code}",
                {
                    "status": s.ChoiceField(choices=["ok", "unavailable"]),
                    "failing": s.ListField(child=s.CharField()),
                    "database": s.CharField(),
                    "checks": s.DictField(),
                    "audit": s.DictField(),
                },
            )
            for code in (200, 503)
        }
    )
    def get(self, request: Request) -> Response:
        base = database()
        checks = {"database": base, "redis": redis(), "spool": spool(), "audit": audit_check() if base["ok"] else None}
        required = {name: check for name, check in checks.items() if check is not None}
        failing = sorted(name for name, check in required.items() if not check["ok"])
        logbull = all_stats()
        body = {
            "status": "unavailable" if failing else "ok",
            "failing": failing,
            "database": "ok" if base["ok"] else "unreachable",
            "checks": required,
            "audit": {"logbull": logbull if logbull else {"enabled": False}},
        }
        return Response(body, status=503 if failing else 200)
