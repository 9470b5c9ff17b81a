"""What the queue, consultation, prescription and visit endpoints read and answer."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from consultations.models import Consultation, Dispense, Prescription, QueueEntry
from core.serializers import NonEmptyUpdate, id_field
from patients.serializers import VisitSerializer, VitalsSerializer


class PersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    username = serializers.CharField()


class PatientBriefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    book_no = serializers.CharField()


class QueueEntrySerializer(serializers.ModelSerializer[QueueEntry]):
    doctor = PersonSerializer(read_only=True)
    patient = PatientBriefSerializer(source="visit.patient", read_only=True)
    token_number = serializers.IntegerField(source="visit.token_number", read_only=True)
    camp = serializers.IntegerField(source="visit.camp_id", read_only=True)

    class Meta:
        model = QueueEntry
        fields = [
            "id",
            "visit",
            "camp",
            "token_number",
            "patient",
            "doctor",
            "priority",
            "status",
            "queued_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class QueueAssignSerializer(serializers.Serializer[Any]):
    visit = id_field()
    doctor = id_field()
    priority = serializers.ChoiceField(choices=QueueEntry.Priority.choices, default=QueueEntry.Priority.NORMAL)


class QueueUpdateSerializer(NonEmptyUpdate, serializers.Serializer[Any]):
    empty_message = _("Send a status, a priority or both.")
    status = serializers.ChoiceField(choices=QueueEntry.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=QueueEntry.Priority.choices, required=False)


class PrescriptionSerializer(serializers.ModelSerializer[Prescription]):
    medicine_name = serializers.CharField(source="medicine.name", read_only=True)
    medicine_type = serializers.CharField(source="medicine.type", read_only=True)
    formulation = serializers.CharField(source="medicine.formulation", read_only=True)
    remaining = serializers.IntegerField(read_only=True)
    time_slots = serializers.ListField(
        child=serializers.ChoiceField(choices=Prescription.Slot.choices), required=False, max_length=3
    )
    medicine = id_field(source="medicine_id")

    class Meta:
        model = Prescription
        fields = [
            "id",
            "consultation",
            "medicine",
            "medicine_name",
            "medicine_type",
            "formulation",
            "quantity",
            "quantity_dispensed",
            "remaining",
            "days",
            "time_slots",
            "instructions",
            "status",
            "replaces",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "consultation",
            "quantity_dispensed",
            "remaining",
            "status",
            "replaces",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"quantity": {"min_value": 1, "max_value": 10_000}, "days": {"min_value": 1, "max_value": 365}}

    def validate_time_slots(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError(_("Name each time slot once."))
        order = [slot.value for slot in Prescription.Slot]
        return sorted(value, key=order.index)


class PrescriptionUpdateSerializer(NonEmptyUpdate, PrescriptionSerializer):
    pass


def prescription_input(data: dict[str, Any]) -> dict[str, Any]:
    """Serializer output to service keywords (medicine id under `medicine`)."""
    out = dict(data)
    if "medicine_id" in out:
        out["medicine"] = out.pop("medicine_id")
    return out


class ConsultationSerializer(serializers.ModelSerializer[Consultation]):
    doctor = PersonSerializer(read_only=True)
    prescriptions = PrescriptionSerializer(many=True, read_only=True)

    class Meta:
        model = Consultation
        fields = [
            "id",
            "visit",
            "doctor",
            "queue_entry",
            "chief_complaint",
            "diagnosis",
            "advice",
            "counselling_status",
            "counselling_notes",
            "prescriptions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "visit", "doctor", "queue_entry", "prescriptions", "created_at", "updated_at"]


class ClinicalFieldsSerializer(serializers.Serializer[Any]):
    """What the doctor writes in a consultation."""

    chief_complaint = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    diagnosis = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    advice = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    counselling_status = serializers.ChoiceField(choices=Consultation.Counselling.choices, required=False)


class ConsultationOpenSerializer(ClinicalFieldsSerializer):
    queue_entry = id_field()


class ConsultationUpdateSerializer(NonEmptyUpdate, ClinicalFieldsSerializer):
    pass


class CounsellingSerializer(serializers.Serializer[Any]):
    counselling_status = serializers.ChoiceField(choices=Consultation.Counselling.choices)
    counselling_notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class DispenseSerializer(serializers.ModelSerializer[Dispense]):
    batch = serializers.IntegerField(source="movement.batch_id", read_only=True)
    batch_no = serializers.CharField(source="movement.batch.batch_no", read_only=True)

    class Meta:
        model = Dispense
        fields = ["id", "prescription", "batch", "batch_no", "quantity", "dispensed_by", "dispensed_at"]
        read_only_fields = fields


class VisitFullSerializer(VisitSerializer):
    vitals = serializers.SerializerMethodField()
    queue_entries = QueueEntrySerializer(many=True, read_only=True)
    consultations = ConsultationSerializer(many=True, read_only=True)
    dispenses = serializers.SerializerMethodField()

    class Meta(VisitSerializer.Meta):
        fields = [*VisitSerializer.Meta.fields, "vitals", "queue_entries", "consultations", "dispenses"]
        read_only_fields = fields

    def get_vitals(self, visit: Any) -> dict[str, Any] | None:
        vitals = getattr(visit, "vitals", None)
        return dict(VitalsSerializer(vitals).data) if vitals is not None else None

    def get_dispenses(self, visit: Any) -> list[dict[str, Any]]:
        rows = [d for c in visit.consultations.all() for p in c.prescriptions.all() for d in p.dispenses.all()]
        return list(DispenseSerializer(rows, many=True).data)


class DispenseItemSerializer(serializers.Serializer[Any]):
    prescription = id_field()
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)


class DispenseRequestSerializer(serializers.Serializer[Any]):
    items = DispenseItemSerializer(many=True, allow_empty=False)

    def validate_items(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(value) > 100:
            raise serializers.ValidationError(_("At most 100 items in one pickup."))
        return value


class PickupLineSerializer(serializers.Serializer[Any]):
    prescription = serializers.IntegerField()
    status = serializers.CharField()
    doctor = serializers.CharField()
    medicine = serializers.DictField()
    quantity = serializers.IntegerField()
    dispensed = serializers.IntegerField()
    remaining = serializers.IntegerField()
    days = serializers.IntegerField(allow_null=True)
    time_slots = serializers.ListField(child=serializers.CharField())
    instructions = serializers.CharField()
    stock_available = serializers.IntegerField()
    enough_stock = serializers.BooleanField()


class DispenseResultSerializer(serializers.Serializer[Any]):
    visit = serializers.IntegerField()
    visit_status = serializers.CharField()
    served = serializers.ListField(child=serializers.DictField())
