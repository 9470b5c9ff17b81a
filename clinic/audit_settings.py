"""The audit trail's own settings: the event store, its chain and checkpoints, the clock check, the
witness and the health thresholds (docs/configuration.md, docs/audit-store.md). Read from the
environment like the rest of clinic/settings.py, which imports every name here."""

from __future__ import annotations

from pathlib import Path

from core.env import env_bool, env_float, env_int, env_str

_ROOT = Path(__file__).resolve().parent.parent
AUDIT_LOG_FILE = Path(env_str("AUDIT_LOG_FILE", str(_ROOT / "logs" / "audit.jsonl")))
# The event store (audit.AuditEvent) and its hash chain: docs/audit-store.md.
AUDIT_STORE = env_bool("AUDIT_STORE", True)
AUDIT_CHAIN_KEY = env_str("AUDIT_CHAIN_KEY")  # empty: derived from SECRET_KEY
AUDIT_SEAL_INTERVAL = env_float("AUDIT_SEAL_INTERVAL", 5.0)  # seconds between sealing passes; 0: off
# On: LogBull and the file get every stored event from the store itself, after each sealing
# pass (audit.shipper), so a process killed between commit and write loses nothing.
AUDIT_SHIP = env_bool("AUDIT_SHIP", True)
# Seconds between passes that find changes made outside the audited path (audit.reconcile); 0: off.
AUDIT_RECONCILE_INTERVAL = env_float("AUDIT_RECONCILE_INTERVAL", 300.0)
# Where a sealing process reads the last checkpoint it trusts at its start; empty: none.
AUDIT_CHECKPOINT_FILE = env_str("AUDIT_CHECKPOINT_FILE", str(AUDIT_LOG_FILE))
AUDIT_CLOCK_TOLERANCE = env_float("AUDIT_CLOCK_TOLERANCE", 2.0)  # seconds off the database's clock (audit.clock)
AUDIT_CLOCK_CHECK_INTERVAL = env_float("AUDIT_CLOCK_CHECK_INTERVAL", 60.0)  # seconds between checks; 0: never
AUDIT_WITNESS_KEY_FILE = env_str("AUDIT_WITNESS_KEY_FILE")  # Ed25519 PEM signing checkpoints (audit.witness); "": off
AUDIT_WITNESS_FILE = env_str("AUDIT_WITNESS_FILE", str(AUDIT_LOG_FILE.parent / "audit-witness.jsonl"))
AUDIT_WITNESS_PUBLIC_KEY = env_str("AUDIT_WITNESS_PUBLIC_KEY")  # the auditor's pinned key: base64 of its 32 bytes
# GET health/'s `audit` check fails past these (audit.health, docs/configuration.md).
AUDIT_HEALTH_SEAL_SECONDS = env_float("AUDIT_HEALTH_SEAL_SECONDS", 60.0)
AUDIT_HEALTH_SHIP_EVENTS = env_int("AUDIT_HEALTH_SHIP_EVENTS", 10000, minimum=1)
AUDIT_HEALTH_SHIP_SECONDS = env_float("AUDIT_HEALTH_SHIP_SECONDS", 300.0)
