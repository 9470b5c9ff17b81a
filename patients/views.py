from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as s
from rest_framework import status
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import user_of
from accounts.roles import ADMIN, AUDITOR, COUNSELLOR, DOCTOR, EVERYONE, VOLUNTEER
from audit.events import emit
from clinic.errors import DomainError, NotFound
from clinic.views import valid
from patients import services
from patients.filters import PatientFilter
from patients.models import Patient, Visit, Vitals
from patients.serializers import (
    CampBriefSerializer,
    PatientSerializer,
    PatientUpdateSerializer,
    VisitRegisterSerializer,
    VisitSerializer,
    VitalsHistorySerializer,
    VitalsSerializer,
    VitalsUpdateSerializer,
)

REGISTRARS = {ADMIN, VOLUNTEER}
VITALS_WRITERS = {ADMIN, VOLUNTEER, DOCTOR}
CLINICAL_READERS = {ADMIN, VOLUNTEER, DOCTOR, COUNSELLOR, AUDITOR}


def patient_scope(patient: Patient) -> dict[str, Any]:
    return {"target": {"type": "patient", "id": patient.pk}, "scope": {"patient_id": patient.pk}}


class PatientListView(GenericAPIView[Patient]):
    allowed_roles = {"GET": EVERYONE, "POST": REGISTRARS}
    audit_resource = "patient"
    queryset = Patient.objects.all()
    serializer_class = PatientSerializer
    filterset_class = PatientFilter

    @extend_schema(operation_id="patients_search")
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None and self.paginator is not None
        filters = {k: v for k, v in request.query_params.items() if k in PatientFilter.base_filters and v}
        count = self.paginator.page.paginator.count  # type: ignore[attr-defined]
        emit(
            "patient.searched",
            action="read",
            source="route",
            details={"filters": filters, "count": count},
            message=f"searched patients ({', '.join(filters) or 'no filters'}): {count} found",
        )
        return self.get_paginated_response(PatientSerializer(page, many=True).data)

    @extend_schema(request=PatientSerializer, responses={201: PatientSerializer})
    def post(self, request: Request) -> Response:
        data = valid(PatientSerializer, request)
        patient = services.patient_create(by=user_of(request), **data)
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailView(APIView):
    allowed_roles = {"GET": EVERYONE, "PATCH": REGISTRARS}
    audit_resource = "patient"

    @extend_schema(responses=PatientSerializer)
    def get(self, request: Request, pk: int) -> Response:
        patient = get_object_or_404(Patient, pk=pk)
        emit(
            "patient.viewed",
            action="read",
            source="route",
            message=f"viewed patient {patient.book_no}",
            **patient_scope(patient),
        )
        return Response(PatientSerializer(patient).data)

    @extend_schema(request=PatientUpdateSerializer, responses=PatientSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        patient = get_object_or_404(Patient, pk=pk)
        changes = valid(PatientUpdateSerializer, request, instance=patient, partial=True)
        return Response(PatientSerializer(services.patient_update(by=user_of(request), patient_id=pk, **changes)).data)


class PatientVisitsView(APIView):
    allowed_roles = {"POST": REGISTRARS}
    audit_resource = "visit"

    @extend_schema(request=VisitRegisterSerializer, responses={201: VisitSerializer})
    def post(self, request: Request, pk: int) -> Response:
        get_object_or_404(Patient, pk=pk)
        camp = valid(VisitRegisterSerializer, request)["camp"]
        visit = services.visit_register(by=user_of(request), patient_id=pk, camp_id=camp)
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)


class PatientStatusView(APIView):
    allowed_roles = {"GET": EVERYONE}
    audit_resource = "patient_status"

    @extend_schema(
        parameters=[OpenApiParameter("camp", OpenApiTypes.INT, description="camp id; the latest camp if omitted")],
        responses=inline_serializer(
            "PatientStatus",
            {
                "patient": s.IntegerField(),
                "visit": s.IntegerField(),
                "camp": CampBriefSerializer(),
                "token_number": s.IntegerField(),
                "status": s.CharField(),
                "counselling": s.CharField(),
                "stages": s.DictField(child=s.BooleanField()),
                "times": s.DictField(child=s.DateTimeField(allow_null=True)),
            },
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        patient = get_object_or_404(Patient, pk=pk)
        visits = Visit.objects.filter(patient=patient).select_related("camp")
        camp = request.query_params.get("camp")
        if camp is not None:
            if not camp.isdigit():
                raise DomainError("camp must be a camp id.", fields={"camp": ["A whole number is required."]})
            visits = visits.filter(camp_id=int(camp))
        visit = visits.order_by("-camp__date", "-registered_at").first()
        if visit is None:
            raise NotFound("This patient has no visit for that camp.", code="visit_not_found")
        times = {
            "registered": visit.registered_at,
            **{stage: getattr(visit, f) for stage, f in Visit.STAGE_TIMES.items()},
        }
        body = {
            "patient": patient.pk,
            "visit": visit.pk,
            "camp": CampBriefSerializer(visit.camp).data,
            "token_number": visit.token_number,
            "status": visit.status,
            "counselling": visit.counselling,
            "stages": {stage: times[stage] is not None for stage in ["registered", *Visit.STAGE_TIMES]},
            "times": times,
        }
        emit(
            "patient.status_viewed",
            action="read",
            source="route",
            target={"type": "visit", "id": visit.pk},
            scope={"patient_id": patient.pk, "camp_id": visit.camp_id, "visit_id": visit.pk},
            details={"status": visit.status},
            message=f"looked up where {patient.book_no} is: {visit.status}",
        )
        return Response(body)


class PatientVitalsView(APIView):
    allowed_roles = {"GET": CLINICAL_READERS}
    audit_resource = "vitals"

    @extend_schema(responses=VitalsHistorySerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        patient = get_object_or_404(Patient, pk=pk)
        rows = Vitals.objects.filter(visit__patient=patient).select_related("visit__camp").order_by("-recorded_at")
        data = VitalsHistorySerializer(rows, many=True).data
        emit(
            "patient.vitals_viewed",
            action="read",
            source="route",
            details={"count": len(data)},
            message=f"viewed the vitals history of {patient.book_no}",
            **patient_scope(patient),
        )
        return Response(data)


class VisitVitalsView(APIView):
    allowed_roles = {"POST": VITALS_WRITERS}
    audit_resource = "vitals"

    @extend_schema(request=VitalsSerializer, responses={201: VitalsSerializer})
    def post(self, request: Request, pk: int) -> Response:
        get_object_or_404(Visit, pk=pk)
        vitals = services.vitals_record(by=user_of(request), visit_id=pk, **valid(VitalsSerializer, request))
        return Response(VitalsSerializer(vitals).data, status=status.HTTP_201_CREATED)


class VitalsDetailView(APIView):
    allowed_roles = {"PATCH": VITALS_WRITERS}
    audit_resource = "vitals"

    @extend_schema(request=VitalsUpdateSerializer, responses=VitalsSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        get_object_or_404(Vitals, pk=pk)
        changes = valid(VitalsUpdateSerializer, request, partial=True)
        return Response(VitalsSerializer(services.vitals_correct(by=user_of(request), vitals_id=pk, **changes)).data)
