"""The shared cache: Redis, and this process's own memory while Redis does not answer.

With REDIS_URL the default cache is `SharedCache`: Django's RedisCache with short socket
timeouts (REDIS_TIMEOUT_SECONDS; redis-py retries nothing unless told to), which on any Redis
error answers from a per-process LocMemCache and leaves Redis alone for REDIS_FALLBACK_SECONDS.
When that back-off ends one thread tries Redis again while the others keep to memory, so a
Redis that is down costs a process one failed try per back-off (besides the calls in flight
when it failed), never a failed request; the
first answer puts every thread back on Redis (Django makes a backend per thread; the back-off
and the memory are the process's). The memory starts empty and is not copied to
Redis when it answers again: what the cache holds is short-lived (sign-in failures within a
window, /metrics' figures for 15 s).

Who relies on it: sign-in throttling (accounts/throttling.py says what it guarantees while
this process counts on its own), /metrics' cached figures, and health. Health's `redis` check
(`probe()`) asks Redis itself, never the memory, so GET health/ and
medcamp_health_ok{check="redis"} say 0 while the fallback serves.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import Any

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
HEALTH_KEY = "health-check"
MEMORY_ENTRIES = 10000  # LocMemCache's default (300) would cull live throttle counters under a spray


class Backoff:
    """One process's view of one Redis: until when it is left alone, why, and who may try it again.

    Django makes a cache backend per thread; this is shared by them all (`backoff_for`)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = 0.0  # monotonic time until which Redis is left alone; 0: Redis serves
        self.error = ""
        self.retrying = threading.Lock()

    def waiting(self) -> bool:
        return self.until != 0.0 and time.monotonic() < self.until

    def failed(self, exc: RedisError) -> None:
        if not self.until:
            logger.warning(
                "Redis did not answer (%s): this process keeps the cache in memory, trying Redis every %s s",
                type(exc).__name__,
                self.seconds,
            )
        self.error = type(exc).__name__
        self.until = time.monotonic() + self.seconds

    def answered(self) -> None:
        if self.until:
            self.until = 0.0
            logger.warning("Redis answers again: the cache is shared again")


_backoffs: dict[str, Backoff] = {}
_backoffs_lock = threading.Lock()


def backoff_for(location: str, seconds: float) -> Backoff:
    with _backoffs_lock:
        return _backoffs.setdefault(location, Backoff(seconds))


class SharedCache(RedisCache):
    """RedisCache that falls back to this process's memory for FALLBACK_SECONDS after a Redis error."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self.backoff = backoff_for(str(server), float(params.get("FALLBACK_SECONDS", 10.0)))
        memory = {k: v for k, v in params.items() if k in ("TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION")}
        memory["OPTIONS"] = {"MAX_ENTRIES": MEMORY_ENTRIES}
        self.memory = LocMemCache("medcamp-shared-cache-fallback", memory)  # one per process, by its name

    @property
    def degraded(self) -> bool:
        return self.backoff.until != 0.0

    def _run(self, name: str, *args: Any, **kwargs: Any) -> Any:
        backoff, retrying = self.backoff, False
        if backoff.until:
            if backoff.waiting() or not backoff.retrying.acquire(blocking=False):
                return getattr(self.memory, name)(*args, **kwargs)
            retrying = True
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except RedisError as exc:
            backoff.failed(exc)
            return getattr(self.memory, name)(*args, **kwargs)
        except Exception:  # Redis answered (incr of a missing key raises ValueError)
            backoff.answered()
            raise
        finally:
            if retrying:
                backoff.retrying.release()
        backoff.answered()
        return result

    def check(self) -> dict[str, Any]:
        """Health's check: Redis itself takes a write and reads it back (within the back-off, it is down)."""
        if self.backoff.waiting():
            return {"ok": False, "error": self.backoff.error, "fallback": "memory"}
        token = secrets.token_hex(8)
        try:
            RedisCache.set(self, HEALTH_KEY, token, timeout=10)
            ok = RedisCache.get(self, HEALTH_KEY) == token
        except RedisError as exc:
            self.backoff.failed(exc)
            return {"ok": False, "error": self.backoff.error, "fallback": "memory"}
        self.backoff.answered()
        return {"ok": ok}

    def add(self, *args: Any, **kwargs: Any) -> Any:
        return self._run("add", *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._run("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:
        return self._run("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:
        return self._run("touch", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._run("delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._run("get_many", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> Any:
        return self._run("has_key", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> Any:
        return self._run("incr", *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._run("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._run("delete_many", *args, **kwargs)

    def clear(self) -> Any:
        return self._run("clear")


def probe(backend: BaseCache) -> dict[str, Any]:
    """Health's `redis` check of a cache: a write and a read that Redis itself answers."""
    if isinstance(backend, SharedCache):
        return backend.check()
    token = secrets.token_hex(8)
    try:
        backend.set(HEALTH_KEY, token, timeout=10)
        ok = backend.get(HEALTH_KEY) == token
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": ok}
