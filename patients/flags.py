"""Vitals outside the normal range, by one set of thresholds (the consultation page, the queue, reports).

Screening thresholds for adults at a camp, as commonly used in Indian NCD screening:
- blood pressure raised: systolic >= 140 or diastolic >= 90 mmHg;
- random blood sugar raised: >= 200 mg/dL;
- SpO2 low: < 94 %;
- pulse outside 50-110 beats per minute;
- fever: temperature >= 38.0 °C;
- BMI, in reports only (weight and height both measured): underweight < 18.5, overweight >= 23 kg/m², the
  WHO expert consultation's cut-off for Asian populations (Lancet 2004;363:157-63), which
  India's consensus guidelines adopt.
A flag is a prompt for the doctor, never a diagnosis. docs/architecture.md lists them too.

Each flag is written once as a condition on a vitals row, in two forms that must agree: `raised`
for a loaded record (the pages) and `where` for the database (the reports count with it);
tests/patients/test_flags.py holds them to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, Q, Value
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

BP_SYSTOLIC_RAISED = 140
BP_DIASTOLIC_RAISED = 90
RBS_RAISED = 200
SPO2_LOW = 94
PULSE_LOW, PULSE_HIGH = 50, 110
FEVER_C = Decimal("38.0")
BMI_UNDER = Decimal("18.5")
BMI_OVER = Decimal("23")


@dataclass(frozen=True)
class Flag:
    name: str
    words: Any  # what the doctor reads, e.g. "BP 150/95 raised"
    raised: Callable[[Any], bool]
    shown: Callable[[Any], str]
    where: Callable[[str], Q]  # the same condition on a vitals row reached by `prefix` ("vitals__")


def _given(*values: Any) -> bool:
    return all(value is not None for value in values)


def bmi(vitals: Any) -> Decimal | None:
    """Body-mass index, kg/m², when weight and height are both measured."""
    if not _given(vitals.weight_kg, vitals.height_cm) or not vitals.height_cm:
        return None
    return Decimal(vitals.weight_kg) * 10000 / (Decimal(vitals.height_cm) ** 2)


def _bmi_side(prefix: str, cut: Decimal, below: bool) -> Q:
    """weight * 10000 < cut * height² (or >=): BMI against `cut` without a division in SQL."""
    decimal: DecimalField[Decimal, Decimal] = DecimalField(max_digits=12, decimal_places=4)
    weight = ExpressionWrapper(F(f"{prefix}weight_kg") * Value(Decimal(10000)), output_field=decimal)
    height2 = ExpressionWrapper(F(f"{prefix}height_cm") * F(f"{prefix}height_cm") * Value(cut), output_field=decimal)
    compare: Any = LessThan(weight, height2) if below else GreaterThanOrEqual(weight, height2)
    return Q(**{f"{prefix}weight_kg__isnull": False, f"{prefix}height_cm__gt": 0}) & Q(compare)


FLAGS: tuple[Flag, ...] = (
    Flag(
        "bp",
        format_lazy(_("raised blood pressure (>= {0}/{1})"), BP_SYSTOLIC_RAISED, BP_DIASTOLIC_RAISED),
        lambda v: (
            _given(v.bp_systolic, v.bp_diastolic)
            and (v.bp_systolic >= BP_SYSTOLIC_RAISED or v.bp_diastolic >= BP_DIASTOLIC_RAISED)
        ),
        lambda v: gettext("BP %(bp)s") % {"bp": f"{v.bp_systolic}/{v.bp_diastolic}"},
        lambda p: (
            Q(**{f"{p}bp_systolic__gte": BP_SYSTOLIC_RAISED}) | Q(**{f"{p}bp_diastolic__gte": BP_DIASTOLIC_RAISED})
        ),
    ),
    Flag(
        "rbs",
        format_lazy(_("raised blood sugar (>= {0} mg/dL)"), RBS_RAISED),
        lambda v: _given(v.rbs) and v.rbs >= RBS_RAISED,
        lambda v: gettext("RBS %(rbs)s") % {"rbs": v.rbs},
        lambda p: Q(**{f"{p}rbs__gte": RBS_RAISED}),
    ),
    Flag(
        "spo2",
        format_lazy(_("low SpO2 (< {0} %)"), SPO2_LOW),
        lambda v: _given(v.spo2) and v.spo2 < SPO2_LOW,
        lambda v: f"SpO2 {v.spo2}%",
        lambda p: Q(**{f"{p}spo2__lt": SPO2_LOW}),
    ),
    Flag(
        "pulse",
        format_lazy(_("pulse outside {0}-{1}"), PULSE_LOW, PULSE_HIGH),
        lambda v: _given(v.pulse) and not PULSE_LOW <= v.pulse <= PULSE_HIGH,
        lambda v: gettext("pulse %(pulse)s") % {"pulse": v.pulse},
        lambda p: Q(**{f"{p}pulse__lt": PULSE_LOW}) | Q(**{f"{p}pulse__gt": PULSE_HIGH}),
    ),
    Flag(
        "fever",
        format_lazy(_("fever (>= {0} °C)"), FEVER_C),
        lambda v: _given(v.temperature_c) and Decimal(v.temperature_c) >= FEVER_C,
        lambda v: gettext("temp %(temp)s °C") % {"temp": v.temperature_c},
        lambda p: Q(**{f"{p}temperature_c__gte": FEVER_C}),
    ),
)
# BMI is measured where a camp has a scale and a stadiometer; it is screened in reports, not
# flagged to the doctor in the queue (the numbers are on the page).
BMI_FLAGS: tuple[Flag, ...] = (
    Flag(
        "underweight",
        format_lazy(_("underweight (BMI < {0})"), BMI_UNDER),
        lambda v: (b := bmi(v)) is not None and b < BMI_UNDER,
        lambda v: gettext("BMI %(bmi).1f") % {"bmi": bmi(v)},
        lambda p: _bmi_side(p, BMI_UNDER, below=True),
    ),
    Flag(
        "overweight",
        format_lazy(_("overweight (BMI >= {0})"), BMI_OVER),
        lambda v: (b := bmi(v)) is not None and b >= BMI_OVER,
        lambda v: gettext("BMI %(bmi).1f") % {"bmi": bmi(v)},
        lambda p: _bmi_side(p, BMI_OVER, below=False),
    ),
)
BY_NAME = {flag.name: flag for flag in (*FLAGS, *BMI_FLAGS)}
# What a report counts as a screening finding, in its order.
SCREENING: tuple[Flag, ...] = tuple(BY_NAME[n] for n in ("bp", "rbs", "spo2", "fever", "underweight", "overweight"))


def flagged(vitals: Any) -> list[Flag]:
    """The flags a vitals record raises, in the order above; none for no vitals."""
    return [] if vitals is None else [flag for flag in FLAGS if flag.raised(vitals)]
