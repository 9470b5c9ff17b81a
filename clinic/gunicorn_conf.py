"""gunicorn's settings hooks for Prometheus's multiprocess mode (core.metrics, docs/monitoring.md).

    PROMETHEUS_MULTIPROC_DIR=var/metrics gunicorn clinic.wsgi -c clinic/gunicorn_conf.py ...

- on_starting (the master, once): the metrics directory exists and is empty, so a restart
  never adds the last run's counts to this one's.
- child_exit (the master, per worker that ended, recycled or killed): the worker's live
  gauges are dropped and its counters and histograms folded into one archive file per kind.
Without PROMETHEUS_MULTIPROC_DIR both do nothing (each process then serves its own metrics).
- post_fork (each worker, as it starts): the worker dies with its master (core.lifecycle), so a
  master killed with -9 leaves no worker holding the port; OpenTelemetry tracing when
  OTEL_EXPORTER_OTLP_ENDPOINT is set (core.tracing): its exporting thread must start in the
  worker, not the master.
"""

from __future__ import annotations

from typing import Any

from core.lifecycle import die_with_parent
from core.metrics import multiprocess_dir, prepare_directory, worker_exited


def on_starting(server: Any) -> None:
    directory = multiprocess_dir()
    if directory is not None:
        prepare_directory(directory)


def post_fork(server: Any, worker: Any) -> None:
    if not die_with_parent(worker.ppid):
        server.log.warning("workers will not die with the master on this platform (no PR_SET_PDEATHSIG)")
    from core import tracing

    if tracing.wanted():
        tracing.install()


def child_exit(server: Any, worker: Any) -> None:
    directory = multiprocess_dir()
    if directory is not None:
        worker_exited(directory, worker.pid)
