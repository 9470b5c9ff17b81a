from __future__ import annotations

from typing import Any

from rest_framework import serializers

from camps.models import MedicalCamp


class CampSerializer(serializers.ModelSerializer[MedicalCamp]):
    class Meta:
        model = MedicalCamp
        fields = ["id", "name", "date", "location", "expected_patients", "attended_patients", "status", "updated_at"]
        read_only_fields = ["id", "updated_at"]


class CampCreateSerializer(serializers.ModelSerializer[MedicalCamp]):
    class Meta:
        model = MedicalCamp
        fields = ["name", "date", "location", "expected_patients", "attended_patients", "status"]

    def validate_status(self, value: str) -> str:
        if value == MedicalCamp.Status.CLOSED:
            raise serializers.ValidationError("A new camp is planned or active, not closed.")
        return value


class CampUpdateSerializer(CampCreateSerializer):
    def validate_status(self, value: str) -> str:
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs
