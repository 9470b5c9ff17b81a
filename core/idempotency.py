"""Idempotent retries: an `Idempotency-Key` on a signed-in POST, PUT, PATCH or DELETE (api.md).

The first request with a key runs in one transaction with the storing of its answer (status
and body; refusals too, server errors never, since they roll back), so a write and its
answer commit together or not at all. While it runs, the key is held: a lock on the
database on PostgreSQL (`pg_try_advisory_xact_lock`, released by the commit, so it holds
across app servers), and a lock in the process on SQLite (which a camp runs as one
process). A repeat then gets:

- the stored answer, with `Idempotent-Replayed: true`, when it is the same request
  (method, path, query string and body) by the same user within 24 hours; nothing runs,
  and `replayed` is sent (the audit app logs `request.replayed`);
- 422 `idempotency_key_reused` when the key came with another request;
- 409 `idempotency_key_in_progress` while the first is still running.

Keys are per user. Without the header nothing changes. Login and refresh take no key: they
write no record and their answers hold tokens, which are never stored.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.dispatch import Signal
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.request import Request

from core.errors import Conflict, DomainError
from core.models import IdempotentAnswer

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LIFETIME = timedelta(hours=24)
KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}

replayed = Signal()  # sender=IdempotentAnswer, answer=<IdempotentAnswer>
_running: set[tuple[int, str]] = set()  # keys held in this process
_running_lock = threading.Lock()
PRUNE_EVERY = 300
_pruned_at = -float(PRUNE_EVERY)


class Replay(Exception):
    """Leaves DRF's `initial()` with the stored answer, which `handle_exception` returns as it is."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def keyed(request: Any) -> bool:
    return request.method in WRITES and HEADER in request.headers


class Claim:
    """A key held for one request, until its transaction ends."""

    def __init__(self, request: Request, key: str) -> None:
        assert request.user.pk is not None  # Idempotent.initial claims for signed-in users only
        self.user_id: int = request.user.pk
        self.key = key
        self.method = request.method or ""
        self.path = request.path
        raw = request._request
        digest = hashlib.sha256(f"{self.method}\n{raw.get_full_path()}\n".encode())
        digest.update(raw.body)
        self.fingerprint = digest.hexdigest()

    def hold(self) -> None:
        with _running_lock:
            if (self.user_id, self.key) in _running:
                raise _in_progress()
            _running.add((self.user_id, self.key))
        if connection.vendor == "postgresql" and not _try_database_lock(self.user_id, self.key):
            self.release()
            raise _in_progress()

    def release(self) -> None:
        with _running_lock:
            _running.discard((self.user_id, self.key))

    def earlier(self) -> IdempotentAnswer | None:
        found = IdempotentAnswer.objects.filter(user_id=self.user_id, key=self.key).first()
        if found is not None and found.created_at < timezone.now() - LIFETIME:
            found.delete()  # expired: the key is free again
            return None
        return found

    def keep(self, response: Any) -> None:
        """Store the answer with the write, in its transaction; server errors are never stored."""
        if response.status_code >= 500:
            return
        if hasattr(response, "render"):
            response.render()
        IdempotentAnswer.objects.create(
            user_id=self.user_id,
            key=self.key,
            method=self.method,
            path=self.path,
            fingerprint=self.fingerprint,
            status=response.status_code,
            content_type=response.get("Content-Type", "application/json"),
            body=response.content.decode(),
            created_at=timezone.now(),
        )
        _prune()


def _prune() -> None:
    """Delete expired answers, at most once per PRUNE_EVERY seconds per process (one query saved per write)."""
    global _pruned_at
    now = time.monotonic()
    if now - _pruned_at >= PRUNE_EVERY:
        _pruned_at = now
        IdempotentAnswer.objects.filter(created_at__lt=timezone.now() - LIFETIME).delete()


def claim(request: Request) -> Claim:
    """Hold the request's key, or leave with its stored answer (Replay), 409 or 422."""
    key = request.headers[HEADER]
    if not (1 <= len(key) <= 255 and all("!" <= char <= "~" for char in key)):
        raise DomainError(
            f"{HEADER} must be 1 to 255 visible ASCII characters.",
            fields={HEADER: ["1 to 255 visible ASCII characters (no spaces)."]},
        )
    held = Claim(request, key)
    held.hold()
    try:
        answer = held.earlier()
    except BaseException:
        held.release()
        raise
    if answer is None:
        return held
    held.release()
    if answer.fingerprint != held.fingerprint:
        raise DomainError(
            f"This {HEADER} was used for another request; send a new key for a new request.",
            code="idempotency_key_reused",
            status_code=422,
        )
    replayed.send(sender=IdempotentAnswer, answer=answer)
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    response[REPLAYED_HEADER] = "true"
    raise Replay(response)


def _in_progress() -> Conflict:
    return Conflict(
        f"A request with this {HEADER} is still running; retry in a moment for its answer.",
        code="idempotency_key_in_progress",
    )


def _try_database_lock(user_id: int, key: str) -> bool:
    """A transaction-scoped advisory lock on (user, key): released when the write commits or rolls back."""
    number = int.from_bytes(hashlib.sha256(f"{user_id}:{key}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [number])
        return bool(cursor.fetchone()[0])


class Idempotent:
    """Mixed into an API view (before APIView): keyed writes run as described above."""

    _claim: Claim | None = None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not keyed(request):
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        try:
            with transaction.atomic():  # the write and its stored answer commit together
                response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
                if self._claim is not None:
                    self._claim.keep(response)
            return response
        finally:
            if self._claim is not None:
                self._claim.release()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if keyed(request) and request.user.is_authenticated:
            self._claim = claim(request)

    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, Replay):
            return exc.response
        return super().handle_exception(exc)  # type: ignore[misc]
