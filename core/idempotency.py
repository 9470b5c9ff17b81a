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

Every write, keyed or not, runs in one transaction with the building of its answer (the
view's serializer data and the rendering), so a write never commits under an error answer:
any error before the answer rolls it all back, a refusal (4xx) and a busy database (503)
alike. What a refusal must leave behind, its audit events, is kept by `keep_if_refused`:
run after the rollback (a keyed refusal: its handler ran in a savepoint, rolled back, and the
events are stored with its answer). In production that is one transaction in place of the
service's own, whose `atomic` becomes one SAVEPOINT pair inside it (a keyed write's handler
adds one more pair).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.dispatch import Signal
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request

from core.error_codes import ErrorCode
from core.errors import Conflict, DomainError
from core.models import IdempotentAnswer

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LIFETIME = timedelta(hours=24)
KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}

replayed = Signal()  # sender=IdempotentAnswer, answer=<IdempotentAnswer>
PRUNE_EVERY = 300
# What the write running now keeps should it be refused (None outside a write's transaction).
_KEPT: ContextVar[list[Callable[[], Any]] | None] = ContextVar("medcamp_kept_if_refused", default=None)


def keep_if_refused(keep: Callable[[], Any]) -> bool:
    """Run `keep` after this write's transaction rolls back, should the write be refused (4xx).

    False outside a write's transaction (a read, a command): the caller does it now. Dropped
    when the write commits (what it kept committed with it) or fails with a 5xx.
    """
    kept = _KEPT.get()
    if kept is None:
        return False
    kept.append(keep)
    return True


class ThisProcess:
    """What one process keeps between requests: the keys its requests hold, and when it last pruned."""

    def __init__(self) -> None:
        self.held: set[tuple[int, str]] = set()
        self.lock = threading.Lock()
        self.pruned_at = -float(PRUNE_EVERY)

    def hold(self, user_id: int, key: str) -> bool:
        with self.lock:
            if (user_id, key) in self.held:
                return False
            self.held.add((user_id, key))
            return True

    def release(self, user_id: int, key: str) -> None:
        with self.lock:
            self.held.discard((user_id, key))

    def prune_due(self) -> bool:
        """True at most once per PRUNE_EVERY seconds (one query saved on every other write)."""
        now = time.monotonic()
        with self.lock:
            if now - self.pruned_at < PRUNE_EVERY:
                return False
            self.pruned_at = now
            return True


PROCESS = ThisProcess()


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
        if not PROCESS.hold(self.user_id, self.key):
            raise _in_progress()
        if connection.vendor == "postgresql" and not _try_database_lock(self.user_id, self.key):
            self.release()
            raise _in_progress()

    def release(self) -> None:
        PROCESS.release(self.user_id, self.key)

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
        if PROCESS.prune_due():  # expired answers
            IdempotentAnswer.objects.filter(created_at__lt=timezone.now() - LIFETIME).delete()


def claim(request: Request) -> Claim | HttpResponse:
    """Hold the request's key, or return its stored answer; 409 or 422 are raised."""
    key = request.headers[HEADER]
    if not (1 <= len(key) <= 255 and all("!" <= char <= "~" for char in key)):
        raise DomainError(
            _("%(header)s must be 1 to 255 visible ASCII characters."),
            params={"header": HEADER},
            fields={HEADER: [_("1 to 255 visible ASCII characters (no spaces).")]},
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
            _("This %(header)s was used for another request; send a new key for a new request."),
            params={"header": HEADER},
            code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
        )
    replayed.send(sender=IdempotentAnswer, answer=answer)
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    response[REPLAYED_HEADER] = "true"
    return response


def _in_progress() -> Conflict:
    return Conflict(
        _("A request with this %(header)s is still running; retry in a moment for its answer."),
        params={"header": HEADER},
        code=ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS,
    )


def _try_database_lock(user_id: int, key: str) -> bool:
    """A transaction-scoped advisory lock on (user, key): released when the write commits or rolls back."""
    number = int.from_bytes(hashlib.sha256(f"{user_id}:{key}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [number])
        return bool(cursor.fetchone()[0])


class Idempotent:
    """Mixed into an API view (before APIView): each write runs as one transaction, keyed ones as above.

    A view that must do slow work before its writes begin (login's password hash, which would
    hold SQLite's write lock) sets `one_transaction = False` and opens its own.
    """

    held_key: Claim | None = None
    one_transaction = True

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.method not in WRITES or not self.one_transaction:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        block = transaction.atomic()  # the write and its answer (and a keyed answer's storing) commit together
        try:
            block.__enter__()
        except DatabaseError:  # no transaction opens (the database is down): the view's handler answers 503
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        kept: list[Callable[[], Any]] = []
        token = _KEPT.set(kept)
        try:
            with _entered(block):
                response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
                if callable(getattr(response, "render", None)):
                    response.render()  # the answer's last queries run here too, never after the commit
                refused = bool(getattr(response, "exception", False))  # DRF's handler answered an error
                if refused and response.status_code < 500 and self.held_key is not None:
                    _KEPT.set(None)  # its handler's savepoint rolled back; the key stays held
                    _run(kept)  # in the transaction that stores the refusal as the key's answer
                elif refused:
                    transaction.set_rollback(True)  # a refusal or a busy database: nothing of it commits
                if self.held_key is not None and response.status_code < 500:
                    self.held_key.keep(response)
        finally:
            _KEPT.reset(token)
            if self.held_key is not None:
                self.held_key.release()
        if refused and response.status_code < 500:
            _run(kept)  # after the rollback, in autocommit
        return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if keyed(request) and request.user.is_authenticated and self.one_transaction:
            held = claim(request)
            if isinstance(held, Claim):
                self.held_key = held
                method = (request.method or "").lower()
                if hasattr(self, method):  # its own savepoint: a refusal rolls back all it wrote
                    setattr(self, method, transaction.atomic(getattr(self, method)))
            else:  # a repeat: this request's handler answers with the stored answer, nothing runs
                setattr(self, (request.method or "").lower(), _answer(held))


@contextmanager
def _entered(block: Any) -> Iterator[None]:
    """An atomic block already entered, left as `with` would leave it."""
    try:
        yield
    except BaseException as exc:
        if not block.__exit__(type(exc), exc, exc.__traceback__):
            raise
    else:
        block.__exit__(None, None, None)


def _run(kept: list[Callable[[], Any]]) -> None:
    while kept:
        kept.pop(0)()


def _answer(response: HttpResponse) -> Any:
    """A handler (as DRF's dispatch calls it after `initial`) that returns `response`."""

    def handler(request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        return response

    return handler
