"""`request.replayed`: a retried write answered from its stored answer (core/idempotency.py).

Nothing ran and nothing changed, so there is no change event; this one says who retried
what, and which answer they got again.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from audit import event_types as E
from audit.events import emit
from core.idempotency import replayed


@receiver(replayed)
def log_replay(sender: Any, answer: Any, **kwargs: Any) -> None:
    emit(
        E.REQUEST_REPLAYED,
        source="route",
        details={
            "method": answer.method,
            "path": answer.path,
            "status": answer.status,
            "first_answered_at": answer.created_at.isoformat(),
        },
        message=f"answered a retried {answer.method} {answer.path} with its stored answer ({answer.status})",
    )
