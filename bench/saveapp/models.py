"""One model, tracked five ways, for bench/audit_save.py."""

from __future__ import annotations

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from audit.catalogue import Kind
from audit.event_types import EVENTS
from audit.history import AuditedHistory, AuditedModel


class Fields(models.Model):
    name = models.CharField(max_length=100)
    status = models.CharField(max_length=20, default="waiting")
    quantity = models.IntegerField(default=0)
    notes = models.TextField(blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class Plain(Fields):
    """Untracked: the baseline."""


class HistoryOnly(Fields):
    """django-simple-history alone."""

    history = HistoricalRecords()


class Ours(AuditedModel, Fields):
    """MedCamp's trail: simple-history's row plus a field-level change event after commit."""

    audit_type = "bench"
    history = AuditedHistory()


class WithAuditlog(Fields):
    """django-auditlog."""


auditlog.register(WithAuditlog)


if settings.POSTGRES:  # pghistory's triggers exist on PostgreSQL only
    import pghistory

    @pghistory.track()
    class WithPghistory(Fields):
        """django-pghistory (database triggers)."""


# The bench's own record type is not MedCamp's: its change events are declared here, beside it.
for _kind, _action in ((Kind.CREATED, "create"), (Kind.UPDATED, "update"), (Kind.DELETED, "delete")):
    EVENTS.family(_kind, types=("bench",), action=_action, scope=(), meaning="a bench record's change")
