"""Merging the workers' metric files for a scrape, faster than prometheus-client's own merge.

prometheus-client's MultiProcessCollector (multiprocess.py, `_read_metrics` and
`_accumulate_metrics`) parses every sample's JSON key and builds a sample object for every
sample of every file, then adds them up: with 8 workers' files that is 8 times the work of
one. Here the values are first summed by their raw key (a dict of floats), and only the
distinct keys are parsed (once per process: the parsed keys are kept) and turned into
samples; histogram buckets are made cumulative and `_count` is the `+Inf` bucket, as the
library does. Gauges must be `livesum` or `sum` (the only modes core.metrics uses): a gauge
of another mode is refused rather than merged wrongly. tests/monitoring/test_merge.py holds
the output to the library's on the same files.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from prometheus_client.metrics_core import Metric
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

SUMMED_GAUGES = ("livesum", "sum")
_parsed: dict[str, tuple[str, str, tuple[tuple[str, str], ...], str]] = {}


def _key(raw: str) -> tuple[str, str, tuple[tuple[str, str], ...], str]:
    found = _parsed.get(raw)
    if found is None:
        metric, name, labels, help_text = json.loads(raw)
        found = _parsed[raw] = (metric, name, tuple(sorted(labels.items())), help_text)
    return found


class MergedFiles(Collector):
    """Every metric in the multiprocess directory, each sample summed over the workers' files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def collect(self) -> Iterator[Metric]:
        totals: dict[tuple[str, str], float] = defaultdict(float)
        for path in self.directory.glob("*.db"):
            parts = path.name.split("_")
            kind = parts[0]
            if kind == "gauge" and parts[1] not in SUMMED_GAUGES:
                raise ValueError(f"gauge mode {parts[1]!r} is not merged here (core.metrics uses livesum)")
            try:
                values = MmapedDict.read_all_values_from_file(str(path))
                for raw, value, _, _ in values:
                    totals[(kind, raw)] += value
            except FileNotFoundError:  # a dead worker's live gauge, removed since the glob
                continue
        yield from _metrics(totals)


def _metrics(totals: dict[tuple[str, str], float]) -> Iterator[Metric]:
    metrics: dict[str, Metric] = {}
    buckets: dict[tuple[str, tuple[tuple[str, str], ...]], dict[float, float]] = defaultdict(dict)
    for (kind, raw), value in totals.items():
        metric_name, name, labels, help_text = _key(raw)
        metric = metrics.get(metric_name)
        if metric is None:
            metric = metrics[metric_name] = Metric(metric_name, help_text, kind)
        if kind == "histogram" and name.endswith("_bucket"):
            bound = float(dict(labels)["le"])
            bare = tuple(pair for pair in labels if pair[0] != "le")
            buckets[(metric_name, bare)][bound] = value
        elif not (kind == "histogram" and name.endswith("_count")):
            metric.add_sample(name, dict(labels), value)
    for (metric_name, bare), by_le in buckets.items():
        metric, running = metrics[metric_name], 0.0
        for upper in sorted(by_le):
            running += by_le[upper]
            metric.add_sample(f"{metric_name}_bucket", {**dict(bare), "le": floatToGoString(upper)}, running)
        metric.add_sample(f"{metric_name}_count", dict(bare), running)
    yield from metrics.values()
