"""The event store auditors query: every audit event, append-only, sealed by a hash chain.

`AuditEvent` holds each event's canonical JSON (`data`, exactly what the seal hashes) and
its MAC (`mac`, made by the app with a key the database never holds), beside indexed
columns an auditor filters on, each derived from `data` (audit_verify checks they agree).
`AuditSeal` chains the events in the order they were sealed:
`hash = HMAC-SHA256(key, prev_hash + data)` (audit/chain.py). Both tables are created by
migration 0001 and refuse UPDATE, DELETE and TRUNCATE by triggers that fire in every
replication role (migrations 0002, 0003); the models are unmanaged so that no Django
operation (a flush, a migration) ever deletes their rows.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.catalogue import ACTIONS
from audit.events import OUTCOMES, SOURCES


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    # Choices let admin filter without a DISTINCT over the whole store.
    return [(value, value) for value in values]


class AuditEvent(models.Model):
    audit_type = "audit_event"  # reads of the store are events too

    event_id = models.CharField(_("event id"), max_length=32)  # a uuid4; no index: every insert would pay for it
    timestamp = models.DateTimeField(_("timestamp"))
    event = models.CharField(_("event"), max_length=100)
    action = models.CharField(_("action"), max_length=16, choices=_choices(ACTIONS))
    outcome = models.CharField(_("outcome"), max_length=16, choices=_choices(OUTCOMES))
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=_choices(SOURCES))
    actor_id = models.BigIntegerField(_("actor id"), null=True)
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    target_type = models.CharField(_("target type"), max_length=40, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    patient_id = models.BigIntegerField(_("patient id"), null=True)
    visit_id = models.BigIntegerField(_("visit id"), null=True)
    camp_id = models.BigIntegerField(_("camp id"), null=True)
    data = models.TextField(_("data"), help_text=_("the whole event, canonical JSON: what the seal hashes"))
    mac = models.CharField(_("mac"), max_length=64, blank=True, default="", help_text=_("HMAC of `data` (audit.keys)"))

    class Meta:
        managed = False
        db_table = "audit_auditevent"
        ordering = ["-id"]
        verbose_name = _("audit event")
        # One index per question an auditor asks, and no more: each costs every insert.
        indexes = [
            models.Index(fields=["timestamp"], name="audit_event_time"),
            models.Index(fields=["patient_id", "timestamp"], name="audit_event_patient"),
            models.Index(fields=["actor_username", "timestamp"], name="audit_event_actor"),
            models.Index(fields=["target_type", "target_id", "timestamp"], name="audit_event_target"),
            models.Index(fields=["request_id"], name="audit_event_request"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"

    def payload(self) -> dict[str, Any]:
        return dict(json.loads(self.data))

    def audit_scope(self) -> dict[str, Any]:
        """An auditor reading this event reads about its patient: the read shows in that patient's trail."""
        return {"patient_id": self.patient_id} if self.patient_id is not None else {}


class AuditSeal(models.Model):
    seq = models.BigIntegerField(_("seq"), primary_key=True)
    event_pk = models.BigIntegerField(
        _("event pk"), unique=True, help_text=_("AuditEvent.id (not a foreign key: see audit_verify)")
    )
    event_id = models.CharField(_("event id"), max_length=32)
    prev_hash = models.CharField(_("prev hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)
    sealed_at = models.DateTimeField(_("sealed at"))

    class Meta:
        managed = False
        db_table = "audit_auditseal"
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"seal {self.seq}"


class ShipCursor(models.Model):
    """How far a shared sink has been sent the store's events, by seal seq (audit.shipper)."""

    sink = models.CharField(_("sink"), max_length=40, primary_key=True)
    seq = models.BigIntegerField(_("seq"), default=0)
    shipped_at = models.DateTimeField(_("shipped at"), null=True)

    def __str__(self) -> str:
        return f"{self.sink} at seq {self.seq}"
