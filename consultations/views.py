from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import user_of
from accounts.roles import ADMIN, AUDITOR, COUNSELLOR, DOCTOR, EVERYONE, PHARMACIST, VOLUNTEER
from audit.events import emit
from clinic.errors import DomainError
from clinic.views import valid
from consultations import pickup, selectors, services
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
    QueueListSerializer,
    QueueUpdateSerializer,
    VisitFullSerializer,
    prescription_input,
)
from patients.models import Patient, Visit
from patients.serializers import VisitSerializer, VisitStatusSerializer
from patients.services import visit_set_status

QUEUE_READERS = {ADMIN, VOLUNTEER, DOCTOR, AUDITOR}
CLINICIANS = {ADMIN, DOCTOR}
CONSULTATION_READERS = {ADMIN, DOCTOR, COUNSELLOR, PHARMACIST, AUDITOR}


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise DomainError(f"{name} must be an id.", fields={name: ["A whole number is required."]})
    return int(raw)


class QueueView(APIView):
    allowed_roles = {"GET": QUEUE_READERS, "POST": {ADMIN, VOLUNTEER}}
    audit_resource = "queue"

    @extend_schema(
        operation_id="queue_list",
        parameters=[
            OpenApiParameter("doctor", OpenApiTypes.INT, description="one doctor's open queue"),
            OpenApiParameter("patient", OpenApiTypes.INT, description="a patient's queue entries"),
        ],
        responses=QueueListSerializer,
    )
    def get(self, request: Request) -> Response:
        doctor, patient = _int_param(request, "doctor"), _int_param(request, "patient")
        if doctor is not None:
            scope, entries, ids = "doctor", selectors.doctor_queue(doctor), {"doctor_id": doctor}
        elif patient is not None:
            scope, entries, ids = "patient", selectors.patient_queue(patient), {"patient_id": patient}
        else:
            scope, entries, ids = "all", selectors.all_queues(), {}
        rows = list(entries[:500])
        emit(
            "queue.viewed",
            action="read",
            source="route",
            scope={"patient_id": patient} if patient is not None else None,
            details={"scope": scope, **ids, "count": len(rows)},
            message=f"viewed the queue ({scope}{' ' + str(next(iter(ids.values()))) if ids else ''}): {len(rows)}",
        )
        body = {
            "scope": scope,
            "results": QueueEntrySerializer(rows, many=True).data,
            "counts": selectors.counts_by_doctor(rows),
        }
        return Response(body)

    @extend_schema(request=QueueAssignSerializer, responses={201: QueueEntrySerializer})
    def post(self, request: Request) -> Response:
        data = valid(QueueAssignSerializer, request)
        entry = services.queue_assign(
            by=user_of(request), visit_id=data["visit"], doctor_id=data["doctor"], priority=data["priority"]
        )
        return Response(QueueEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class QueueEntryView(APIView):
    allowed_roles = {"GET": QUEUE_READERS, "PATCH": {ADMIN, VOLUNTEER, DOCTOR}}
    audit_resource = "queue_entry"

    @extend_schema(responses=QueueEntrySerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(QueueEntrySerializer(get_object_or_404(selectors.queue_entries(), pk=pk)).data)

    @extend_schema(request=QueueUpdateSerializer, responses=QueueEntrySerializer)
    def patch(self, request: Request, pk: int) -> Response:
        get_object_or_404(QueueEntry, pk=pk)
        entry = services.queue_update(by=user_of(request), entry_id=pk, **valid(QueueUpdateSerializer, request))
        return Response(QueueEntrySerializer(selectors.queue_entries().get(pk=entry.pk)).data)


class ConsultationListView(APIView):
    allowed_roles = {"POST": CLINICIANS}
    audit_resource = "consultation"

    @extend_schema(request=ConsultationOpenSerializer, responses={201: ConsultationSerializer})
    def post(self, request: Request) -> Response:
        data = valid(ConsultationOpenSerializer, request)
        consultation = services.consultation_open(by=user_of(request), queue_entry_id=data.pop("queue_entry"), **data)
        return Response(ConsultationSerializer(consultation).data, status=status.HTTP_201_CREATED)


def _consultation(pk: int) -> Consultation:
    return get_object_or_404(
        Consultation.objects.select_related("doctor").prefetch_related("prescriptions__medicine"), pk=pk
    )


class ConsultationDetailView(APIView):
    allowed_roles = {"GET": CONSULTATION_READERS, "PATCH": CLINICIANS}
    audit_resource = "consultation"

    @extend_schema(responses=ConsultationSerializer)
    def get(self, request: Request, pk: int) -> Response:
        consultation = _consultation(pk)
        emit(
            "consultation.viewed",
            action="read",
            source="route",
            target={"type": "consultation", "id": pk},
            scope={"visit_id": consultation.visit_id},
            message=f"viewed consultation {pk}",
        )
        return Response(ConsultationSerializer(consultation).data)

    @extend_schema(request=ConsultationUpdateSerializer, responses=ConsultationSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        _consultation(pk)
        services.consultation_update(
            by=user_of(request), consultation_id=pk, **valid(ConsultationUpdateSerializer, request)
        )
        return Response(ConsultationSerializer(_consultation(pk)).data)


class CounsellingView(APIView):
    allowed_roles = {"PATCH": {ADMIN, COUNSELLOR}}
    audit_resource = "counselling"

    @extend_schema(request=CounsellingSerializer, responses=ConsultationSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        _consultation(pk)
        services.consultation_counsel(by=user_of(request), consultation_id=pk, **valid(CounsellingSerializer, request))
        return Response(ConsultationSerializer(_consultation(pk)).data)


class ConsultationPrescriptionsView(APIView):
    allowed_roles = {"POST": CLINICIANS}
    audit_resource = "prescription"

    @extend_schema(request=PrescriptionSerializer, responses={201: PrescriptionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _consultation(pk)
        data = prescription_input(valid(PrescriptionSerializer, request))
        prescription = services.prescription_create(
            by=user_of(request), consultation_id=pk, medicine_id=data.pop("medicine"), **data
        )
        return Response(PrescriptionSerializer(prescription).data, status=status.HTTP_201_CREATED)


class PrescriptionDetailView(APIView):
    allowed_roles = {"GET": CONSULTATION_READERS, "PATCH": CLINICIANS, "DELETE": CLINICIANS}
    audit_resource = "prescription"

    @extend_schema(responses=PrescriptionSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(PrescriptionSerializer(get_object_or_404(Prescription, pk=pk)).data)

    @extend_schema(request=PrescriptionUpdateSerializer, responses=PrescriptionSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        get_object_or_404(Prescription, pk=pk)
        changes = prescription_input(valid(PrescriptionUpdateSerializer, request, partial=True))
        prescription = services.prescription_update(by=user_of(request), prescription_id=pk, **changes)
        return Response(PrescriptionSerializer(prescription).data)

    @extend_schema(responses=PrescriptionSerializer)
    def delete(self, request: Request, pk: int) -> Response:
        get_object_or_404(Prescription, pk=pk)
        prescription = services.prescription_delete(by=user_of(request), prescription_id=pk)
        return Response(PrescriptionSerializer(prescription).data)


class PatientConsultationsView(APIView):
    allowed_roles = {"GET": CONSULTATION_READERS}
    audit_resource = "consultation"

    @extend_schema(responses=ConsultationSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        patient = get_object_or_404(Patient, pk=pk)
        rows = list(selectors.consultations_of_patient(patient.pk))
        emit(
            "patient.consultations_viewed",
            action="read",
            source="route",
            target={"type": "patient", "id": patient.pk},
            scope={"patient_id": patient.pk},
            details={"count": len(rows)},
            message=f"viewed the consultations of {patient.book_no}",
        )
        return Response(ConsultationSerializer(rows, many=True).data)


class VisitDetailView(APIView):
    allowed_roles = {"GET": EVERYONE, "PATCH": {ADMIN, VOLUNTEER}}
    audit_resource = "visit"

    @extend_schema(responses=VisitFullSerializer)
    def get(self, request: Request, pk: int) -> Response:
        visit = get_object_or_404(selectors.full_visit(), pk=pk)
        emit(
            "visit.viewed",
            action="read",
            source="route",
            target={"type": "visit", "id": visit.pk},
            scope=visit.audit_scope(),
            message=f"viewed visit {visit.pk}",
        )
        return Response(VisitFullSerializer(visit).data)

    @extend_schema(request=VisitStatusSerializer, responses=VisitSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        get_object_or_404(Visit, pk=pk)
        to = valid(VisitStatusSerializer, request)["status"]
        visit = visit_set_status(by=user_of(request), visit_id=pk, status=to)
        return Response(VisitSerializer(visit).data)


class VisitDispenseView(APIView):
    allowed_roles = {"POST": {ADMIN, PHARMACIST}}
    audit_resource = "dispense"

    @extend_schema(request=DispenseRequestSerializer, responses=DispenseResultSerializer)
    def post(self, request: Request, pk: int) -> Response:
        get_object_or_404(Visit, pk=pk)
        items = [pickup.Item(**item) for item in valid(DispenseRequestSerializer, request)["items"]]
        by = user_of(request)
        done = pickup.visit_dispense(by=by, visit_id=pk, items=items)
        visit, lines = done.visit, [s.as_event() for s in done.served]
        emit(
            "visit.picked_up",
            action="execute",
            source="route",
            target={"type": "visit", "id": visit.pk},
            scope=visit.audit_scope(),
            details={"items": lines, "units": done.units, "visit_status": visit.status},
            message=f"{by.username} dispensed {done.units} units in {len(lines)} items for token {visit.token_number}",
        )
        return Response({"visit": visit.pk, "visit_status": visit.status, "served": lines})


class VisitPickupView(APIView):
    allowed_roles = {"GET": {ADMIN, PHARMACIST, DOCTOR, AUDITOR}}
    audit_resource = "pickup"

    @extend_schema(responses=PickupLineSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        visit = get_object_or_404(Visit, pk=pk)
        lines = pickup.pickup_list(visit)
        emit(
            "visit.pickup_viewed",
            action="read",
            source="route",
            target={"type": "visit", "id": visit.pk},
            scope=visit.audit_scope(),
            details={"count": len(lines)},
            message=f"viewed the pickup of visit {pk}",
        )
        return Response(lines)
