"""Reports through the API: GET camps/{id}/report/ and GET reports/?from=&to=[&location=] (admins, auditors)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import user_of
from accounts.roles import ADMIN, AUDITOR
from consultations.reports import scope
from consultations.reports.made import made, record_read
from core.views import ViewSet

REPORT_READERS = {ADMIN, AUDITOR}


class TableSerializer(serializers.Serializer):  # type: ignore[type-arg]
    key = serializers.CharField(help_text="the section: attendance, age_sex, screening, medicines, ...")
    title = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))
    totals = serializers.ListField(child=serializers.JSONField(), allow_null=True)
    note = serializers.CharField(allow_blank=True)


class ReportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    title = serializers.CharField()
    camp_id = serializers.IntegerField(allow_null=True, help_text="the camp reported; null for a range")
    first_day = serializers.DateField(help_text="the range's first day (a camp's date)")
    last_day = serializers.DateField(help_text="the range's last day, included")
    location = serializers.CharField(allow_null=True, help_text="the camp's location, or the range's filter")
    made_at = serializers.CharField(help_text="camp time with its UTC offset")
    made_by = serializers.CharField()
    tables = TableSerializer(many=True)


def answer(request: Request, covered: scope.Scope) -> Response:
    """The report of `covered`, logged as read."""
    body = made(covered, user_of(request))
    record_read(covered, source="route")
    return Response(ReportSerializer(body).data)


class CampReportViewSet(ViewSet):
    """GET camps/{id}/report/: one camp's report."""

    allowed_roles = {"report": REPORT_READERS}
    audit_resource = "report"

    @extend_schema(operation_id="camps_report", responses=ReportSerializer)
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: int) -> Response:
        return answer(request, scope.of_camp(pk))


class RangeReportView(APIView):
    """GET reports/?from=YYYY-MM-DD&to=YYYY-MM-DD[&location=]: every camp of a range, a row each.

    An APIView, not a viewset's `list`: the answer is one report, not a page of records.
    """

    allowed_roles = {"GET": REPORT_READERS}
    audit_resource = "report"

    @extend_schema(
        operation_id="reports_range",
        responses=ReportSerializer,
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, required=True, description="first day, YYYY-MM-DD, 1900-01-01 to 2999-12-31"
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="last day; at most 5 years on"),
            OpenApiParameter("location", OpenApiTypes.STR, description="part of the camps' location, any case"),
        ],
    )
    def get(self, request: Request) -> Response:
        return answer(request, scope.of_range(request.query_params))
