"""Login throttling: failed attempts per (username, client address) in the shared cache.

The counter is a cache.add + cache.incr pair, atomic in Redis, so two app processes
sharing REDIS_URL count the same attempts.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(username: str, ip: str | None) -> str:
    digest = hashlib.sha256(f"{username.lower()}|{ip}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"login-failures:{digest}"


def is_locked(username: str, ip: str | None) -> bool:
    return int(cache.get(_key(username, ip), 0)) >= settings.LOGIN_THROTTLE_ATTEMPTS


def record_failure(username: str, ip: str | None) -> int:
    key = _key(username, ip)
    cache.add(key, 0, timeout=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_THROTTLE_WINDOW_SECONDS)
        return 1


def clear(username: str, ip: str | None) -> None:
    cache.delete(_key(username, ip))
