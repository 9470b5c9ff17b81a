"""What the patients, visits and vitals endpoints read and answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from camps.models import MedicalCamp
from core.serializers import NonEmptyUpdate, id_field
from patients.models import OPTIONAL_VITALS, VITAL_RANGES, Patient, Visit, Vitals

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


class PatientSerializer(serializers.ModelSerializer[Patient]):
    class Meta:
        model = Patient
        fields = [
            "id",
            "book_no",
            "name",
            "age_years",
            "sex",
            "phone",
            "area",
            "address",
            "preferred_language",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # No unique validator: the service answers a duplicate book number with 409.
        extra_kwargs: ClassVar[dict[str, Any]] = {"book_no": {"validators": []}}

    def validate_age_years(self, value: int) -> int:
        if value > 130:
            raise serializers.ValidationError(_("Age must be between 0 and 130 years."))
        return value

    def validate_book_no(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("The book number may not be blank."))
        return value

    def validate_phone(self, value: str) -> str:
        digits = value.replace(" ", "").replace("-", "")
        if digits and not digits.lstrip("+").isdigit():
            raise serializers.ValidationError(
                "A phone number has digits only (spaces, dashes and a leading + allowed)."
            )
        return digits


class PatientUpdateSerializer(NonEmptyUpdate, PatientSerializer):
    pass


class VisitRegisterSerializer(serializers.Serializer[Any]):
    camp = id_field()


class CampBriefSerializer(serializers.ModelSerializer[MedicalCamp]):
    class Meta:
        model = MedicalCamp
        fields = ["id", "name", "date", "status"]


def _vital_field(name: str) -> serializers.Field:  # type: ignore[type-arg]
    low, high, unit, label = VITAL_RANGES[name]
    # DRF %-formats these messages with the limit, so a literal % is doubled.
    message = f"{label} must be between {low} and {high} {unit}.".replace("%", "%%")
    errors: dict[str, str | _StrPromise] = {"min_value": message, "max_value": message}
    optional = name in OPTIONAL_VITALS
    if name in ("weight_kg", "height_cm", "temperature_c"):
        return serializers.DecimalField(
            max_digits=5,
            decimal_places=1,
            min_value=low,
            max_value=high,
            error_messages={**errors, "max_decimal_places": f"{label}: one decimal place at most."},
            required=not optional,
            allow_null=optional,
        )
    return serializers.IntegerField(
        min_value=low, max_value=high, error_messages=errors, required=not optional, allow_null=optional
    )


class VitalsSerializer(serializers.ModelSerializer[Vitals]):
    bp_systolic = _vital_field("bp_systolic")
    bp_diastolic = _vital_field("bp_diastolic")
    pulse = _vital_field("pulse")
    rbs = _vital_field("rbs")
    weight_kg = _vital_field("weight_kg")
    height_cm = _vital_field("height_cm")
    temperature_c = _vital_field("temperature_c")
    spo2 = _vital_field("spo2")

    class Meta:
        model = Vitals
        fields = ["id", "visit", *Vitals.MEASURES, "recorded_by", "recorded_at", "updated_at"]
        read_only_fields = ["id", "visit", "recorded_by", "recorded_at", "updated_at"]


class VitalsUpdateSerializer(NonEmptyUpdate, VitalsSerializer):
    empty_message = _("Send at least one field to correct.")


class VitalsHistorySerializer(VitalsSerializer):
    camp = CampBriefSerializer(source="visit.camp", read_only=True)

    class Meta(VitalsSerializer.Meta):
        fields = [*VitalsSerializer.Meta.fields, "camp"]


class VisitSerializer(serializers.ModelSerializer[Visit]):
    camp = CampBriefSerializer(read_only=True)
    patient: serializers.PrimaryKeyRelatedField[Patient] = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "patient",
            "camp",
            "token_number",
            "status",
            "counselling",
            "registered_at",
            "vitals_at",
            "queued_at",
            "consultation_started_at",
            "consulted_at",
            "dispensed_at",
            "completed_at",
            "cancelled_at",
        ]
        read_only_fields = fields


class VisitStatusSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=[Visit.Status.COMPLETED, Visit.Status.CANCELLED])


class PatientStatusSerializer(serializers.Serializer[Visit]):
    """Where a patient is in the camp flow: a visit with a flag and a time per stage."""

    patient = serializers.IntegerField()
    visit = serializers.IntegerField()
    camp = CampBriefSerializer()
    token_number = serializers.IntegerField()
    status = serializers.CharField()
    counselling = serializers.CharField()
    stages = serializers.DictField(child=serializers.BooleanField())
    times = serializers.DictField(child=serializers.DateTimeField(allow_null=True))

    def to_representation(self, visit: Visit) -> dict[str, Any]:
        times = {"registered": visit.registered_at, **{s: getattr(visit, f) for s, f in Visit.STAGE_TIMES.items()}}
        return {
            "patient": visit.patient_id,
            "visit": visit.pk,
            "camp": CampBriefSerializer(visit.camp).data,
            "token_number": visit.token_number,
            "status": visit.status,
            "counselling": visit.counselling,
            "stages": {stage: times[stage] is not None for stage in ["registered", *Visit.STAGE_TIMES]},
            "times": times,
        }
