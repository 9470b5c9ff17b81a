"""The declarations of audit/catalogue.py: every event MedCamp emits, each named here once.

Events particular to one action are constants (`VISIT_REGISTERED`); the kinds shared by record
types are families (`EVENTS.of("patient", Kind.VIEWED)`), and refusals are the attempted
action (`EVENTS.attempt("patient", "update")`, outcome failure, reason the error code).
"""

from __future__ import annotations

from audit.catalogue import EITHER, FAILURE, IN_ADMIN, SERVED_IN_ADMIN, STREAMED, VISIT, Catalogue, Kind

EVENTS = Catalogue()
declare = EVENTS.declare

# --- changes of records (django-simple-history rows, audit/history.py) -----------------------
EVENTS.family(Kind.CREATED, types=STREAMED, action="create", meaning="a {type} was created; `fields` holds its values")
EVENTS.family(Kind.UPDATED, types=STREAMED, action="update", meaning="a {type} changed; `changes` holds old and new")
EVENTS.family(Kind.DELETED, types=STREAMED, action="delete", meaning="a {type} was deleted; `fields` holds its values")

# Changes that say more than created/updated (services name them).
VISIT_REGISTERED = declare(
    "visit.registered", action="create", target="visit", scope=VISIT, meaning="a patient registered for a camp"
)
VISIT_STATUS_CHANGED = declare(
    "visit.status_changed", action="update", target="visit", scope=VISIT, meaning="a visit moved to another stage"
)
VISIT_COUNSELLING_CHANGED = declare(
    "visit.counselling_changed",
    action="update",
    target="visit",
    scope=VISIT,
    meaning="a visit's counselling flag followed its consultations",
)
VISIT_PICKED_UP = declare(
    "visit.picked_up",
    action="execute",
    target="visit",
    scope=VISIT,
    meaning="medicines handed over at the pharmacy: what, how many, from which batches",
)
VITALS_RECORDED = declare(
    "vitals.recorded", action="create", target="vitals", scope=VISIT, meaning="a visit's vitals recorded"
)
VITALS_CORRECTED = declare(
    "vitals.corrected", action="update", target="vitals", scope=VISIT, meaning="recorded vitals corrected"
)
QUEUE_ASSIGNED = declare(
    "queue.assigned", action="create", target="queue_entry", scope=VISIT, meaning="a visit sent to a doctor's queue"
)
QUEUE_PRIORITY_CHANGED = declare(
    "queue.priority_changed",
    action="update",
    target="queue_entry",
    scope=VISIT,
    meaning="a queue entry's priority changed",
)
QUEUE_STATUS_CHANGED = declare(
    "queue.status_changed",
    action="update",
    target="queue_entry",
    scope=VISIT,
    meaning="a queue entry moved (started, completed, cancelled, back to waiting)",
)
QUEUE_UPDATED = declare(
    "queue.updated",
    action="update",
    target="queue_entry",
    scope=VISIT,
    meaning="a queue entry's status and priority changed at once",
)
CONSULTATION_OPENED = declare(
    "consultation.opened", action="create", target="consultation", scope=VISIT, meaning="a doctor took a patient"
)
CONSULTATION_COUNSELLING_UPDATED = declare(
    "consultation.counselling_updated",
    action="update",
    target="consultation",
    scope=VISIT,
    meaning="a counsellor recorded counselling",
)
PRESCRIPTION_CREATED = EVENTS.of("prescription", Kind.CREATED)
PRESCRIPTION_UPDATED = EVENTS.of("prescription", Kind.UPDATED)
PRESCRIPTION_DELETED = EVENTS.of("prescription", Kind.DELETED)
PRESCRIPTION_REPLACED = declare(
    "prescription.replaced",
    action="update",
    target="prescription",
    scope=VISIT,
    meaning="a prescription replaced by one of another medicine (`details.replaced_by`)",
)
PRESCRIPTION_DISPENSED = declare(
    "prescription.dispensed",
    action="update",
    target="prescription",
    scope=VISIT,
    meaning="part or all of a prescription handed over",
)
STOCK_RECEIVED = declare("stock.received", action="create", target="stock_batch", meaning="a new batch received")
STOCK_TOPPED_UP = declare(
    "stock.topped_up", action="update", target="stock_batch", meaning="more of a known batch received"
)
STOCK_ADJUSTED = declare(
    "stock.adjusted", action="update", target="stock_batch", meaning="a batch's count corrected, with the reason"
)
STOCK_DEDUCTED = declare(
    "stock.deducted", action="update", target="stock_batch", meaning="stock taken from a batch for a pickup"
)
CAMP_CLOSED = declare("camp.closed", action="update", target="camp", scope=("camp_id",), meaning="a camp closed")
USER_PASSWORD_CHANGED = declare(
    "user.password_changed", action="update", target="user", meaning="a password changed, however it was saved"
)
USER_PASSWORD_REHASHED = declare(
    "user.password_rehashed", action="update", target="user", meaning="a stored hash upgraded at sign-in"
)
USER_ROLE_ASSIGNED = declare("user.role_assigned", action="update", target="user", meaning="a role granted")
USER_ROLE_REMOVED = declare("user.role_removed", action="update", target="user", meaning="a role taken away")

# --- reads ------------------------------------------------------------------------------------
EVENTS.family(Kind.VIEWED, types=(*IN_ADMIN, "audit_event"), action="read", meaning="one {type} read")
EVENTS.family(
    Kind.LIST_VIEWED,
    types=(*IN_ADMIN, "audit_event"),
    action="read",
    targeted=False,
    meaning="a list of {type} records read, with its filters and count",
)
EVENTS.family(
    Kind.SEARCHED,
    types=(*IN_ADMIN, "audit_event"),
    action="read",
    targeted=False,
    meaning="a search of {type} records, with its query (masked where it may be a phone number) and count",
)
EVENTS.family(Kind.HISTORY_VIEWED, types=IN_ADMIN, action="read", meaning="a {type}'s History page in admin")
PATIENT_STATUS_VIEWED = declare(
    "patient.status_viewed", action="read", target="visit", scope=VISIT, meaning="a patient's status at a camp read"
)
PATIENT_VITALS_VIEWED = declare(
    "patient.vitals_viewed", action="read", target="patient", scope=VISIT, meaning="a patient's vitals history read"
)
PATIENT_CONSULTATIONS_VIEWED = declare(
    "patient.consultations_viewed",
    action="read",
    target="patient",
    scope=VISIT,
    meaning="a patient's consultations read",
)
QUEUE_VIEWED = declare(
    "queue.viewed", action="read", scope=("patient_id",), meaning="a queue read: all, one doctor's or one patient's"
)
VISIT_PICKUP_VIEWED = declare(
    "visit.pickup_viewed", action="read", target="visit", scope=VISIT, meaning="what a visit has to pick up, read"
)
VISIT_SLIP_VIEWED = declare(
    "visit.slip_viewed", action="read", target="visit", scope=VISIT, meaning="a visit's printable slip opened"
)
REPORT_VIEWED = declare(
    "report.viewed",
    action="read",
    scope=("camp_id",),
    meaning="a camp report or a range report read (aggregates only): the camp or the range, the door",
)
REPORT_EXPORTED = declare(
    "report.exported",
    action="read",
    scope=("camp_id",),
    meaning="a report exported: `format` (csv, xlsx or print), the camp or the range",
)
AUDIT_EXPORTED = declare("audit.exported", action="read", meaning="audit events exported as CSV, with the filters")

# --- doors ------------------------------------------------------------------------------------
AUTH_LOGIN = declare(
    "auth.login",
    action="login",
    target="user",
    outcomes=EITHER,
    meaning="a sign-in, API or admin: success, `invalid_credentials` (username in `details`) or `throttled`",
)
AUTH_LOGOUT = declare(
    "auth.logout", action="logout", target="user", outcomes=EITHER, meaning="a sign-out, API or admin, or its refusal"
)
AUTH_TOKEN_REJECTED = declare(
    "auth.token_rejected",
    action="login",
    outcomes=FAILURE,
    meaning="an access token refused; the reason says why (expired, invalid, revoked, ...)",
)
REQUEST_REPLAYED = declare(
    "request.replayed",
    action="execute",
    meaning="a write retried with its Idempotency-Key, answered from the stored answer; nothing ran",
)
REQUEST_FAILED = declare(
    "request.failed", action="execute", outcomes=FAILURE, meaning="an internal error (500); the request is named"
)
AUDIT_SEALED = declare(
    "audit.sealed", action="execute", meaning="a checkpoint: events up to `seq` sealed into the hash chain"
)
RECORD_CHANGED_OUTSIDE_AUDIT = declare(
    "record.changed_outside_audit",
    action="update",
    scope=VISIT,
    meaning="a record differs from its latest history row: changed outside the audited path; `changes` old and new",
)
RECORD_CREATED_OUTSIDE_AUDIT = declare(
    "record.created_outside_audit",
    action="create",
    scope=VISIT,
    meaning="a record with no history row at all: created outside the audited path; `fields` its values",
)
RECORD_DELETED_OUTSIDE_AUDIT = declare(
    "record.deleted_outside_audit",
    action="delete",
    scope=VISIT,
    meaning="a record whose history says it exists is gone: deleted outside the audited path",
)
AUDIT_FORGERY_DETECTED = declare(
    "audit.forgery_detected",
    action="execute",
    outcomes=FAILURE,
    target="audit_event",
    meaning="an alarm: a stored event's MAC does not verify (inserted or edited in the database); not sealed",
)
AUDIT_CHAIN_REWRITTEN = declare(
    "audit.chain_rewritten",
    action="execute",
    outcomes=FAILURE,
    meaning="an alarm: the chain's head went back or changed since the last checkpoint; sealing stopped",
)
AUDIT_CHAIN_RESTORED = declare(
    "audit.chain_restored",
    action="execute",
    meaning="an operator accepted the chain's head after restoring a backup (audit_seal --restored)",
)
AUDIT_REPLAY_DETECTED = declare(
    "audit.replay_detected",
    action="execute",
    outcomes=FAILURE,
    target="audit_event",
    meaning="an alarm: a stored row repeats an event id already stored (a replayed or copied row); not sealed",
)
AUDIT_CLOCK_SKEW = declare(
    "audit.clock_skew",
    action="execute",
    outcomes=EITHER,
    meaning="this server's clock differs from the database's beyond AUDIT_CLOCK_TOLERANCE (failure), or agrees again",
)
AUDIT_SHIP_REFUSED = declare(
    "audit.ship_refused",
    action="execute",
    outcomes=FAILURE,
    meaning="an alarm: LogBull refused a batch of sealed events; the cursor holds at `seq` until it is delivered",
)
AUDIT_WITNESSED = declare("audit.witnessed", action="execute", meaning="a checkpoint signed with the witness key")
AUDIT_ROLLED_BACK = declare(
    "audit.rolled_back",
    action="read",
    meaning="an operator listed the events a restore rolled back (audit_rolled_back): only files or LogBull hold them",
)

# --- refusals: the attempted action, outcome failure, reason the error code -------------------
# Each API resource (a ViewSet's `audit_resource`) and each admin-served record type can refuse
# any method it is sent (a 405 too): read (GET), create (POST), update (PUT, PATCH),
# delete (DELETE), execute (anything else).
API_RESOURCES: tuple[str, ...] = (
    "patient",
    "visit",
    "patient_status",
    "vitals",
    "camp",
    "medicine",
    "stock_batch",
    "queue",
)
API_RESOURCES += ("queue_entry", "consultation", "counselling", "prescription", "dispense", "pickup", "user")
API_RESOURCES += ("user_role", "auth", "health", "request", "report")  # `request`: a view that names no resource
for verb in (Kind.READ, Kind.CREATE, Kind.UPDATE, Kind.DELETE, "execute"):
    for resource in dict.fromkeys((*API_RESOURCES, *SERVED_IN_ADMIN)):
        declare(
            f"{resource}.{verb}",
            action=verb,
            outcomes=FAILURE,
            scope=VISIT,
            meaning=f"a refused {verb} of {resource.replace('_', ' ')}; the target is the record the request names",
        )
AUTH_REFRESH = declare("auth.refresh", action="execute", outcomes=FAILURE, meaning="a refused token refresh")
EVENTS.family(
    Kind.REVERT,
    types=IN_ADMIN,
    action="update",
    outcomes=FAILURE,
    meaning="a revert through a {type}'s History page, always refused (`history_is_read_only`)",
)

# Named here for the few places that emit them directly (tests and benchmarks).
PATIENT_VIEWED = EVENTS.of("patient", Kind.VIEWED)
PATIENT_UPDATED = EVENTS.of("patient", Kind.UPDATED)
