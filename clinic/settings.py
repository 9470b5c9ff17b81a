"""MedCamp settings, read from the environment (see docs/configuration.md)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

from clinic import audit_settings
from core.env import dev_secret, env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)
TESTING = env_bool("MEDCAMP_TESTING", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("SECRET_KEY is required when DJANGO_DEBUG is off")
    # Development: one secret kept in var/dev-secret-key (git ignores var/), so every process of
    # `make run` (seed_demo, runserver, audit_verify) signs and checks the audit events' MACs
    # with the same key (a key per process made every seeded event read as forged). Tests: one per run.
    SECRET_KEY = (
        dev_secret(BASE_DIR / "var" / "dev-secret-key") if DEBUG and not TESTING else "dev-" + secrets.token_urlsafe(40)
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
# Browser-based clients on other origins (e.g. https://app.example.org); empty: none.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]

# Serving on all interfaces (a camp laptop on a hotspot): phones reach it by its own addresses.
SERVE_ALL_INTERFACES = env_bool("MEDCAMP_ALL_INTERFACES", False)
if SERVE_ALL_INTERFACES:
    from core.net import own_addresses

    ALLOWED_HOSTS = [*ALLOWED_HOSTS, *own_addresses()]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "core",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "simple_history",
    "audit",
    "accounts",
    "camps",
    "patients",
    "pharmacy",
    "consultations",
]
if DEBUG or TESTING:
    INSTALLED_APPS.append("devtools")  # demo data and the development admin; never in production

MIDDLEWARE = [
    "core.request_metrics.RequestMetricsMiddleware",  # outermost: its time covers the others
    "core.tracing.TracingMiddleware",  # OpenTelemetry, only with OTEL_EXPORTER_OTLP_ENDPOINT (else returns at once)
    "corsheaders.middleware.CorsMiddleware",  # it answers preflight requests itself
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "audit.middleware.RequestContextMiddleware",
    "clinic.middleware.BodyCheckMiddleware",  # a body's length and charset, before anything reads them
    "clinic.middleware.RefuseNulMiddleware",  # before anything reads the query string
    "clinic.middleware.RefuseFarDatesMiddleware",  # admin's date lookups within 1900 to 2999
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clinic.locale.LanguageMiddleware",  # after authentication: a signed-in user's language
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if env_bool("MEDCAMP_QUERY_COUNT", False):
    MIDDLEWARE.insert(0, "clinic.middleware.QueryCountMiddleware")

# The largest body any request may carry (Django's default is 2.5 MiB): the API's bodies and
# admin's forms are a few kB and nothing uploads files. Larger is a 413 (core/parsers.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The database and the shared cache (Redis), with their timeouts: clinic/database_settings.py.
from clinic.database_settings import *  # noqa: E402,F403

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# Screens, API messages and the slip speak these; a language is its catalogues and one line here
# (docs/languages.md). Ours come first: library_locale fills gaps in Django's. Audit stays English.
LANGUAGES = [
    ("en", "English"),
    ("hi", "हिन्दी"),
    ("te", "తెలుగు"),
]
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "library_locale"]
# The camps' local time: admin shows it, and "today" (is a batch expired?) is the camp's date.
TIME_ZONE = env_str("TIME_ZONE", "Asia/Kolkata")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE must be an IANA time zone such as Asia/Kolkata, got {TIME_ZONE!r}") from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Production: hashed names WhiteNoise serves with a year-long cache; development serves as they are.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not (DEBUG or TESTING))
_STATIC_STORAGE = f"whitenoise.storage.Compressed{'Manifest' if STATIC_MANIFEST else ''}StaticFilesStorage"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": _STATIC_STORAGE},
}
# Serve static files straight from the apps in development and tests (no collectstatic needed).
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# Behind a reverse proxy: how many proxies append to X-Forwarded-For (0 = trust REMOTE_ADDR only).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# HTTPS (the programme server, behind a TLS proxy; docs/deployment.md); a camp laptop leaves these off.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
if env_bool("SECURE_PROXY_SSL_HEADER", False):  # the proxy sets X-Forwarded-Proto; only then trust it
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Argon2 first; a user whose hash is older is upgraded when they next sign in.
PASSWORD_HASHERS = [
    f"django.contrib.auth.hashers.{name}PasswordHasher" for name in ("Argon2", "PBKDF2", "PBKDF2SHA1", "Scrypt")
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.AuditedJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RoleMatrixPermission"],
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.JSONRenderer"],  # DRF's, never a 500 on a lone surrogate
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],  # DRF's, with a bound on nesting
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend", "core.ordering.Ordering"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "clinic.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "clinic.schema.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env_int("JWT_REFRESH_HOURS", 24, minimum=1)),
    "ROTATE_REFRESH_TOKENS": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry the password's version, so they end when the password does (accounts/tokens.py).
    "AUTH_TOKEN_CLASSES": ("accounts.tokens.AccessToken",),
}

# Failed sign-ins allowed per (username, client address) within the window; then both doors
# (POST auth/login/ and /admin/login/) refuse that pair until the window ends.
LOGIN_THROTTLE_ATTEMPTS = env_int("LOGIN_THROTTLE_ATTEMPTS", 5, minimum=1)
LOGIN_THROTTLE_WINDOW_SECONDS = env_int("LOGIN_THROTTLE_WINDOW_SECONDS", 300, minimum=1)

# What drf-spectacular needs to describe the API (GET /api/v1/schema/).
from clinic.openapi_settings import SPECTACULAR_SETTINGS as SPECTACULAR_SETTINGS  # noqa: E402

# --- Audit trail (see docs/architecture.md and audit/logging_config.py) ---------------------
AUDIT_LOG_FILE = audit_settings.AUDIT_LOG_FILE

AUDIT_LOG_FILE_MAX_BYTES = env_int("AUDIT_LOG_FILE_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
AUDIT_LOG_FILE_BACKUPS = env_int("AUDIT_LOG_FILE_BACKUPS", 10, minimum=1)
# "size": the app rotates the file (one process); "external": logrotate does (several processes).
AUDIT_LOG_ROTATION = env_str("AUDIT_LOG_ROTATION", "size")
if AUDIT_LOG_ROTATION not in ("size", "external"):
    raise ImproperlyConfigured(f"AUDIT_LOG_ROTATION must be size or external, got {AUDIT_LOG_ROTATION!r}")
AUDIT_CONSOLE = env_str("AUDIT_CONSOLE", "text" if DEBUG else "json")  # text | json | off
AUDIT_SENSITIVE_FIELDS = env_list("AUDIT_SENSITIVE_FIELDS", ["phone", "address"])
AUDIT_MAX_VALUE_CHARS = env_int("AUDIT_MAX_VALUE_CHARS", 2000, minimum=64)
AUDIT_SINKS_ENABLED = env_bool("AUDIT_SINKS_ENABLED", True)
# Prometheus (docs/monitoring.md): request metrics on unless 0; /metrics open to loopback, or
# to a scraper sending `Authorization: Bearer <METRICS_TOKEN>`; database figures cached 15 s.
METRICS_ENABLED = env_bool("METRICS_ENABLED", True)
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_DB_SECONDS = env_int("METRICS_DB_SECONDS", 15, minimum=1)
# The event store, its chain, checkpoints, clock, witness and health: clinic/audit_settings.py.
from clinic.audit_settings import *  # noqa: E402,F403

LOGBULL_HOST = env_str("LOGBULL_HOST")
LOGBULL_PROJECT_ID = env_str("LOGBULL_PROJECT_ID")
LOGBULL_API_KEY = env_str("LOGBULL_API_KEY")
LOGBULL_SPOOL_DIR = Path(env_str("LOGBULL_SPOOL_DIR", str(BASE_DIR / "logs" / "logbull-spool")))
LOGBULL_CONNECT_TIMEOUT = env_float("LOGBULL_CONNECT_TIMEOUT", 2.0)
LOGBULL_READ_TIMEOUT = env_float("LOGBULL_READ_TIMEOUT", 5.0)
LOGBULL_BATCH_SIZE = env_int("LOGBULL_BATCH_SIZE", 500, minimum=1)
LOGBULL_QUEUE_SIZE = env_int("LOGBULL_QUEUE_SIZE", 10000, minimum=10)
LOGBULL_FLUSH_INTERVAL = env_float("LOGBULL_FLUSH_INTERVAL", 1.0)
LOGBULL_MAX_BACKOFF = env_float("LOGBULL_MAX_BACKOFF", 60.0)
LOGBULL_EXIT_TIMEOUT = env_float("LOGBULL_EXIT_TIMEOUT", 5.0)
# GET health/ answers 503 when the LogBull spool's disk has less free space than this.
HEALTH_MIN_FREE_MB = env_int("HEALTH_MIN_FREE_MB", 100, minimum=0)

from audit.logging_config import build_logging  # noqa: E402  (needs the settings above)

LOGGING_CONFIG = "audit.logging_config.configure"
LOGGING = build_logging(
    log_file=AUDIT_LOG_FILE,
    max_bytes=AUDIT_LOG_FILE_MAX_BYTES,
    backups=AUDIT_LOG_FILE_BACKUPS,
    console=AUDIT_CONSOLE,
    sinks_enabled=AUDIT_SINKS_ENABLED,
    rotation=AUDIT_LOG_ROTATION,
    logbull={
        "host": LOGBULL_HOST,
        "project_id": LOGBULL_PROJECT_ID,
        "api_key": LOGBULL_API_KEY,
        "spool_dir": str(LOGBULL_SPOOL_DIR),
        "connect_timeout": LOGBULL_CONNECT_TIMEOUT,
        "read_timeout": LOGBULL_READ_TIMEOUT,
        "batch_size": LOGBULL_BATCH_SIZE,
        "queue_size": LOGBULL_QUEUE_SIZE,
        "flush_interval": LOGBULL_FLUSH_INTERVAL,
        "max_backoff": LOGBULL_MAX_BACKOFF,
        "exit_timeout": LOGBULL_EXIT_TIMEOUT,
    },
)

# History is browsed with the historical model's own view permission (admins and auditors),
# and never reverted through the history pages (audit/admin.py refuses the POST as well).
SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS = True
SIMPLE_HISTORY_REVERT_DISABLED = True
