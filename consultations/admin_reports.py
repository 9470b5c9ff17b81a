"""Reports in Django admin: a camp's report from its row and page, reports across camps, CSV and XLSX.

Camps are a camps model; their admin is extended here because the report reads visits,
consultations and stock, which camps may not import (the import ladder). Admins and auditors
only: anyone else gets 403. Bad input is said on the page (and logged as a refused
`report.read`), never a 500; each view and each export is an audit event.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.permissions import user_of
from accounts.roles import ADMIN, AUDITOR
from audit import event_types as E
from audit.refusals import log_domain_refusal
from camps.admin import CampAdmin
from camps.models import MedicalCamp
from consultations.reports import formats, scope
from consultations.reports.made import header, made, record_read
from core.errors import DomainError

EXPORTS = {
    "csv": ("application/zip", "zip", formats.as_csv_zip),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", formats.as_xlsx),
}


def may_read_reports(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.has_role(ADMIN, AUDITOR))


def report_page(
    site: admin.AdminSite, request: HttpRequest, covered: scope.Scope | None, error: DomainError | None = None
) -> HttpResponse:
    """The report of `covered` as a page, or as a CSV zip / XLSX file when `export` asks."""
    context: dict[str, Any] = {
        **site.each_context(request),
        "title": gettext("Reports across camps") if covered is None or covered.camp is None else gettext("Camp report"),
        "query": request.GET,
        "error": error,
        "report": None,
    }
    if covered is not None:
        report = made(covered, user_of(request))
        export = request.GET.get("export", "")
        if export in EXPORTS:
            kind, extension, write = EXPORTS[export]
            body = write(report["tables"], header(report))
            record_read(covered, source="admin", export=export)
            response = HttpResponse(body, content_type=kind)
            name = f"medcamp-report-{covered.first}" + ("" if covered.camp else f"-to-{covered.last}")
            response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
            return response
        record_read(covered, source="admin")
        context |= {"report": report, "title": report["title"]}
    return TemplateResponse(
        request, "admin/consultations/report.html", context, status=400 if error is not None else 200
    )


class CampReportsAdmin(CampAdmin):
    """The camp's admin, with a Report link on each row and the report pages."""

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = tuple(super().get_list_display(request))
        return (*shown, "report") if may_read_reports(request) else shown

    @admin.display(description=_("report"))
    def report(self, camp: MedicalCamp) -> SafeString:
        url = reverse("admin:camps_medicalcamp_report", args=[camp.pk])
        return format_html('<a href="{}" class="report-link">Report</a>', url)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "may_read_reports": may_read_reports(request)}
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:camp_id>/report/", view(self.camp_report_view), name="camps_medicalcamp_report"),
            path("reports/", view(self.range_report_view), name="camps_medicalcamp_reports"),
            *super().get_urls(),
        ]

    def camp_report_view(self, request: HttpRequest, camp_id: int) -> HttpResponse:
        if not may_read_reports(request):
            raise PermissionDenied
        try:
            covered = scope.of_camp(camp_id)
        except DomainError as exc:
            raise Http404(gettext("No such camp.")) from exc
        return report_page(self.admin_site, request, covered)

    def range_report_view(self, request: HttpRequest) -> HttpResponse:
        if not may_read_reports(request):
            raise PermissionDenied
        if "from" not in request.GET and "to" not in request.GET:
            return report_page(self.admin_site, request, None)  # the form, nothing asked yet
        try:
            covered = scope.of_range(request.GET)
        except DomainError as exc:
            log_domain_refusal(exc, E.EVENTS.attempt("report", "read"), source="admin")
            return report_page(self.admin_site, request, None, exc)
        return report_page(self.admin_site, request, covered)


admin.site.unregister(MedicalCamp)
admin.site.register(MedicalCamp, CampReportsAdmin)
