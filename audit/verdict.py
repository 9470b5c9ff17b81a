"""What audit_verify says of one row, for the event's detail page in admin: the same words, for that row.

A sealed row: its seal links to the previous one, its hash recomputes, its MAC verifies
(audit.verification's checks, for one seq). A row without a seal: forged (its MAC fails),
never sealed (below the late-commit window: no sealing pass looks at it again), or not
sealed yet. A row whose event id another row holds too is a replay, sealed or not.
"""

from __future__ import annotations

from audit.chain import LATE_COMMIT_WINDOW, ids_issued
from audit.keys import GENESIS, chain_key, mac_key, mac_ok
from audit.models import AuditEvent, AuditSeal
from audit.verification import check_mac, check_seal, never_sealed

VERIFIED = "verified: the sealed event is intact"
PENDING = "not sealed yet (sealing runs every few seconds)"


def problems(event: AuditEvent) -> tuple[AuditSeal | None, list[str]]:
    """(its seal or None, each problem audit_verify reports of this row)."""
    row = {"id": event.pk, "event_id": event.event_id, "data": event.data, "mac": event.mac}
    others = list(AuditEvent.objects.filter(event_id=event.event_id).exclude(pk=event.pk).values_list("pk", flat=True))
    found = [f"event {event.event_id} is stored {len(others) + 1} times: a replayed or copied row"] if others else []
    seal = AuditSeal.objects.filter(event_pk=event.pk).first()
    if seal is None:
        where = f"unsealed event {event.pk} ({event.event_id})"
        if not mac_ok(event.data, event.mac, mac_key()):
            return None, [*found, *check_mac(where, row, mac_key())]
        head_pk = AuditSeal.objects.order_by("-seq").values_list("event_pk", flat=True).first()
        if head_pk is not None and event.pk <= head_pk - LATE_COMMIT_WINDOW:
            found.append(never_sealed(where, head_pk))
        issued = ids_issued()
        if issued is not None and event.pk > issued:
            found.append(f"{where}: its id was never issued by the database's sequence (inserted by hand)")
        return None, found
    previous = AuditSeal.objects.filter(seq=seal.seq - 1).values_list("hash", flat=True).first()
    prev = previous if seal.seq > 1 else GENESIS
    found += check_seal(seal.seq, seal.seq, prev or "", seal.event_id, seal.prev_hash, seal.hash, row, chain_key())
    if event.mac:  # rows stored before events carried a MAC have none: the chain sealed them
        found += check_mac(f"seq {seal.seq}", row, mac_key())
    return seal, found


def verdict(event: AuditEvent) -> tuple[AuditSeal | None, str]:
    """(its seal, one line): "verified ...", "not sealed yet ...", or "DOES NOT VERIFY: " and what audit_verify says."""
    seal, found = problems(event)
    if found:
        return seal, "DOES NOT VERIFY: " + "; ".join(found)
    return seal, VERIFIED if seal is not None else PENDING
