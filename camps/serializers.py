"""What the camps endpoints read and answer."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from camps.models import MedicalCamp
from core.serializers import NonEmptyUpdate


class CampSerializer(serializers.ModelSerializer[MedicalCamp]):
    class Meta:
        model = MedicalCamp
        fields = [
            "id",
            "name",
            "date",
            "location",
            "expected_patients",
            "attended_patients",
            "status",
            "language",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]


class CampCreateSerializer(serializers.ModelSerializer[MedicalCamp]):
    class Meta:
        model = MedicalCamp
        fields = ["name", "date", "location", "expected_patients", "attended_patients", "status", "language"]

    def validate_status(self, value: str) -> str:
        if value == MedicalCamp.Status.CLOSED:
            raise serializers.ValidationError(_("A new camp is planned or active, not closed."))
        return value


class CampUpdateSerializer(NonEmptyUpdate, CampCreateSerializer):
    def validate_status(self, value: str) -> str:
        return value
