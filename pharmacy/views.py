from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import user_of
from accounts.roles import ADMIN, EVERYONE, PHARMACIST
from audit.events import emit
from clinic.views import valid
from pharmacy import services
from pharmacy.models import Medicine, StockBatch
from pharmacy.serializers import (
    AdjustSerializer,
    BatchSerializer,
    MedicineDetailSerializer,
    MedicineSerializer,
    ReceiveSerializer,
)

STOCK_KEEPERS = {ADMIN, PHARMACIST}


def _context() -> dict[str, object]:
    return {"today": timezone.localdate()}


class MedicineListView(GenericAPIView[Medicine]):
    allowed_roles = {"GET": EVERYONE, "POST": STOCK_KEEPERS}
    audit_resource = "medicine"
    serializer_class = MedicineSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        medicines = Medicine.objects.all()
        search = self.request.query_params.get("search")
        if search:
            medicines = medicines.filter(name__icontains=search[:120])
        return services.with_stock(medicines).order_by("name", "formulation", "id")

    @extend_schema(operation_id="medicines_list")
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MedicineSerializer(page, many=True).data)

    @extend_schema(request=MedicineSerializer, responses={201: MedicineSerializer})
    def post(self, request: Request) -> Response:
        medicine = services.medicine_create(by=user_of(request), **valid(MedicineSerializer, request))
        medicine = services.with_stock(Medicine.objects.filter(pk=medicine.pk)).get()
        return Response(MedicineSerializer(medicine).data, status=status.HTTP_201_CREATED)


class MedicineDetailView(APIView):
    allowed_roles = {"GET": EVERYONE}
    audit_resource = "medicine"

    @extend_schema(responses=MedicineDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        medicines = services.with_stock(Medicine.objects.filter(pk=pk)).prefetch_related("batches")
        medicine = get_object_or_404(medicines)
        emit(
            "medicine.viewed",
            action="read",
            source="route",
            target={"type": "medicine", "id": medicine.pk},
            message=f"viewed medicine {medicine.name} {medicine.formulation}",
        )
        return Response(MedicineDetailSerializer(medicine, context=_context()).data)


class MedicineBatchesView(APIView):
    allowed_roles = {"POST": STOCK_KEEPERS}
    audit_resource = "stock_batch"

    @extend_schema(request=ReceiveSerializer, responses={201: BatchSerializer})
    def post(self, request: Request, pk: int) -> Response:
        get_object_or_404(Medicine, pk=pk)
        batch = services.batch_receive(by=user_of(request), medicine_id=pk, **valid(ReceiveSerializer, request))
        return Response(BatchSerializer(batch, context=_context()).data, status=status.HTTP_201_CREATED)


class BatchDetailView(APIView):
    allowed_roles = {"GET": EVERYONE, "PATCH": STOCK_KEEPERS}
    audit_resource = "stock_batch"

    @extend_schema(responses=BatchSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(BatchSerializer(get_object_or_404(StockBatch, pk=pk), context=_context()).data)

    @extend_schema(request=AdjustSerializer, responses=BatchSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        get_object_or_404(StockBatch, pk=pk)
        batch = services.batch_adjust(by=user_of(request), batch_id=pk, **valid(AdjustSerializer, request))
        return Response(BatchSerializer(batch, context=_context()).data)
