"""Camps through the API: listed by everyone signed in, created and changed by admins."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import user_of
from accounts.roles import ADMIN, EVERYONE
from audit.viewsets import AuditedList, AuditedRetrieve
from camps import selectors, services
from camps.models import MedicalCamp
from camps.serializers import CampCreateSerializer, CampSerializer, CampUpdateSerializer
from core.views import ViewSet, valid


class CampViewSet(AuditedList, AuditedRetrieve, ViewSet):
    allowed_roles = {"list": EVERYONE, "retrieve": EVERYONE, "create": {ADMIN}, "partial_update": {ADMIN}}
    audit_resource = audit_type = "camp"
    serializer_class = CampSerializer
    orderings = {"date": ("date",), "name": ("name",)}

    def get_queryset(self) -> QuerySet[MedicalCamp]:
        return selectors.camps()

    @extend_schema(request=CampCreateSerializer, responses={201: CampSerializer})
    def create(self, request: Request) -> Response:
        camp = services.camp_create(by=user_of(request), **valid(CampCreateSerializer, request))
        return Response(CampSerializer(camp).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CampUpdateSerializer, responses=CampSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        changes = valid(CampUpdateSerializer, request, partial=True)
        return Response(CampSerializer(services.camp_update(by=user_of(request), camp_id=pk, **changes)).data)
