"""Each vitals flag says the same in Python (the pages) and in SQL (the reports), at its edges."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from patients.flags import BY_NAME, FLAGS, bmi, flagged
from patients.models import Vitals
from tests.factories import VitalsFactory

pytestmark = pytest.mark.django_db

EDGES = [
    {"bp_systolic": 139, "bp_diastolic": 89},
    {"bp_systolic": 140, "bp_diastolic": 80},
    {"bp_systolic": 130, "bp_diastolic": 90},
    {"rbs": 199},
    {"rbs": 200},
    {"rbs": None, "spo2": None, "temperature_c": None, "weight_kg": None, "height_cm": None},
    {"spo2": 94},
    {"spo2": 93},
    {"pulse": 50},
    {"pulse": 49},
    {"pulse": 111},
    {"temperature_c": Decimal("37.9")},
    {"temperature_c": Decimal("38.0")},
    {"weight_kg": Decimal("47.3"), "height_cm": Decimal("160.0")},  # BMI 18.48
    {"weight_kg": Decimal("47.4"), "height_cm": Decimal("160.0")},  # BMI 18.52
    {"weight_kg": Decimal("58.8"), "height_cm": Decimal("160.0")},  # BMI 22.97
    {"weight_kg": Decimal("58.9"), "height_cm": Decimal("160.0")},  # BMI 23.01
    {"weight_kg": Decimal("64.0"), "height_cm": None},
]
BASE = {"bp_systolic": 120, "bp_diastolic": 80, "pulse": 72, "rbs": 110, "spo2": 98, "temperature_c": Decimal("36.8")}


def test_python_and_sql_raise_the_same_flags():
    made = [VitalsFactory(**{**BASE, "weight_kg": None, "height_cm": None, **edge}) for edge in EDGES]
    for name, flag in BY_NAME.items():
        in_sql = set(Vitals.objects.filter(flag.where("")).values_list("pk", flat=True))
        in_python = {v.pk for v in Vitals.objects.filter(pk__in=[m.pk for m in made]) if flag.raised(v)}
        assert in_sql == in_python, name
        assert in_python, f"no edge case raises {name}: the comparison above would prove nothing"


def test_the_edges_fall_where_the_thresholds_say():
    def measured(**edge):
        return SimpleNamespace(**{**BASE, "weight_kg": None, "height_cm": None, **edge})

    def raised(**edge):
        return [f.name for f in flagged(measured(**edge))]

    assert raised(bp_systolic=139, bp_diastolic=89) == [] and raised(bp_systolic=140) == ["bp"]
    assert raised(spo2=93) == ["spo2"] and raised(pulse=111) == ["pulse"]
    assert raised(temperature_c=Decimal("38.0")) == ["fever"]
    assert [f.name for f in FLAGS] == ["bp", "rbs", "spo2", "pulse", "fever"]  # BMI is for reports
    lean = measured(weight_kg=Decimal("47.3"), height_cm=Decimal("160.0"))
    assert round(bmi(lean), 2) == Decimal("18.48") and BY_NAME["underweight"].raised(lean)
