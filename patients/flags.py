"""Vitals outside the normal range, by one set of thresholds (the consultation page, the queue, reports).

Screening thresholds for adults at a camp, as commonly used in Indian NCD screening:
- blood pressure raised: systolic >= 140 or diastolic >= 90 mmHg;
- random blood sugar raised: >= 200 mg/dL;
- SpO2 low: < 94 %;
- pulse outside 50-110 beats per minute;
- fever: temperature >= 38.0 °C.
A flag is a prompt for the doctor, never a diagnosis. docs/architecture.md lists them too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Flag:
    name: str
    words: str  # what the doctor reads, e.g. "BP 150/95 raised"
    raised: Callable[[Any], bool]
    shown: Callable[[Any], str]


def _given(*values: Any) -> bool:
    return all(value is not None for value in values)


FLAGS: tuple[Flag, ...] = (
    Flag(
        "bp",
        "raised blood pressure (>= 140/90)",
        lambda v: _given(v.bp_systolic, v.bp_diastolic) and (v.bp_systolic >= 140 or v.bp_diastolic >= 90),
        lambda v: f"BP {v.bp_systolic}/{v.bp_diastolic}",
    ),
    Flag(
        "rbs", "raised blood sugar (>= 200 mg/dL)", lambda v: _given(v.rbs) and v.rbs >= 200, lambda v: f"RBS {v.rbs}"
    ),
    Flag("spo2", "low SpO2 (< 94 %)", lambda v: _given(v.spo2) and v.spo2 < 94, lambda v: f"SpO2 {v.spo2}%"),
    Flag(
        "pulse",
        "pulse outside 50-110",
        lambda v: _given(v.pulse) and not 50 <= v.pulse <= 110,
        lambda v: f"pulse {v.pulse}",
    ),
    Flag(
        "fever",
        "fever (>= 38.0 °C)",
        lambda v: _given(v.temperature_c) and Decimal(v.temperature_c) >= Decimal("38.0"),
        lambda v: f"temp {v.temperature_c} °C",
    ),
)


def flagged(vitals: Any) -> list[Flag]:
    """The flags a vitals record raises, in the order above; none for no vitals."""
    return [] if vitals is None else [flag for flag in FLAGS if flag.raised(vitals)]
