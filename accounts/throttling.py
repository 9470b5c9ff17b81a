"""Sign-in throttling: failed attempts per (username, client address) in the shared cache.

One counter serves both doors (`POST auth/login/` and `/admin/login/`). It is a
cache.add + cache.incr pair, atomic in Redis, so app processes sharing REDIS_URL count
the same attempts. The attempt that reaches the limit also stores when the lock ends,
so both doors can say when to try again.

While Redis is down (core/cache.py) each process counts in its own memory: a pair is locked
after LOGIN_THROTTLE_ATTEMPTS failures reaching one process, so an attacker gets at most
(app processes) x LOGIN_THROTTLE_ATTEMPTS tries per window (two servers of `-w 2`: 4 x 5), and a
pair Redis had counted or locked before it failed starts again from nothing. Sign-in never fails
for Redis's sake, and health names `redis` meanwhile, so the weaker bound is seen; when Redis
answers again it counts for every process (tests/ops/test_redis_down.py).
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, username: str, ip: str | None) -> str:
    digest = hashlib.sha256(f"{username.lower()}|{ip}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"login-{kind}:{digest}"


def retry_after(username: str, ip: str | None) -> int | None:
    """Seconds until this pair may try again, or None when it is not locked."""
    if int(cache.get(_key("failures", username, ip), 0)) < settings.LOGIN_THROTTLE_ATTEMPTS:
        return None
    until = cache.get(_key("locked", username, ip))
    window: int = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    return max(1, min(window, int(until - time.time()) + 1)) if until else window


def record_failure(username: str, ip: str | None) -> int:
    window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    key = _key("failures", username, ip)
    cache.add(key, 0, timeout=window)
    try:
        count = int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    if count == settings.LOGIN_THROTTLE_ATTEMPTS:
        # The lock lasts a full window from the attempt that reached the limit.
        cache.set(key, count, timeout=window)
        cache.set(_key("locked", username, ip), time.time() + window, timeout=window)
    return count


def clear(username: str, ip: str | None) -> None:
    cache.delete_many([_key("failures", username, ip), _key("locked", username, ip)])
