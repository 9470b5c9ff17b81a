"""Prometheus metrics shared by every layer, correct across gunicorn's worker processes.

prometheus-client's multiprocess mode (https://prometheus.github.io/client_python/multiprocess/):
with PROMETHEUS_MULTIPROC_DIR set before the first import of prometheus_client, every process
writes its samples to memory-mapped files in that directory, and a scrape merges them
(`exposition`). Gauges say how to merge: `livesum` adds the live processes' values. Without
the variable (runserver, tests, management commands) the process's own registry serves.

Label values come from bounded sets only: a route *template*, a method, a status class, a
catalogue family, a sink. Never a user, a patient, a token, an id or a raw path (tests/monitoring).
"""

from __future__ import annotations

import atexit
import fcntl
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.registry import REGISTRY, Collector

from core.metrics_merge import MergedFiles

disable_created_metrics()  # no `_created` series: multiprocess mode has none, so neither has one process
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROC_ENV):
    # A management command run with the server's environment (migrate before gunicorn starts, a
    # cron job) may come first: the directory must exist before the first metric is defined.
    Path(os.environ[MULTIPROC_ENV]).mkdir(parents=True, exist_ok=True)
LOCK_NAME = ".scrape.lock"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUERY_BUCKETS = (0, 1, 2, 5, 10, 20, 50, 100, 200)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# --- requests --------------------------------------------------------------------------------
REQUEST_SECONDS = Histogram(
    "medcamp_http_request_duration_seconds",
    "Time to answer a request, by route template, method and status class",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
REQUESTS_IN_FLIGHT = Gauge(
    "medcamp_http_requests_in_flight", "Requests being answered now", multiprocess_mode="livesum"
)
REQUEST_QUERIES = Histogram("medcamp_http_request_queries", "SQL queries one request ran", buckets=QUERY_BUCKETS)
SERVER_ERRORS = Counter("medcamp_http_server_errors_total", "Requests answered 5xx, by route template", ["route"])
THROTTLED = Counter("medcamp_http_throttled_total", "Requests answered 429, by route template", ["route"])

# --- the audit pipeline ----------------------------------------------------------------------
AUDIT_EVENTS = Counter(
    "medcamp_audit_events_total", "Audit events emitted, by family and outcome", ["family", "outcome"]
)
SINK_WRITTEN = Counter("medcamp_audit_sink_written_total", "Audit events a sink wrote (LogBull: accepted)", ["sink"])
SINK_FAILED = Counter(
    "medcamp_audit_sink_failed_total", "Audit events a sink failed to write (LogBull: rejected or dropped)", ["sink"]
)
LOGBULL_EVENTS = Counter(
    "medcamp_logbull_events_total", "What the LogBull handler did with events, by result", ["result"]
)
LOGBULL_QUEUE = Gauge(
    "medcamp_logbull_queue_depth", "Events in the LogBull handlers' memory queues", multiprocess_mode="livesum"
)
CHAIN_ALARMS = Counter(
    "medcamp_audit_chain_alarms_total", "Alarms of the audit trail (chain, clock, LogBull), by kind", ["kind"]
)
SIGN_IN_FAILURES = Counter("medcamp_auth_failures_total", "Refused sign-ins, by door", ["door"])
SIGN_IN_THROTTLED = Counter("medcamp_auth_throttled_total", "Throttled sign-in attempts, by door", ["door"])
REPLAYS = Counter("medcamp_idempotent_replays_total", "Writes answered from a stored Idempotency-Key answer")

# Every label value an alert counts is exported at 0 from a process's start. increase() and rate()
# need two samples of a series: one that first appears already at N (an alarm every worker raised)
# reads as no increase, and the first forgery would never alert. In multiprocess mode `labels()`
# writes the 0 to the process's file (prometheus_client.values.MmapedValue reads its key, creating
# it at 0), and a forked worker writes every known child again at its first count.
# Not zeroed: the per-route HTTP counters (165 routes, two series each, on every scrape), whose
# alert is a 5-minute ratio that one missed first sample does not change.
ALARM_KINDS = ("forgery", "rewritten", "replay", "clock_skew", "ship_refused")
DOORS = ("api", "admin", "other")
SINKS = ("store", "file", "console", "logbull", "witness")
LOGBULL_RESULTS = ("sent", "queued", "retried", "spooled", "dropped", "rejected")
ALARM_FAMILIES = (("audit", "failure"), ("auth", "failure"))


def _zero() -> None:
    for kind in ALARM_KINDS:
        CHAIN_ALARMS.labels(kind)
    for door in DOORS:
        SIGN_IN_FAILURES.labels(door)
        SIGN_IN_THROTTLED.labels(door)
    for sink in SINKS:
        SINK_WRITTEN.labels(sink)
        SINK_FAILED.labels(sink)
    for result in LOGBULL_RESULTS:
        LOGBULL_EVENTS.labels(result)
    for family, outcome in ALARM_FAMILIES:
        AUDIT_EVENTS.labels(family, outcome)


_zero()


def _fold_on_exit() -> None:
    """At a process's normal exit, its files join the archive (a cron job's counts stay, its
    files do not pile up); gunicorn's child_exit does the same for a worker killed outright."""
    directory = multiprocess_dir()
    if directory is not None and directory.is_dir():
        worker_exited(directory, os.getpid())


atexit.register(_fold_on_exit)  # reads the pid at exit: right in every forked worker too


def multiprocess_dir() -> Path | None:
    raw = os.environ.get(MULTIPROC_ENV, "")
    return Path(raw) if raw else None


def prepare_directory(directory: Path) -> None:
    """At server start (gunicorn's on_starting): the directory exists and holds no old files."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.db"):
        old.unlink()


@contextmanager
def _locked(directory: Path, mode: int) -> Iterator[None]:
    with open(directory / LOCK_NAME, "a+") as handle:
        fcntl.flock(handle, mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def worker_exited(directory: Path, pid: int) -> None:
    """gunicorn's child_exit: drop a dead worker's live gauges and fold its counters and
    histograms into one archive file per kind, so files do not pile up as workers recycle.

    prometheus-client's own mark_process_dead removes the `live*` gauges only; its counters
    and histograms stay in `<kind>_<pid>.db` forever. The fold runs under an exclusive lock
    that scrapes take shared, so no scrape sees a worker's counts twice or not at all (a
    counter that went back would read as a reset to Prometheus).
    """
    multiprocess.mark_process_dead(pid, str(directory))
    with _locked(directory, fcntl.LOCK_EX):
        for kind in ("counter", "histogram"):
            dead = directory / f"{kind}_{pid}.db"
            if not dead.exists():
                continue
            archive = MmapedDict(str(directory / f"{kind}_archive.db"))
            try:
                for key, value, timestamp in _read(dead):
                    current, _ = archive.read_value(key)
                    archive.write_value(key, current + value, timestamp)
            finally:
                archive.close()
            dead.unlink()


def _read(path: Path) -> Iterator[tuple[str, float, float]]:
    for key, value, timestamp, _ in MmapedDict.read_all_values_from_file(str(path)):
        yield key, value, timestamp


def exposition(extra: Collector | None = None) -> bytes:
    """The text format of every metric: merged across processes in multiprocess mode."""
    directory = multiprocess_dir()
    if directory is None:
        if extra is None:
            return generate_latest(REGISTRY)
        registry = CollectorRegistry()
        registry.register(_Everything())
        registry.register(extra)
        return generate_latest(registry)
    registry = CollectorRegistry()
    registry.register(MergedFiles(directory))  # prometheus-client's merge, faster (core.metrics_merge)
    if extra is not None:
        registry.register(extra)
    with _locked(directory, fcntl.LOCK_SH):
        return generate_latest(registry)


class _Everything(Collector):
    """The process's default registry, as one collector of another registry."""

    def collect(self) -> Any:
        yield from REGISTRY.collect()


# --- route templates -------------------------------------------------------------------------
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_UNNAMED_GROUP = re.compile(r"\((?!\?)[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def route_template(route: str) -> str:
    """A resolver's route as a label: `^patients/(?P<pk>[0-9]+)/$` and `<int:pk>` read `{pk}`."""
    route = _NAMED_GROUP.sub(lambda m: "{" + m.group(1) + "}", route)
    route = _UNNAMED_GROUP.sub("{arg}", route)
    route = _CONVERTER.sub(lambda m: "{" + m.group(1) + "}", route)
    return route.replace("^", "").replace("$", "").replace("\\", "")


UNMATCHED = "unmatched"


def route_of(request: Any) -> str:
    """The route label of a request: its resolved pattern as a template, or `unmatched`."""
    match = getattr(request, "resolver_match", None)
    return route_template(match.route) if match is not None and match.route else UNMATCHED


def url_route_templates(patterns: list[Any], prefix: str = "") -> set[str]:
    """Every route label the URLconf can give (`get_resolver().url_patterns`): a bounded set."""
    from django.urls import URLPattern, URLResolver

    found: set[str] = set()
    for pattern in patterns:
        here = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found |= url_route_templates(pattern.url_patterns, here)
        elif isinstance(pattern, URLPattern):
            found.add(route_template(here))
    return found


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


def method_label(method: str | None) -> str:
    return method if method in METHODS else "other"


class Timer:
    """Seconds since it was made (perf_counter)."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock, self.started = clock, clock()

    def seconds(self) -> float:
        return self.clock() - self.started
