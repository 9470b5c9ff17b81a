"""Reading /metrics in tests: the samples of each metric family, by name."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """(sample name, labels, value) of every MedCamp sample."""
    found = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("medcamp_"):
                found.append((sample.name, dict(sample.labels), sample.value))
    return found


def value(text: str, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 when there is none)."""
    return sum(v for n, found, v in samples(text) if n == name and labels.items() <= found.items())
