"""Every `code` an error answer can carry, declared once with its HTTP status and meaning.

Services raise `DomainError(detail, code=ErrorCode.X)`: the status comes from the code. DRF's
and simplejwt's own exceptions answer with their default codes, which are declared here too,
so every error answer names a member of this catalogue (the schema's `code` enum is built from
it, and the suite checks every answer it receives against that schema). docs/api.md's table of
codes is generated from it (`manage.py catalogue_docs`).
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """A machine code of the error shape; `status` is the HTTP status it answers with."""

    status: int
    meaning: str

    def __new__(cls, value: str, status: int, meaning: str) -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        member.meaning = meaning
        return member

    # Input
    INVALID = "invalid", 400, "a field, parameter or header is invalid; `fields` names each one"
    PARSE_ERROR = "parse_error", 400, "the body is not well-formed JSON"
    BODY_TOO_DEEP = "body_too_deep", 400, "the JSON body nests arrays and objects more than 32 deep"
    BODY_TOO_LARGE = "body_too_large", 413, "the body is larger than 1 MiB (any route, admin forms too)"
    LENGTH_REQUIRED = "length_required", 411, "a body sent without a Content-Length (`Transfer-Encoding: chunked`)"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", 415, "the body is not JSON"
    NOT_ACCEPTABLE = "not_acceptable", 406, "the client accepts no format the API answers in"
    METHOD_NOT_ALLOWED = "method_not_allowed", 405, "the path does not take this HTTP method"
    NEGATIVE_STOCK = "negative_stock", 400, "an adjustment would take a batch below zero"
    BATCH_EXPIRED = "batch_expired", 400, "a batch received past its expiry date"
    # Who may ask
    NOT_AUTHENTICATED = "not_authenticated", 401, "no credentials: sign in and send the access token"
    AUTHENTICATION_FAILED = "authentication_failed", 401, "the credentials sent were refused"
    BAD_AUTHORIZATION_HEADER = (
        "bad_authorization_header",
        401,
        "the Authorization header is not `Bearer <access token>` (no token, extra words, another scheme)",
    )
    INVALID_CREDENTIALS = "invalid_credentials", 401, "wrong username or password"
    TOKEN_EXPIRED = "token_expired", 401, "the token has expired: refresh it or sign in again"
    TOKEN_INVALID = "token_invalid", 401, "the token is malformed, its signature is wrong, or it was revoked"
    TOKEN_NOT_VALID = "token_not_valid", 401, "simplejwt's refusal of a token it cannot read"
    TOKEN_MISSING_USER_CLAIM = "token_missing_user_claim", 401, "the token names no user"
    TOKEN_REVOKED = "token_revoked", 401, "the password changed after the token was issued"
    USER_NOT_FOUND = "user_not_found", 401, "the token's user no longer exists"
    USER_INACTIVE = "user_inactive", 401, "the token's user is deactivated"
    PERMISSION_DENIED = "permission_denied", 403, "the user's roles do not allow this"
    NOT_YOUR_PATIENT = "not_your_patient", 403, "a doctor acted on another doctor's queue entry or consultation"
    REFRESH_TOKEN_NOT_OWNED = "refresh_token_not_owned", 403, "signing out with another user's refresh token"
    THROTTLED = "throttled", 429, "too many attempts; `Retry-After` says when to try again"
    # What is named
    NOT_FOUND = "not_found", 404, "no such record or endpoint"
    PAGE_NOT_FOUND = "page_not_found", 404, "a page past the last of a list"
    CAMP_NOT_FOUND = "camp_not_found", 404, "the body names a camp that does not exist"
    VISIT_NOT_FOUND = "visit_not_found", 404, "the body or query names a visit that does not exist"
    UNKNOWN_ROLE = "unknown_role", 404, "no role has that name"
    # Domain rules
    DUPLICATE_PATIENT = "duplicate_patient", 409, "the book number belongs to another patient (`existing_id`)"
    DUPLICATE_VISIT = "duplicate_visit", 409, "the patient is already registered for that camp (`existing_id`)"
    DUPLICATE_MEDICINE = "duplicate_medicine", 409, "the medicine is in the catalogue already (`existing_id`)"
    CAMP_CLOSED = "camp_closed", 409, "the camp is closed to registrations"
    VISIT_CLOSED = "visit_closed", 409, "the visit is completed or cancelled"
    VITALS_EXIST = "vitals_exist", 409, "the visit's vitals are recorded; correct them instead"
    ALREADY_QUEUED = "already_queued", 409, "the visit already waits for that doctor"
    CONSULTATION_EXISTS = "consultation_exists", 409, "the queue entry's consultation is open already"
    INVALID_TRANSITION = "invalid_transition", 409, "the status cannot move that way (`from`, `to`)"
    PRESCRIPTION_REPLACED = "prescription_replaced", 409, "the prescription was replaced: it is final"
    PRESCRIPTION_DELETED = "prescription_deleted", 409, "the prescription was withdrawn: it is final"
    PRESCRIPTION_DISPENSED = "prescription_dispensed", 409, "the prescription was dispensed, even in part: it is final"
    PRESCRIPTION_NOT_IN_VISIT = "prescription_not_in_visit", 409, "a pickup names another visit's prescription"
    QUANTITY_EXCEEDS_PRESCRIPTION = "quantity_exceeds_prescription", 409, "more asked than remains to hand over"
    INSUFFICIENT_STOCK = "insufficient_stock", 409, "not enough unexpired stock (`available`)"
    STOCK_EXPIRED = "stock_expired", 409, "only expired batches hold the medicine"
    BATCH_CONFLICT = "batch_conflict", 409, "the batch number exists with another expiry date"
    ROLE_ALREADY_ASSIGNED = "role_already_assigned", 409, "the user has that role already"
    ROLE_NOT_ASSIGNED = "role_not_assigned", 409, "the user does not have that role"
    IDEMPOTENCY_KEY_IN_PROGRESS = "idempotency_key_in_progress", 409, "a request with this key is still running"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused", 422, "the key came with another request"
    # Not the caller's doing
    SERVER_ERROR = "server_error", 500, "an internal error; the event was logged"
    DATABASE_UNAVAILABLE = "database_unavailable", 503, "the database cannot be reached; `Retry-After` says when to try"
    DATABASE_BUSY = (
        "database_busy",
        503,
        "a lock or statement waited too long, or the request ran out of time: nothing was written; "
        "`Retry-After` says when to try",
    )
    # Refusals only Django admin gives (never an API answer)
    HISTORY_IS_READ_ONLY = "history_is_read_only", 403, "a revert through a History page (admin)"


def table() -> str:
    """docs/api.md's table of codes, as Markdown."""
    lines = ["| code | status | meaning |", "|---|---|---|"]
    lines += [f"| `{code}` | {code.status} | {code.meaning} |" for code in ErrorCode]
    return "\n".join(lines)
