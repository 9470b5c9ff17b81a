"""The `audit` check of GET health/ and its figures in /metrics: is the trail being sealed and shipped?

It fails (503, `failing` names `audit`) when:
- an event has waited longer than AUDIT_HEALTH_SEAL_SECONDS to be sealed (sealing stopped:
  no sealer runs, a chain alarm stopped it, or it refuses a forged row);
- a trigger that guards the trail is missing or disabled (audit.append_only);
- this process's sealer stopped on a chain alarm, or refused a stored row (its MAC fails),
  until the process restarts;
- with LogBull configured and AUDIT_SHIP on: LogBull's cursor is more than AUDIT_HEALTH_SHIP_EVENTS
  seals or AUDIT_HEALTH_SHIP_SECONDS behind the chain's head, or LogBull refuses events this
  process ships (audit.ship_hold).
Each figure is one index read (tests/monitoring/test_query_plans.py checks PostgreSQL's plans).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection

from audit import clock
from audit.guards import missing as guards_missing
from audit.models import AuditEvent, AuditSeal, ShipCursor
from audit.sealer import SEALER
from audit.ship_hold import refusing

Check = dict[str, Any]


def shipping() -> bool:
    return bool(settings.AUDIT_SHIP and settings.LOGBULL_HOST)


def waiting_seconds() -> float:
    """How long the oldest event after the chain's head has waited to be sealed (0 when none waits)."""
    head = AuditSeal.objects.order_by("-seq").values_list("event_pk", flat=True).first()
    oldest = AuditEvent.objects.filter(pk__gt=head or 0).order_by("pk").values_list("timestamp", flat=True).first()
    return max(0.0, (clock.now() - oldest).total_seconds()) if oldest is not None else 0.0


def ship_lag() -> tuple[int, float]:
    """(seals after LogBull's cursor, seconds since the oldest of them was sealed)."""
    head = AuditSeal.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    shipped = ShipCursor.objects.filter(sink="logbull").values_list("seq", flat=True).first() or 0
    if head <= shipped:
        return 0, 0.0
    since = AuditSeal.objects.filter(seq=shipped + 1).values_list("sealed_at", flat=True).first()
    return head - shipped, max(0.0, (clock.now() - since).total_seconds()) if since is not None else 0.0


def figures() -> dict[str, Any]:
    found: dict[str, Any] = {"unsealed_seconds": round(waiting_seconds(), 1)}
    if shipping():
        events, seconds = ship_lag()
        found.update(ship_lag_events=events, ship_lag_seconds=round(seconds, 1))
    return found


def audit() -> Check | None:
    """The check (None when the store is off): ok, the problems in words, and the figures."""
    if not settings.AUDIT_STORE:
        return None
    try:
        found = figures()
        problems = [f"the database's guard is down: {problem}" for problem in guards_missing(connection)]
    except DatabaseError as exc:
        return {"ok": False, "error": type(exc).__name__}
    watch = SEALER.watch
    if watch is not None and watch.stopped:
        problems.append(f"sealing stopped: {watch.stopped}")
    if watch is not None and watch.alarmed:
        problems.append(f"the sealer refused {len(watch.alarmed)} stored events (MAC or replay alarm)")
    limit = settings.AUDIT_HEALTH_SEAL_SECONDS
    if found["unsealed_seconds"] > limit:
        problems.append(f"an event has waited {found['unsealed_seconds']:.0f} s to be sealed (limit {limit} s)")
    if shipping():
        if found["ship_lag_events"] > settings.AUDIT_HEALTH_SHIP_EVENTS:
            problems.append(f"LogBull is {found['ship_lag_events']} events behind")
        if found["ship_lag_seconds"] > settings.AUDIT_HEALTH_SHIP_SECONDS:
            problems.append(f"LogBull is {found['ship_lag_seconds']:.0f} s behind")
        refused = refusing()
        if refused is not None:
            found["refused"] = refused
            causes = ", ".join(refused["causes"])
            problems.append(
                f"LogBull refuses {refused['held']} events ({causes}); held from seq {refused['first_seq']}"
            )
    return {"ok": not problems, "problems": problems, **found}
