"""Medicines and stock through the API: listed for the camp team, received and adjusted by the pharmacist."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from accounts.permissions import user_of
from accounts.roles import ADMIN, EVERYONE, PHARMACIST
from audit.catalogue import Kind
from audit.viewsets import AuditedList, AuditedRetrieve
from core.views import ViewSet, valid
from pharmacy import selectors, services
from pharmacy.filters import MedicineFilter
from pharmacy.models import Medicine, StockBatch
from pharmacy.serializers import (
    AdjustSerializer,
    BatchSerializer,
    MedicineDetailSerializer,
    MedicineSerializer,
    ReceiveSerializer,
)

STOCK_KEEPERS = {ADMIN, PHARMACIST}


class MedicineViewSet(AuditedList, AuditedRetrieve, ViewSet):
    allowed_roles = {"list": EVERYONE, "create": STOCK_KEEPERS, "retrieve": EVERYONE, "batches": STOCK_KEEPERS}
    audit_resource = audit_type = "medicine"
    audit_list_kind = Kind.SEARCHED
    audit_filters = ("search",)
    filterset_class = MedicineFilter
    orderings = {"name": ("name", "formulation"), "stock": ("stock_on_hand",)}

    def get_queryset(self) -> QuerySet[Medicine]:
        return selectors.medicines() if self.action == "list" else selectors.medicine_detail()

    def get_serializer_class(self) -> type[BaseSerializer[Medicine]]:
        return MedicineDetailSerializer if self.action == "retrieve" else MedicineSerializer

    @extend_schema(operation_id="medicines_list")
    def list(self, request: Request) -> Response:
        return super().list(request)

    @extend_schema(request=MedicineSerializer, responses={201: MedicineSerializer})
    def create(self, request: Request) -> Response:
        medicine = services.medicine_create(by=user_of(request), **valid(MedicineSerializer, request))
        return Response(
            MedicineSerializer(selectors.medicine_with_stock(medicine.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=ReceiveSerializer, responses={201: BatchSerializer})
    @action(detail=True, methods=["post"], audit_resource="stock_batch")
    def batches(self, request: Request, pk: int) -> Response:
        batch = services.batch_receive(by=user_of(request), medicine_id=pk, **valid(ReceiveSerializer, request))
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)


class BatchViewSet(AuditedRetrieve, ViewSet):
    allowed_roles = {"retrieve": EVERYONE, "partial_update": STOCK_KEEPERS}
    audit_resource = audit_type = "stock_batch"
    serializer_class = BatchSerializer

    def get_queryset(self) -> QuerySet[StockBatch]:
        return selectors.batches()

    @extend_schema(request=AdjustSerializer, responses=BatchSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        batch = services.batch_adjust(by=user_of(request), batch_id=pk, **valid(AdjustSerializer, request))
        return Response(BatchSerializer(batch).data)
