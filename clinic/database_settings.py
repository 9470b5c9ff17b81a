"""The database and the shared cache, with how long a request may wait on either (docs/configuration.md,
docs/deployment.md "Timeouts" and "Redis down"). Read from the environment like the rest of
clinic/settings.py, which imports every name here."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from core.db_limits import libpq_options
from core.env import env_bool, env_float, env_int, env_str

_ROOT = Path(__file__).resolve().parent.parent

# SQLite is the embedded default; DATABASE_URL (postgres://...) switches to PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{_ROOT / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
# How long a request may keep the database (core/db_limits.py): a lock waited for longer, a
# statement running longer, or a statement started after the request's budget fails, and the
# request answers 503 `database_busy` with its transaction rolled back. Budget + statement
# timeout (25 s) stays below gunicorn's --timeout and a client's (30 s).
DB_LOCK_TIMEOUT_SECONDS = env_float("DB_LOCK_TIMEOUT_SECONDS", 5.0, minimum=0.1)
DB_STATEMENT_TIMEOUT_SECONDS = env_float("DB_STATEMENT_TIMEOUT_SECONDS", 10.0)  # 0: no limit
DB_IDLE_IN_TRANSACTION_SECONDS = env_float("DB_IDLE_IN_TRANSACTION_SECONDS", 60.0)  # 0: no limit
# Off in tests by default: an unread streamed answer would leave its deadline on the test's thread.
DB_REQUEST_SECONDS = env_float("DB_REQUEST_SECONDS", 0.0 if env_bool("MEDCAMP_TESTING", False) else 15.0)
_options = DATABASES["default"].setdefault("OPTIONS", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock when their transaction begins (IMMEDIATE) and wait up to the lock
    # timeout for it, so concurrent requests queue instead of failing on a read-to-write lock
    # upgrade. WAL lets readers go on while one writer commits (synchronous stays FULL: a commit
    # survives a power cut, which camp laptops do meet).
    _options.update(timeout=DB_LOCK_TIMEOUT_SECONDS, transaction_mode="IMMEDIATE")
    _options["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _timeouts = libpq_options(
        lock=DB_LOCK_TIMEOUT_SECONDS, statement=DB_STATEMENT_TIMEOUT_SECONDS, idle=DB_IDLE_IN_TRANSACTION_SECONDS
    )
    _options["options"] = f"{_options.get('options', '')} {_timeouts}".strip()  # after the URL's own

# A shared cache (Redis) makes login throttling hold across app processes. A Redis that does not
# answer within REDIS_TIMEOUT_SECONDS is left alone for REDIS_FALLBACK_SECONDS while each process
# keeps the cache in its own memory (core/cache.py).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    _redis_wait = env_float("REDIS_TIMEOUT_SECONDS", 0.5, minimum=0.01)
    CACHES = {
        "default": {
            "BACKEND": "core.cache.SharedCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "medcamp"),
            "FALLBACK_SECONDS": env_float("REDIS_FALLBACK_SECONDS", 10.0, minimum=0.1),
            "OPTIONS": {"socket_connect_timeout": _redis_wait, "socket_timeout": _redis_wait},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
