"""What makes a demo patient clinically plausible: a body for the age and sex, and a regimen for each medicine.

Heights and weights follow Indian reference figures closely enough for a demo: children grow
about 6 cm a year from 85 cm at two, with a BMI of 14-20; adult women are about 152 cm
and men 165 cm (sd 6-7 cm), with a BMI of 17-32. Regimens are the usual ones at a camp:
antibiotics for 5-7 days two or three times a day, chronic medicines for 30 days,
paracetamol for 3-5 days, one dose of albendazole.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal


def body(rng: random.Random, age: int, sex: str) -> tuple[Decimal, Decimal]:
    """(weight in kg, height in cm) for an age and sex."""
    if age < 18:
        height = 85 + 6.2 * (age - 2) + rng.gauss(0, 4)
        bmi = rng.uniform(14, 17) if age < 10 else rng.uniform(16, 21)
    else:
        height = rng.gauss(152 if sex == "female" else 165, 6 if sex == "female" else 7)
        bmi = min(32.0, max(17.0, rng.gauss(22.5, 3.5)))
    height = max(75.0, min(190.0, height))
    weight = bmi * (height / 100) ** 2
    return Decimal(f"{weight:.1f}"), Decimal(f"{height:.1f}")


@dataclass(frozen=True)
class Regimen:
    days: tuple[int, ...]
    slots: tuple[tuple[str, ...], ...]
    per_dose: int = 1  # units per dose; 0: one unit for the whole course (a bottle, a tube)
    instructions: str = "after food"


MORNING_NIGHT = ("morning", "night")
THREE_TIMES = ("morning", "afternoon", "night")
REGIMENS: dict[tuple[str, str], Regimen] = {
    ("Paracetamol", "tablet"): Regimen((3, 5), (MORNING_NIGHT, THREE_TIMES)),
    ("Paracetamol", "syrup"): Regimen((3, 5), (THREE_TIMES,), per_dose=0),
    ("Amoxicillin", "capsule"): Regimen((5, 7), (MORNING_NIGHT, THREE_TIMES)),
    ("Metformin", "tablet"): Regimen((30,), (MORNING_NIGHT,)),
    ("Amlodipine", "tablet"): Regimen((30,), (("morning",),)),
    ("Cetirizine", "tablet"): Regimen((5,), (("night",),)),
    ("Ranitidine", "tablet"): Regimen((14,), (MORNING_NIGHT,), instructions="before food"),
    ("Albendazole", "tablet"): Regimen((1,), (("night",),)),
    ("ORS", "powder"): Regimen((3,), (THREE_TIMES,), instructions="one sachet in a litre of boiled water"),
    ("Clotrimazole", "cream"): Regimen((14,), (MORNING_NIGHT,), per_dose=0, instructions="apply thinly"),
}


def dose(rng: random.Random, name: str, form: str) -> tuple[int, int, list[str], str]:
    """(quantity, days, time slots, instructions) for a medicine."""
    regimen = REGIMENS[(name, form)]
    days, slots = rng.choice(regimen.days), list(rng.choice(regimen.slots))
    quantity = days * len(slots) * regimen.per_dose or 1
    return quantity, days, slots, regimen.instructions
