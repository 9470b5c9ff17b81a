"""A medical camp: its place, date, expected headcount and status."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.history import AuditedHistory, AuditedModel
from core.languages import LanguageField
from core.params import within_dates


class MedicalCamp(AuditedModel):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.PLANNED: frozenset({Status.ACTIVE, Status.CLOSED}),
        Status.ACTIVE: frozenset({Status.CLOSED}),
        Status.CLOSED: frozenset(),
    }

    name = models.CharField(_("name"), max_length=200)
    date = models.DateField(_("date"), validators=[within_dates])
    location = models.CharField(_("location"), max_length=200)
    expected_patients = models.PositiveIntegerField(_("expected patients"), default=0)
    attended_patients = models.PositiveIntegerField(_("attended patients"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    # The last token number handed out; incremented by an UPDATE that serialises registrations.
    last_token = models.PositiveIntegerField(_("last token"), default=0, editable=False)
    # Book numbers for patients who come without a booklet: "<prefix>-0001", ... (camps.services).
    book_prefix = models.CharField(
        _("book number prefix"),
        max_length=12,
        blank=True,
        help_text=_("For patients without a booklet the desk gives the next number, e.g. KOT-0001; empty: C<camp id>."),
    )
    last_book_no = models.PositiveIntegerField(_("last book no"), default=0, editable=False)
    # The language the slip of a patient who names none is printed in, and the desk's default.
    language = LanguageField(
        _("language"), default="en", db_default="en", help_text=_("The language most patients here read.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = AuditedHistory(excluded_fields=["last_token", "last_book_no"])

    audit_type = "camp"
    audit_fields = (
        "name",
        "date",
        "location",
        "expected_patients",
        "attended_patients",
        "status",
        "book_prefix",
        "language",
    )

    class Meta:
        verbose_name = _("medical camp")
        verbose_name_plural = _("medical camps")
        ordering = ["-date", "name"]
        indexes = [models.Index(fields=["date"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.date})"

    def audit_scope(self) -> dict[str, Any]:
        return {"camp_id": self.pk}

    def audit_label(self) -> str:
        return f"camp {self.name!r}"
