"""The audit trail's keys and the two MACs made with them: an event's own, and a seal's link in the chain.

The key is AUDIT_CHAIN_KEY, or derived from SECRET_KEY when that is unset: it lives in the
app's settings, never in the database, so someone who holds only the database can neither
sign a forged event nor recompute a chain. Each use has its own key derived from it.

- `event_mac(data)`: HMAC-SHA256 over an event's canonical JSON, written with the event
  (`AuditEvent.mac`) in the transaction that stores it. A row inserted by hand has none
  that verifies, so the sealer refuses to seal it.
- `seal_hash(key, prev_hash, data)`: HMAC-SHA256 over the previous seal's hash and the
  event's JSON: the chain (audit.chain).
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

GENESIS = "0" * 64


def chain_key() -> bytes:
    configured: str = settings.AUDIT_CHAIN_KEY
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"medcamp audit chain", hashlib.sha256).digest()


def mac_key() -> bytes:
    return hmac.new(chain_key(), b"medcamp event mac", hashlib.sha256).digest()


def event_mac(data: str, key: bytes | None = None) -> str:
    return hmac.new(key or mac_key(), data.encode(), hashlib.sha256).hexdigest()


def mac_ok(data: str, mac: str, key: bytes) -> bool:
    return hmac.compare_digest(event_mac(data, key), mac or "")


def seal_hash(key: bytes, prev_hash: str, data: str) -> str:
    return hmac.new(key, (prev_hash + data).encode(), hashlib.sha256).hexdigest()
