from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import user_of
from accounts.roles import ADMIN, EVERYONE
from camps import services
from camps.models import MedicalCamp
from camps.serializers import CampCreateSerializer, CampSerializer, CampUpdateSerializer
from clinic.views import valid


class CampListView(APIView):
    allowed_roles = {"GET": EVERYONE, "POST": {ADMIN}}
    audit_resource = "camp"

    @extend_schema(responses=CampSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(CampSerializer(MedicalCamp.objects.all()[:200], many=True).data)

    @extend_schema(request=CampCreateSerializer, responses={201: CampSerializer})
    def post(self, request: Request) -> Response:
        camp = services.camp_create(by=user_of(request), **valid(CampCreateSerializer, request))
        return Response(CampSerializer(camp).data, status=status.HTTP_201_CREATED)


class CampDetailView(APIView):
    allowed_roles = {"GET": EVERYONE, "PATCH": {ADMIN}}
    audit_resource = "camp"

    @extend_schema(responses=CampSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(CampSerializer(get_object_or_404(MedicalCamp, pk=pk)).data)

    @extend_schema(request=CampUpdateSerializer, responses=CampSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        get_object_or_404(MedicalCamp, pk=pk)
        changes = valid(CampUpdateSerializer, request, partial=True)
        return Response(CampSerializer(services.camp_update(by=user_of(request), camp_id=pk, **changes)).data)
