"""Reads of medical camps."""

from __future__ import annotations

from django.db.models import QuerySet

from camps.models import MedicalCamp


def camps() -> QuerySet[MedicalCamp]:
    """Every camp, newest first (the model's ordering)."""
    return MedicalCamp.objects.all()
