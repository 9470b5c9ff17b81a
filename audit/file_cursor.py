"""The file shipper's cursor (`<file>.shipped`): the seq shipped to, with its seal's hash, so a restore is noticed.

After a backup is restored over a newer database, the chain ends below the cursor, or holds
other seals at its seq once sealing resumes; a cursor of seq alone would skip every seal
re-made after the restore, and the file would never get those events. So the cursor keeps
the hash of the seal it reached, and a few earlier (seq, hash) marks, denser near the
cursor (one per power of two of distance). When the chain no longer holds the cursor's
hash, shipping goes back to the newest mark the chain still holds (the chain agrees there
with what was shipped); events the file already has are not written again (the shipper
skips event ids the file holds).

    {"seq": 3631, "hash": "ab12...", "marks": [[3630, "..."], [3629, "..."], [3627, "..."], ...]}
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from audit.models import AuditSeal

_logger = logging.getLogger(__name__)
Mark = tuple[int, str]


def _hashes(seqs: list[int]) -> dict[int, str]:
    return dict(AuditSeal.objects.filter(seq__in=seqs).values_list("seq", "hash"))


def thinned(marks: list[Mark], seq: int) -> list[Mark]:
    """At most one mark per power of two of distance below `seq` (the newest of each), newest first."""
    kept: dict[int, Mark] = {}
    for mark in sorted(set(marks), reverse=True):
        if mark[0] <= seq:
            kept.setdefault((seq - mark[0]).bit_length(), mark)
    return sorted(kept.values(), reverse=True)


class FileCursor:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> tuple[int, str, list[Mark]]:
        try:
            state = json.loads(self.path.read_text())
            marks = [(int(s), str(h)) for s, h in state.get("marks", [])]
            return int(state["seq"]), str(state.get("hash") or ""), marks
        except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError):
            return 0, "", []

    def load(self) -> int:
        """The seq to ship after: the saved one, or, when the chain changed under it, the newest mark it holds."""
        seq, digest, marks = self._read()
        if seq == 0 or not digest:
            return seq  # nothing shipped yet, or a cursor saved before it kept a hash
        if _hashes([seq]).get(seq) == digest:
            return seq
        chain = _hashes([s for s, _ in marks])
        back = next((s for s, h in marks if s < seq and chain.get(s) == h), 0)
        _logger.warning(
            "audit file %s: the chain no longer holds seq %s as shipped (a restored backup?); shipping after seq %s",
            self.path,
            seq,
            back,
        )
        self.save(back, [m for m in marks if m[0] <= back])
        return back

    def save(self, seq: int, marks: list[Mark] | None = None) -> None:
        """Move the cursor to `seq`; the seq it leaves becomes a mark."""
        old_seq, old_hash, old_marks = self._read()
        if marks is None:
            marks = [*old_marks, (old_seq, old_hash)] if old_hash else old_marks
        digest = _hashes([seq]).get(seq, "") if seq else ""
        state = {"seq": seq, "hash": digest, "marks": [list(m) for m in thinned(marks, seq)]}
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps(state))
        os.replace(partial, self.path)
