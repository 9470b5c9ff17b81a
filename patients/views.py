"""Patients, visits and vitals through the API; every write goes through patients.services."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import user_of
from accounts.roles import ADMIN, AUDITOR, COUNSELLOR, DOCTOR, EVERYONE, VOLUNTEER
from audit import event_types as E
from audit.catalogue import Kind
from audit.viewsets import AuditedList, AuditedReads, AuditedRetrieve
from core.error_codes import ErrorCode
from core.errors import NotFound
from core.params import int_param
from core.views import ViewSet, valid
from patients import selectors, services
from patients.filters import PatientFilter
from patients.models import Patient, Visit, Vitals
from patients.serializers import (
    PatientSerializer,
    PatientStatusSerializer,
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


class PatientViewSet(AuditedList, AuditedRetrieve, ViewSet):
    allowed_roles = {
        "list": EVERYONE,
        "create": REGISTRARS,
        "retrieve": EVERYONE,
        "partial_update": REGISTRARS,
        "visits": REGISTRARS,
        "status": EVERYONE,
    }
    audit_resource = audit_type = "patient"
    audit_list_kind = Kind.SEARCHED
    audit_filters = tuple(PatientFilter.base_filters)
    serializer_class = PatientSerializer
    filterset_class = PatientFilter
    orderings = {"name": ("name",), "book_no": ("book_no",), "registered": ("created_at",)}

    def get_queryset(self) -> QuerySet[Patient]:
        return selectors.patients()

    @extend_schema(operation_id="patients_search")
    def list(self, request: Request) -> Response:
        return super().list(request)

    @extend_schema(request=PatientSerializer, responses={201: PatientSerializer})
    def create(self, request: Request) -> Response:
        patient = services.patient_create(by=user_of(request), **valid(PatientSerializer, request))
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PatientUpdateSerializer, responses=PatientSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        changes = valid(PatientUpdateSerializer, request, partial=True)
        return Response(PatientSerializer(services.patient_update(by=user_of(request), patient_id=pk, **changes)).data)

    @extend_schema(request=VisitRegisterSerializer, responses={201: VisitSerializer})
    @action(detail=True, methods=["post"], audit_resource="visit")
    def visits(self, request: Request, pk: int) -> Response:
        camp = valid(VisitRegisterSerializer, request)["camp"]
        visit = services.visit_register(by=user_of(request), patient_id=pk, camp_id=camp)
        return Response(VisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("camp", OpenApiTypes.INT, description="camp id; the latest camp if omitted")],
        responses=PatientStatusSerializer,
    )
    @action(detail=True, methods=["get"], audit_resource="patient_status")
    def status(self, request: Request, pk: int) -> Response:
        patient = self.get_object()
        visit = selectors.latest_visit(patient.pk, int_param(request, "camp"))
        if visit is None:
            raise NotFound(_("This patient has no visit for that camp."), code=ErrorCode.VISIT_NOT_FOUND)
        message = f"looked up where {patient.book_no} is: {visit.status}"
        self.audit_read(visit, event=E.PATIENT_STATUS_VIEWED, details={"status": visit.status}, message=message)
        return Response(PatientStatusSerializer(visit).data)


class PatientVitalsViewSet(AuditedReads, ViewSet):
    """GET patients/{id}/vitals/: a patient's vitals over every visit, newest first."""

    allowed_roles = {"vitals": CLINICAL_READERS}
    audit_resource = "vitals"
    audit_type = "patient"
    orderings = {"recorded_at": ("recorded_at",)}

    def get_queryset(self) -> QuerySet[Patient]:
        return selectors.patients()

    @extend_schema(operation_id="patients_vitals_list", responses=VitalsHistorySerializer(many=True))
    @action(detail=True, methods=["get"])
    def vitals(self, request: Request, pk: int) -> Response:
        patient = self.get_object()
        rows, message = selectors.vitals_history(patient.pk), f"viewed the vitals history of {patient.book_no}"
        return self.read_page(patient, rows, VitalsHistorySerializer, event=E.PATIENT_VITALS_VIEWED, message=message)


class VisitVitalsViewSet(ViewSet):
    """POST visits/{id}/vitals/: vitals are recorded on the visit they were taken at."""

    allowed_roles = {"vitals": VITALS_WRITERS}
    audit_resource = "vitals"

    def get_queryset(self) -> QuerySet[Visit]:
        return selectors.visits()

    @extend_schema(request=VitalsSerializer, responses={201: VitalsSerializer})
    @action(detail=True, methods=["post"])
    def vitals(self, request: Request, pk: int) -> Response:
        vitals = services.vitals_record(by=user_of(request), visit_id=pk, **valid(VitalsSerializer, request))
        return Response(VitalsSerializer(vitals).data, status=status.HTTP_201_CREATED)


class VitalsViewSet(ViewSet):
    allowed_roles = {"partial_update": VITALS_WRITERS}
    audit_resource = "vitals"

    def get_queryset(self) -> QuerySet[Vitals]:
        return selectors.vitals()

    @extend_schema(request=VitalsUpdateSerializer, responses=VitalsSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        changes = valid(VitalsUpdateSerializer, request, partial=True)
        return Response(VitalsSerializer(services.vitals_correct(by=user_of(request), vitals_id=pk, **changes)).data)
