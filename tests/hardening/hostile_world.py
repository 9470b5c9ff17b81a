"""The records the hostile suite aims at: one of every kind a route names, and a snapshot of them.

A route's id is a real record's (tests/hardening/hostile.py), so a hostile request reaches the
code that loads it; the snapshot shows that no refused write changed any of them.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps

from tests.factories import DispenseFactory, UserFactory, VitalsFactory
from tests.hardening.hostile import DOMAIN_APPS


def world() -> None:
    """A dispensed prescription (its consultation, queue entry, visit, patient, camp, medicine,
    batch and stock movement), the visit's vitals, a user of every role and a refresh token."""
    from accounts.tokens import RefreshToken

    dispense = DispenseFactory()
    VitalsFactory(visit=dispense.prescription.consultation.visit)
    for role in ("doctor", "pharmacist", "auditor"):
        UserFactory(roles=[role])
    RefreshToken.for_user(UserFactory(roles=["counsellor"])).blacklist()


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every domain table (history tables too), as values, in id order."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for label in DOMAIN_APPS:
        for model in apps.get_app_config(label).get_models():
            rows[model._meta.label] = [
                tuple(map(str, row)) for row in model._default_manager.order_by("pk").values_list()
            ]
    return rows
