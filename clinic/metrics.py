"""GET /metrics: Prometheus text format for every worker (core.metrics), and what needs the database.

Who may scrape: a request from the loopback interface that no proxy forwarded, or one bearing
`Authorization: Bearer <METRICS_TOKEN>`. Anything else gets 401 (no credentials, when a token
is configured) or 403, and no metrics, in the API's error shape. The figures that need the
database (the chain's backlog, LogBull's spool, the active camp) are computed at scrape time,
cached for METRICS_DB_SECONDS (15) in the shared cache, each query reading an index, never a
whole table (tests/monitoring/test_query_plans.py).
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from audit import clock
from audit import views as health
from audit.models import AuditEvent, AuditSeal
from clinic.errors import json_error
from consultations import camp_day
from core.error_codes import ErrorCode
from core.metrics import exposition
from patients.models import Visit
from pharmacy.selectors import expiring_batches, low_stock

CACHE_KEY = "medcamp:metrics:db"
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def may_scrape(request: HttpRequest) -> int:
    """200 when the request may read the metrics, else the status to refuse it with."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if given:
        scheme, _, value = given.partition(" ")
        # As bytes: compare_digest refuses a str holding non-ASCII characters (a TypeError). A WSGI
        # header is its bytes read as latin-1 (PEP 3333), so encoding it back gives them again.
        sent = value.strip().encode("latin-1", "replace")
        good = bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(sent, token.encode())
        return 200 if good else 403
    if _loopback(request.META.get("REMOTE_ADDR", "")) and not any(h in request.META for h in FORWARDING_HEADERS):
        return 200
    return 401 if token else 403


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@csrf_exempt  # it only reads; a POST is the 405 below in the error shape, not CSRF's HTML page
def metrics_view(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        response = json_error(ErrorCode.METHOD_NOT_ALLOWED, "Metrics are read with GET.")
        response["Allow"] = "GET"
        return response
    refused = may_scrape(request)
    if refused != 200:
        code = ErrorCode.NOT_AUTHENTICATED if refused == 401 else ErrorCode.PERMISSION_DENIED
        response = json_error(code, "Metrics are read from this host or with the metrics token.")
        if refused == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(DatabaseFigures()), content_type=CONTENT_TYPE_LATEST)


class DatabaseFigures(Collector):
    """Gauges read from the database and the spool directory, at most every METRICS_DB_SECONDS."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        figures = cache.get(CACHE_KEY)
        if figures is None:
            figures = measure()
            cache.set(CACHE_KEY, figures, settings.METRICS_DB_SECONDS)
        for name, (words, value, labels) in figures.items():
            if labels is None:
                yield GaugeMetricFamily(name, words, value=value)
                continue
            family = GaugeMetricFamily(name, words, labels=[labels[0]])
            for label, number in value:
                family.add_metric([label], number)
            yield family
        yield from clock_figures()


def clock_figures() -> Iterator[GaugeMetricFamily]:
    """This server's clock against the database's as this process last measured it (audit.clock): a
    figure of this server, so never in the shared cache."""
    current = clock.state()
    if current.measured is None:
        return
    yield GaugeMetricFamily(
        "medcamp_clock_offset_seconds",
        "The database's clock minus this server's, as last measured (negative: this server runs ahead)",
        value=current.measured.offset,
    )
    yield GaugeMetricFamily(
        "medcamp_clock_skewed",
        "1 while this server's clock is beyond AUDIT_CLOCK_TOLERANCE off the database's (events take its time)",
        value=1 if current.skewed else 0,
    )


def measure() -> dict[str, tuple[str, Any, tuple[str] | None]]:
    """Every database and spool figure, JSON-native (it is cached). With the database down, the
    health figures alone: the scrape still answers, and says so."""
    base = health.database()
    checks = {"database": base, "redis": health.redis(), "spool": health.spool()}
    checks["audit"] = health.audit_check() if base["ok"] else None  # sealing and shipping (audit.health)
    figures: dict[str, tuple[str, Any, tuple[str] | None]] = {
        "medcamp_health_ok": (
            "1 when a part this app server needs works (as GET /api/v1/health/ checks it), by check",
            [(name, 1 if check["ok"] else 0) for name, check in checks.items() if check is not None],
            ("check",),
        )
    }
    if not base["ok"]:
        return figures
    unsealed, lag = _chain()
    figures["medcamp_audit_unsealed_events"] = ("Stored audit events not yet sealed into the chain", unsealed, None)
    figures["medcamp_audit_seal_lag_seconds"] = (
        "Seconds since the newest sealed event's time, while events wait to be sealed (0 when none wait)",
        lag,
        None,
    )
    files, size, oldest = _spool(Path(settings.LOGBULL_SPOOL_DIR))
    figures["medcamp_logbull_spool_files"] = ("Files of events waiting on disk for LogBull", files, None)
    figures["medcamp_logbull_spool_bytes"] = ("Bytes of events waiting on disk for LogBull", size, None)
    figures["medcamp_logbull_oldest_undelivered_seconds"] = (
        "Age of the oldest spooled event file not yet delivered to LogBull (0 when none)",
        oldest,
        None,
    )
    figures.update(_trail(checks["audit"]))
    figures.update(_camp())
    return figures


def _trail(check: dict[str, Any] | None) -> dict[str, tuple[str, Any, tuple[str] | None]]:
    """The audit check's figures: how long sealing and LogBull's shipping lag."""
    if not check or "unsealed_seconds" not in check:
        return {}
    found: dict[str, tuple[str, Any, tuple[str] | None]] = {
        "medcamp_audit_oldest_unsealed_seconds": (
            "Seconds the oldest event after the chain's head has waited to be sealed (0 when none waits)",
            check["unsealed_seconds"],
            None,
        )
    }
    if "ship_lag_events" in check:  # LogBull configured and AUDIT_SHIP on
        found["medcamp_audit_ship_lag_events"] = (
            "Sealed events LogBull's cursor is behind",
            check["ship_lag_events"],
            None,
        )
        found["medcamp_audit_ship_lag_seconds"] = (
            "Seconds since the oldest sealed event LogBull has not taken was sealed (0 when none waits)",
            check["ship_lag_seconds"],
            None,
        )
    return found


def _chain() -> tuple[int, float]:
    head = AuditSeal.objects.order_by("-seq").values_list("event_pk", flat=True).first()
    waiting = AuditEvent.objects.filter(pk__gt=head or 0)
    unsealed = waiting.count()
    if not unsealed:
        return 0, 0.0
    newest = AuditEvent.objects.filter(pk=head).values_list("timestamp", flat=True).first() if head else None
    if newest is None:  # nothing sealed yet: the wait of the oldest event
        newest = waiting.order_by("pk").values_list("timestamp", flat=True).first()
    return unsealed, max(0.0, (timezone.now() - newest).total_seconds()) if newest else 0.0


def _spool(directory: Path) -> tuple[int, int, float]:
    if not directory.is_dir():
        return 0, 0, 0.0
    stats = [path.stat() for path in directory.iterdir() if path.is_file() and not path.name.startswith(".")]
    if not stats:
        return 0, 0, 0.0
    return len(stats), sum(s.st_size for s in stats), max(0.0, time.time() - min(s.st_mtime for s in stats))


def _camp() -> dict[str, tuple[str, Any, tuple[str] | None]]:
    camp = camp_day.active_camp()
    by_stage: list[tuple[str, int]] = [(value, 0) for value in Visit.Status.values]
    longest = 0.0
    if camp is not None:
        counted = dict(camp_day.stage_counts(camp))
        by_stage = [(value, counted.get(value, 0)) for value in Visit.Status.values]
        oldest = [row["oldest"] for row in camp_day.doctor_queues(camp) if row["oldest"] is not None]
        longest = max(((timezone.now() - moment).total_seconds() for moment in oldest), default=0.0)
    return {
        "medcamp_camp_patients": ("Visits of the active camp at each stage now", by_stage, ("stage",)),
        "medcamp_camp_longest_wait_seconds": (
            "The longest wait in any doctor's queue of the active camp",
            longest,
            None,
        ),
        "medcamp_medicines_below_reorder": ("Medicines below their reorder level", len(low_stock()), None),
        "medcamp_batches_expiring_soon": ("Stock batches expiring within 30 days", len(expiring_batches()), None),
        "medcamp_camp_active": ("1 when a camp is active", 1 if camp is not None else 0, None),
    }
