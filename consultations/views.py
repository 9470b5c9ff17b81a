"""The doctor's queue, consultations, prescriptions, and a visit's pickup through the API."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import user_of
from accounts.roles import ADMIN, AUDITOR, COUNSELLOR, DOCTOR, EVERYONE, PHARMACIST, VOLUNTEER
from audit import event_types as E
from audit.viewsets import AuditedReads, AuditedRetrieve
from consultations import selectors
from consultations.models import Consultation, Prescription, QueueEntry
from consultations.serializers import (
    ConsultationOpenSerializer,
    ConsultationSerializer,
    ConsultationUpdateSerializer,
    CounsellingSerializer,
    DispenseRequestSerializer,
    DispenseResultSerializer,
    PickupLineSerializer,
    PrescriptionSerializer,
    PrescriptionUpdateSerializer,
    QueueAssignSerializer,
    QueueEntrySerializer,
    QueueUpdateSerializer,
    VisitFullSerializer,
    prescription_input,
)
from consultations.services import consultation, pickup, prescriptions, queue
from core.pagination import Pagination
from core.params import int_param
from core.views import ViewSet, page_of, valid
from patients.models import Patient, Visit
from patients.selectors import patients
from patients.serializers import VisitSerializer, VisitStatusSerializer
from patients.services import visit_set_status

QUEUE_READERS = {ADMIN, VOLUNTEER, DOCTOR, AUDITOR}
CLINICIANS = {ADMIN, DOCTOR}
CONSULTATION_READERS = {ADMIN, DOCTOR, COUNSELLOR, PHARMACIST, AUDITOR}


class QueuePagination(Pagination):
    """The list envelope plus the queue's own keys: what was asked for and each doctor's counts."""

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        envelope = super().get_paginated_response_schema(schema)
        count = {"type": "integer", "minimum": 0}
        envelope["properties"]["scope"] = {
            "type": "string",
            "enum": ["all", "doctor", "patient"],
            "description": "all open queues, one doctor's open queue, or a patient's entries",
        }
        envelope["properties"]["counts"] = {
            "type": "array",
            "description": "per doctor, over every entry of the list (not only this page), by name",
            "items": {
                "type": "object",
                "properties": {
                    "doctor": {"type": "integer"},
                    "name": {"type": "string"},
                    "waiting": count,
                    "in_consultation": count,
                    "total": count,
                },
                "required": ["doctor", "name", "waiting", "in_consultation", "total"],
            },
        }
        envelope["required"] = [*envelope["required"], "scope", "counts"]
        return envelope


class QueueViewSet(AuditedRetrieve, ViewSet):
    allowed_roles = {
        "list": QUEUE_READERS,
        "create": {ADMIN, VOLUNTEER},
        "retrieve": QUEUE_READERS,
        "partial_update": {ADMIN, VOLUNTEER, DOCTOR},
    }
    audit_type = "queue_entry"
    more_errors = {"create": (404,)}  # the visit or doctor the body names does not exist
    serializer_class = QueueEntrySerializer
    pagination_class = QueuePagination
    orderings = {"priority": ("rank", "queued_at"), "queued_at": ("queued_at",)}

    @property
    def audit_resource(self) -> str:  # type: ignore[override]
        # Refusals name the queue for queue/ and the entry for queue/{id}/.
        return "queue_entry" if self.detail else "queue"

    def get_queryset(self) -> QuerySet[QueueEntry]:
        return selectors.queue_entries()

    @extend_schema(
        operation_id="queue_list",
        parameters=[
            OpenApiParameter("doctor", OpenApiTypes.INT, description="one doctor's open queue"),
            OpenApiParameter("patient", OpenApiTypes.INT, description="a patient's queue entries"),
        ],
        responses=QueueEntrySerializer(many=True),
    )
    def list(self, request: Request) -> Response:
        doctor, patient = int_param(request, "doctor"), int_param(request, "patient")
        if doctor is not None:
            scope, entries, ids = "doctor", selectors.doctor_queue(doctor), {"doctor_id": doctor}
        elif patient is not None:
            scope, entries, ids = "patient", selectors.patient_queue(patient), {"patient_id": patient}
        else:
            scope, entries, ids = "all", selectors.all_queues(), {}
        response = page_of(self, entries, QueueEntrySerializer)
        count = response.data["count"]
        details = {"scope": scope, **ids, "count": count}
        self.audit_list(count, event=E.QUEUE_VIEWED, details=details, scope={"patient_id": patient})
        response.data.update(scope=scope, counts=selectors.counts_by_doctor(entries))
        return response

    @extend_schema(request=QueueAssignSerializer, responses={201: QueueEntrySerializer})
    def create(self, request: Request) -> Response:
        data = valid(QueueAssignSerializer, request)
        entry = queue.queue_assign(
            by=user_of(request), visit_id=data["visit"], doctor_id=data["doctor"], priority=data["priority"]
        )
        return Response(QueueEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=QueueUpdateSerializer, responses=QueueEntrySerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        changes = valid(QueueUpdateSerializer, request)
        return Response(QueueEntrySerializer(queue.queue_update(by=user_of(request), entry_id=pk, **changes)).data)


class ConsultationViewSet(AuditedRetrieve, ViewSet):
    allowed_roles = {
        "create": CLINICIANS,
        "retrieve": CONSULTATION_READERS,
        "partial_update": CLINICIANS,
        "counselling": {ADMIN, COUNSELLOR},
        "prescriptions": CLINICIANS,
    }
    audit_resource = audit_type = "consultation"
    more_errors = {"create": (404,)}  # the queue entry the body names does not exist
    serializer_class = ConsultationSerializer

    def get_queryset(self) -> QuerySet[Consultation]:
        return selectors.consultations()

    @extend_schema(request=ConsultationOpenSerializer, responses={201: ConsultationSerializer})
    def create(self, request: Request) -> Response:
        data = valid(ConsultationOpenSerializer, request)
        opened = consultation.consultation_open(by=user_of(request), queue_entry_id=data.pop("queue_entry"), **data)
        return Response(ConsultationSerializer(opened).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ConsultationUpdateSerializer, responses=ConsultationSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        changes = valid(ConsultationUpdateSerializer, request)
        updated = consultation.consultation_update(by=user_of(request), consultation_id=pk, **changes)
        return Response(ConsultationSerializer(selectors.with_prescriptions(updated)).data)

    @extend_schema(request=CounsellingSerializer, responses=ConsultationSerializer)
    @action(detail=True, methods=["patch"], audit_resource="counselling")
    def counselling(self, request: Request, pk: int) -> Response:
        data = valid(CounsellingSerializer, request)
        counselled = consultation.consultation_counsel(by=user_of(request), consultation_id=pk, **data)
        return Response(ConsultationSerializer(selectors.with_prescriptions(counselled)).data)

    @extend_schema(request=PrescriptionSerializer, responses={201: PrescriptionSerializer})
    @action(detail=True, methods=["post"], audit_resource="prescription")
    def prescriptions(self, request: Request, pk: int) -> Response:
        data = prescription_input(valid(PrescriptionSerializer, request))
        written = prescriptions.prescription_create(
            by=user_of(request), consultation_id=pk, medicine_id=data.pop("medicine"), **data
        )
        return Response(PrescriptionSerializer(written).data, status=status.HTTP_201_CREATED)


class PrescriptionViewSet(AuditedRetrieve, ViewSet):
    allowed_roles = {"retrieve": CONSULTATION_READERS, "partial_update": CLINICIANS, "destroy": CLINICIANS}
    audit_resource = audit_type = "prescription"
    serializer_class = PrescriptionSerializer

    def get_queryset(self) -> QuerySet[Prescription]:
        return selectors.prescriptions()

    @extend_schema(request=PrescriptionUpdateSerializer, responses=PrescriptionSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        changes = prescription_input(valid(PrescriptionUpdateSerializer, request, partial=True))
        changed = prescriptions.prescription_update(by=user_of(request), prescription_id=pk, **changes)
        return Response(PrescriptionSerializer(changed).data)

    @extend_schema(responses={200: PrescriptionSerializer})
    def destroy(self, request: Request, pk: int) -> Response:
        withdrawn = prescriptions.prescription_delete(by=user_of(request), prescription_id=pk)
        return Response(PrescriptionSerializer(withdrawn).data)


class PatientConsultationsViewSet(AuditedReads, ViewSet):
    """GET patients/{id}/consultations/: served here, the lowest app that knows consultations."""

    allowed_roles = {"consultations": CONSULTATION_READERS}
    audit_resource = "consultation"
    audit_type = "patient"
    orderings = {"created_at": ("created_at",)}

    def get_queryset(self) -> QuerySet[Patient]:
        return patients()

    @extend_schema(operation_id="patients_consultations_list", responses=ConsultationSerializer(many=True))
    @action(detail=True, methods=["get"])
    def consultations(self, request: Request, pk: int) -> Response:
        patient = self.get_object()
        rows, message = selectors.consultations_of_patient(patient.pk), f"viewed the consultations of {patient.book_no}"
        return self.read_page(
            patient, rows, ConsultationSerializer, event=E.PATIENT_CONSULTATIONS_VIEWED, message=message
        )


class VisitViewSet(AuditedRetrieve, ViewSet):
    """A whole visit, its pickup list and the pickup itself."""

    allowed_roles = {
        "retrieve": EVERYONE,
        "partial_update": {ADMIN, VOLUNTEER},
        "dispense": {ADMIN, PHARMACIST},
        "pickup": {ADMIN, PHARMACIST, DOCTOR, AUDITOR},
    }
    audit_resource = audit_type = "visit"
    serializer_class = VisitFullSerializer

    def get_queryset(self) -> QuerySet[Visit]:
        return selectors.full_visit() if self.action == "retrieve" else selectors.visits()

    @extend_schema(request=VisitStatusSerializer, responses=VisitSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        to = valid(VisitStatusSerializer, request)["status"]
        return Response(VisitSerializer(visit_set_status(by=user_of(request), visit_id=pk, status=to)).data)

    @extend_schema(request=DispenseRequestSerializer, responses=DispenseResultSerializer)
    @action(detail=True, methods=["post"], audit_resource="dispense")
    def dispense(self, request: Request, pk: int) -> Response:
        items = [pickup.Item(**item) for item in valid(DispenseRequestSerializer, request)["items"]]
        by = user_of(request)
        done = pickup.visit_dispense(by=by, visit_id=pk, items=items)
        lines = pickup.log_pickup(by, done, source="route")
        return Response({"visit": done.visit.pk, "visit_status": done.visit.status, "served": lines})

    @extend_schema(operation_id="visits_pickup_list", responses=PickupLineSerializer(many=True))
    @action(detail=True, methods=["get"], audit_resource="pickup")
    def pickup(self, request: Request, pk: int) -> Response:
        visit = self.get_object()
        lines = selectors.pickup_lines(visit)  # in prescription order; a visit has a handful
        message = f"viewed the pickup of visit {pk}"
        return self.read_page(visit, lines, PickupLineSerializer, event=E.VISIT_PICKUP_VIEWED, message=message)
