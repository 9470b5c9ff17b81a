"""The outside witness: each chain checkpoint signed with an Ed25519 key the database never sees.

Anyone holding the chain key (it is in the app's settings) can recompute the chain and rewrite
the `audit.sealed` checkpoints of the local JSONL file to match. A signed checkpoint they cannot
rewrite: the witness key (AUDIT_WITNESS_KEY_FILE, a PEM file only the app's system user reads) is
neither the chain key nor anything the database holds, and an auditor pins its public key
(AUDIT_WITNESS_PUBLIC_KEY). After each sealing pass `publish` appends one signed line to
AUDIT_WITNESS_FILE (fsynced) and logs `audit.witnessed` to the file and LogBull (not the store);
the auditor copies the witness file off the machine and runs `audit_verify --witness COPY`.

A line: `{"kind", "seq", "head_hash", "time", "key_id", "signature"}`; the signature (base64)
is Ed25519 over `MESSAGE_PREFIX` + the canonical JSON of the other five. `kind` is `sealed`, or
`restored` when an operator accepted the head after restoring a backup: checkpoints beyond a
restored seq, signed before it, were rolled back by that restore and are no longer compared.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from audit import event_types as E
from audit.events import emit, now_iso
from core.metrics import SINK_FAILED, SINK_WRITTEN

Checkpoint = tuple[int, str]
KINDS = ("sealed", "restored")
SIGNED = ("kind", "seq", "head_hash", "time", "key_id")
MESSAGE_PREFIX = b"medcamp audit witness v1\n"
# Files of a witness directory: x.jsonl, its rotated copies x.jsonl.1, x.jsonl-20260101, and gzipped ones.
_WITNESS_NAME = re.compile(r"\.jsonl([.-]\d+)?(\.gz)?$")
_logger = logging.getLogger(__name__)
_loaded: dict[tuple[str, int], Ed25519PrivateKey] = {}


# --- keys -------------------------------------------------------------------------------------
def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_text(key: Ed25519PublicKey) -> str:
    """The public key as an auditor pins it: base64 of its raw 32 bytes."""
    return base64.b64encode(raw_public(key)).decode("ascii")


def key_id(key: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex digits of SHA-256 over its raw bytes."""
    return hashlib.sha256(raw_public(key)).hexdigest()[:16]


def public_key_from(text: str) -> Ed25519PublicKey:
    """A pinned public key: its raw 32 bytes as base64 (what audit_witness_key prints) or as 64 hex digits."""
    text = text.strip()
    try:
        raw = bytes.fromhex(text) if re.fullmatch(r"[0-9a-fA-F]{64}", text) else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"not a witness public key (base64 or hex of 32 bytes): {text!r}") from exc
    if len(raw) != 32:
        raise ValueError(f"a witness public key is 32 bytes, this one is {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def load_private(path: Path) -> Ed25519PrivateKey:
    """The witness key of a PEM file (read again only when the file changes)."""
    cache = (str(path), path.stat().st_mtime_ns)
    if cache not in _loaded:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} holds no Ed25519 private key")
        _loaded.clear()
        _loaded[cache] = key
    return _loaded[cache]


def new_key_file(path: Path) -> Ed25519PrivateKey:
    """Write a new witness key to `path` (PKCS#8 PEM, mode 0600); an existing file is never overwritten."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # O_EXCL: refuse an existing file
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, pem)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return key


# --- signing ----------------------------------------------------------------------------------
def message(entry: dict[str, Any]) -> bytes:
    signed = {name: entry[name] for name in SIGNED}
    return MESSAGE_PREFIX + json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign(key: Ed25519PrivateKey, kind: str, seq: int, head_hash: str, time: str) -> dict[str, Any]:
    """A witness line for one checkpoint."""
    if kind not in KINDS:
        raise ValueError(f"a witnessed checkpoint is one of {KINDS}, not {kind!r}")
    entry: dict[str, Any] = {
        "kind": kind,
        "seq": int(seq),
        "head_hash": head_hash,
        "time": time,
        "key_id": key_id(key.public_key()),
    }
    entry["signature"] = base64.b64encode(key.sign(message(entry))).decode("ascii")
    return entry


def publish(seq: int, head_hash: str, kind: str = "sealed") -> dict[str, Any] | None:
    """Sign a checkpoint, append it to AUDIT_WITNESS_FILE and log `audit.witnessed`; None when off or failed.

    Sealing never fails because of the witness: a key or file that fails is logged as a warning
    and counted (`medcamp_audit_sink_failed_total{sink="witness"}`).
    """
    configured: str = settings.AUDIT_WITNESS_KEY_FILE
    if not configured:
        return None
    try:
        entry = sign(load_private(Path(configured)), kind, seq, head_hash, now_iso())
        _append(Path(settings.AUDIT_WITNESS_FILE), json.dumps(entry, sort_keys=True) + "\n")
    except Exception as exc:  # whatever the key file or the disk does, sealing goes on
        SINK_FAILED.labels("witness").inc()
        _logger.warning("audit witness did not sign checkpoint seq %s: %s", seq, exc)
        return None
    SINK_WRITTEN.labels("witness").inc()
    emit(
        E.AUDIT_WITNESSED,
        source="command",
        actor=None,
        details=entry,
        message=f"checkpoint {kind} seq {seq} {head_hash[:12]} signed by witness key {entry['key_id']}",
    )
    return entry


def _append(path: Path, line: str) -> None:
    """One write of one line with O_APPEND (processes sharing the file do not interleave), then fsync."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, line.encode("ascii"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# --- reading, for an auditor -------------------------------------------------------------------
@dataclass
class Witnessed:
    """What a witness file or directory says: its verified checkpoints and every line that is not one."""

    checkpoints: list[Checkpoint] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    signed: int = 0
    rolled_back: int = 0  # signed checkpoints beyond the seq of a later `restored` one
    key: str = ""  # which public key checked them, and where it came from

    def summary(self) -> str:
        rolled = f" ({self.rolled_back} rolled back by a declared restore)" if self.rolled_back else ""
        return f"{self.signed} signed checkpoints{rolled} (witness key {self.key})"


def checkpoints(path: Path, public_key: Ed25519PublicKey | str) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints signed by `public_key` in `path` (a file, or every witness file of a directory),
    in the order written, and one problem per unsigned, wrongly signed or malformed line."""
    found = read(path, public_key)
    return found.checkpoints, found.problems


def read(path: Path, public_key: Ed25519PublicKey | str) -> Witnessed:
    key = public_key_from(public_key) if isinstance(public_key, str) else public_key
    pinned, found, seen = key_id(key), Witnessed(), set()
    entries: list[dict[str, Any]] = []
    for where, line in _lines(path):
        entry, problem = _checked(line, key, pinned)
        if problem:
            found.problems.append(f"witness {where}: {problem}")
        elif entry is not None and entry["signature"] not in seen:  # the same line from two copies counts once
            seen.add(entry["signature"])
            entries.append(entry)
    if path.is_dir():
        entries.sort(key=lambda entry: entry["time"])  # several files: by the signed time (a stable sort)
    for entry in entries:
        if entry["kind"] == "restored":
            kept = [c for c in found.checkpoints if c[0] <= entry["seq"]]
            found.rolled_back += len(found.checkpoints) - len(kept)
            found.checkpoints = kept
        found.checkpoints.append((entry["seq"], entry["head_hash"]))
    found.signed = len(entries)
    return found


def _lines(path: Path) -> Iterator[tuple[str, str]]:
    files = (
        sorted(p for p in path.iterdir() if p.is_file() and _WITNESS_NAME.search(p.name)) if path.is_dir() else [path]
    )
    for name in files:
        opener: Any = gzip.open if name.suffix == ".gz" else open
        with opener(name, "rt", encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                # An export of the whole trail (the JSONL file, LogBull) holds other events: only
                # `audit.witnessed` ones carry a signed checkpoint.
                if line.strip() and ('"event"' not in line or E.AUDIT_WITNESSED.name in line):
                    yield f"{name.name} line {number}", line


def _checked(line: str, key: Ed25519PublicKey, pinned: str) -> tuple[dict[str, Any] | None, str]:
    """A verified entry, or why the line is not one ("" and None: a line of another event)."""
    try:
        entry = json.loads(line)
        if "event" in entry:
            if entry["event"] != E.AUDIT_WITNESSED.name:
                return None, ""
            entry = entry.get("details") or {}
        seq = entry["seq"]
        if not isinstance(seq, int) or isinstance(seq, bool) or entry.get("kind") not in KINDS:
            raise ValueError(seq)
        signed = {name: str(entry[name]) for name in SIGNED if name != "seq"}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, "not a witnessed checkpoint (malformed)"
    if not entry.get("signature"):
        return None, f"seq {seq}: unsigned checkpoint"
    if signed["key_id"] != pinned:
        return None, f"seq {seq}: signed with key {signed['key_id']}, not the pinned key {pinned} (another key)"
    try:
        key.verify(base64.b64decode(str(entry["signature"]), validate=True), message({**signed, "seq": seq}))
    except (InvalidSignature, ValueError, binascii.Error):
        return None, f"seq {seq}: its signature does not verify (edited after signing, or signed by another key)"
    return {**signed, "seq": seq, "signature": entry["signature"]}, ""


# --- for audit_verify ---------------------------------------------------------------------------
def auditor_key(given: str | None = None) -> tuple[Ed25519PublicKey, str]:
    """The public key to check against, and where it came from (the command says which)."""
    if given:
        return public_key_from(given), "given with --witness-key"
    if settings.AUDIT_WITNESS_PUBLIC_KEY:
        return public_key_from(settings.AUDIT_WITNESS_PUBLIC_KEY), "pinned in AUDIT_WITNESS_PUBLIC_KEY"
    if settings.AUDIT_WITNESS_KEY_FILE:
        private = load_private(Path(settings.AUDIT_WITNESS_KEY_FILE))
        return private.public_key(), "derived from AUDIT_WITNESS_KEY_FILE (this server's key, not pinned)"
    raise ValueError("no witness public key: pass --witness-key, or set AUDIT_WITNESS_PUBLIC_KEY")


def for_verify(path: Path, given: str | None = None) -> Witnessed:
    """`audit_verify --witness PATH [--witness-key K]`: the signed checkpoints; ValueError when unusable."""
    if not path.exists():
        raise ValueError(f"no witness file or directory at {path}")
    key, source = auditor_key(given)
    found = read(path, key)
    found.key = f"{key_id(key)} {source}"
    return found
