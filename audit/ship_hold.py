"""Sealed events LogBull refused: never skipped, the cursor holds before the first of them.

LogBull refuses an item for good inside a 202 (`errors`: a timestamp in the future, an item
too large...) or, alone, with a 400/413 (audit.logbull_wire splits a refused batch down to the
item at fault). The shipper (audit.shipper.LogBullShipper) keeps sending the events after a
refused one, so one bad event never blocks the others, but its cursor (`audit.ShipCursor`)
stays before the first refused event, so nothing is skipped: the refused events are sent
again after a backoff (doubling up to LOGBULL_MAX_BACKOFF) until LogBull takes them (the
clock of the server that wrote them caught up, LogBull was fixed), and then the cursor moves.
`audit.ship_refused` (CRITICAL) is logged once per cause while refusals last, not per pass;
GET health/ fails its `audit` check meanwhile (audit.health).

What is held lives in this process: a restarted process starts again from the cursor and sends
the events after it once more (at least once; `event_id` identifies a repeat).
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from audit import event_types as E
from audit.events import alarm

LIMIT = 10_000  # refused events held in memory; past this, nothing newer is sent until some clear

_holds: weakref.WeakSet[Hold] = weakref.WeakSet()
_lock = threading.Lock()


class Hold:
    def __init__(self, max_backoff: float) -> None:
        self.max_backoff = max_backoff
        self.held: dict[int, tuple[str, str]] = {}  # seq -> (event_id, why LogBull refused it)
        self.front = 0  # the highest seq this process sent (taken or held)
        self.alarmed: set[str] = set()  # causes alarmed while refusals last
        self.backoff = 0.0
        self.retry_at = 0.0
        with _lock:
            _holds.add(self)

    def cursor(self) -> int:
        """Where the shared cursor may stand: before the first refused event, else after all sent."""
        return min(self.held) - 1 if self.held else self.front

    def sync(self, stored: int) -> None:
        """The stored cursor moved without us (another process shipped): start from it."""
        if stored != self.cursor():
            self.held, self.front, self.alarmed = {}, stored, set()

    def due(self) -> list[int]:
        """The held seqs to send again now (after the backoff), oldest first."""
        if not self.held or time.monotonic() < self.retry_at:
            return []
        return sorted(self.held)[:1000]

    def room(self) -> bool:
        return len(self.held) < LIMIT

    def settle(self, sent: list[tuple[int, str]], refused: dict[str, str]) -> int:
        """After LogBull answered (seq, event_id) of each sent event, `refused` by event id:
        hold the refused, release the taken; returns how many LogBull took."""
        retried = any(seq in self.held for seq, _ in sent)
        taken = 0
        for seq, event_id in sent:
            self.front = max(self.front, seq)
            if event_id in refused:
                self.held[seq] = (event_id, refused[event_id])
            else:
                self.held.pop(seq, None)
                taken += 1
        if refused:
            self.backoff = min(self.max_backoff, max(0.5, self.backoff * 2) if retried else 0.5)
            self.retry_at = time.monotonic() + self.backoff
            self._alarm(refused)
        elif not self.held:
            self.backoff, self.retry_at, self.alarmed = 0.0, 0.0, set()
        return taken

    def state(self) -> dict[str, Any] | None:
        if not self.held:
            return None
        first = min(self.held)
        return {"held": len(self.held), "first_seq": first, "causes": sorted({why for _, why in self.held.values()})}

    def _alarm(self, refused: dict[str, str]) -> None:
        for cause in sorted(set(refused.values()) - self.alarmed):
            self.alarmed.add(cause)
            count = sum(1 for _, why in self.held.values() if why == cause)
            seq, (event_id, _) = min((s, held) for s, held in self.held.items() if held[1] == cause)
            alarm(
                E.AUDIT_SHIP_REFUSED,
                "logbull_refused",
                f"LogBull refused {count} sealed events ({cause}); the ship cursor holds "
                f"before seq {seq} and they are sent again until LogBull takes them",
                details={"seq": seq, "event_id": event_id, "refused": count, "cause": cause},
            )


def refusing() -> dict[str, Any] | None:
    """What LogBull refuses from this process's shippers (None when nothing is held)."""
    with _lock:
        states = [state for hold in list(_holds) if (state := hold.state()) is not None]
    if not states:
        return None
    return {
        "held": sum(s["held"] for s in states),
        "first_seq": min(s["first_seq"] for s in states),
        "causes": sorted({cause for s in states for cause in s["causes"]}),
    }
