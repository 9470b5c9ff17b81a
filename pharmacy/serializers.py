"""What the medicines and batches endpoints read and answer."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.params import within_dates
from pharmacy.models import Medicine, StockBatch


class BatchSerializer(serializers.ModelSerializer[StockBatch]):
    expired = serializers.SerializerMethodField()

    class Meta:
        model = StockBatch
        fields = [
            "id",
            "medicine",
            "batch_no",
            "expiry_date",
            "quantity_received",
            "quantity_on_hand",
            "expired",
            "received_at",
        ]
        read_only_fields = fields

    def get_expired(self, batch: StockBatch) -> bool:
        if "today" not in self.context:  # one date for every batch of a response
            self.context["today"] = timezone.localdate()
        return batch.expiry_date < self.context["today"]


class MedicineSerializer(serializers.ModelSerializer[Medicine]):
    stock_on_hand = serializers.IntegerField(read_only=True)
    low_stock = serializers.SerializerMethodField()

    class Meta:
        model = Medicine
        fields = ["id", "name", "type", "formulation", "unit", "reorder_level", "active", "stock_on_hand", "low_stock"]
        read_only_fields = ["id", "stock_on_hand", "low_stock"]

    def get_low_stock(self, medicine: Medicine) -> bool:
        return int(getattr(medicine, "stock_on_hand", 0)) <= medicine.reorder_level

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("The name may not be blank."))
        return value

    def validate_formulation(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("Give the strength, e.g. 500 mg or 125 mg/5 ml."))
        return value


class MedicineDetailSerializer(MedicineSerializer):
    batches = serializers.SerializerMethodField()

    class Meta(MedicineSerializer.Meta):
        fields = [*MedicineSerializer.Meta.fields, "batches"]

    def get_batches(self, medicine: Medicine) -> list[dict[str, Any]]:
        return list(BatchSerializer(medicine.batches.all(), many=True, context=self.context).data)


class ReceiveSerializer(serializers.Serializer[Any]):
    batch_no = serializers.CharField(max_length=40)
    expiry_date = serializers.DateField(validators=[within_dates])  # as the model's field
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000)


class AdjustSerializer(serializers.Serializer[Any]):
    quantity_on_hand = serializers.IntegerField(
        min_value=0, max_value=1_000_000, error_messages={"min_value": _("Stock cannot go below zero.")}
    )
    reason = serializers.CharField(max_length=300)
