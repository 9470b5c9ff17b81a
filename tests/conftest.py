"""Fixtures of the whole suite and the checks every test passes through.

Every API answer is matched against the OpenAPI schema, every audit event against its
catalogue entry, and at the end of the session every sink is scanned for secrets.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import TestCase
from rest_framework.test import APIClient

from accounts.tokens import AccessToken
from tests import catalogue_check, schema_check
from tests.factories import PASSWORD, UserFactory
from tests.flush import _flush_past_the_guards  # noqa: F401  (a session fixture)

# --- capturing what every sink received -------------------------------------------------
CONSOLE_CAPTURE = Path(settings.RUN_DIR) / "console.log"
_SECRET_PATTERNS = [
    re.compile(re.escape(PASSWORD)),
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),  # a JWT
    re.compile(r"Bearer\s+\S{20,}"),
    re.compile(r"(md5|pbkdf2_sha256|argon2|bcrypt)\$"),  # a password hash
    re.compile(re.escape(settings.SECRET_KEY)),
]


def _audit_handlers() -> list[logging.Handler]:
    return logging.getLogger("medcamp.audit").handlers


@pytest.fixture(scope="session", autouse=True)
def _responses_match_the_schema() -> Iterator[None]:
    """Every API answer any test receives is checked against the OpenAPI schema (tests/schema_check.py)."""
    with schema_check.installed():
        yield


@pytest.fixture(scope="session", autouse=True)
def _events_match_the_catalogue() -> Iterator[None]:
    """Every audit event any test makes is checked against its catalogue entry (tests/catalogue_check.py)."""
    with catalogue_check.installed():
        yield


@pytest.fixture(autouse=True)
def _no_event_outside_its_entry() -> Iterator[None]:
    catalogue_check.problems.clear()
    yield
    assert not catalogue_check.problems, f"events that differ from the catalogue: {catalogue_check.problems}"


@pytest.fixture(scope="session", autouse=True)
def _console_to_file() -> Iterator[None]:
    """The console sink writes to a file for the session-end secret scan."""
    stream = open(CONSOLE_CAPTURE, "a", encoding="ascii")  # noqa: SIM115
    for handler in _audit_handlers():
        if type(handler) is logging.StreamHandler:
            handler.setStream(stream)
    yield
    stream.flush()


def _logbull_handler() -> Any:
    from audit.logbull import LogBullHandler

    return next((h for h in _audit_handlers() if isinstance(h, LogBullHandler)), None)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No password, token, hash or secret may appear in any sink over the whole session."""
    handler = _logbull_handler()
    if handler is not None:
        handler.flush()
    texts = {"console": _read(CONSOLE_CAPTURE), "file": _read(Path(settings.AUDIT_LOG_FILE))}
    texts["logbull"] = "\n".join(json.dumps(item) for item in settings.SESSION_LOGBULL.items)
    leaks = [(sink, p.pattern) for sink, text in texts.items() for p in _SECRET_PATTERNS if p.search(text)]
    lines = {sink: len(text.splitlines()) for sink, text in texts.items()}
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"secret scan over every audit sink: lines {lines}, leaks {len(leaks)}")
        matched = sum(schema_check.checked.values())
        reporter.write_line(f"schema check: {matched} API responses matched the OpenAPI schema")
        silent = catalogue_check.never_emitted()
        seen = sum(catalogue_check.emitted.values())
        reporter.write_line(
            f"catalogue check: {seen} events matched their entries; {len(silent)} of "
            f"{len(silent) + len(catalogue_check.emitted)} catalogue entries no test emitted: {', '.join(silent)}"
        )
    if leaks:
        if reporter is not None:
            reporter.write_line(f"SECRETS FOUND IN LOGS: {leaks}", red=True)
        session.exitstatus = 1


def _read(path: Path) -> str:
    return path.read_text(encoding="ascii") if path.exists() else ""


# --- audit capture ----------------------------------------------------------------------
class AuditCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "audit", None)
        if event is not None:
            self.events.append(event)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == name]

    def one(self, name: str) -> dict[str, Any]:
        found = self.named(name)
        assert len(found) == 1, f"expected one {name!r}, got {[e['event'] for e in self.events]}"
        return found[0]

    def names(self) -> list[str]:
        return [e["event"] for e in self.events]

    def clear(self) -> None:
        self.events.clear()


@pytest.fixture
def audit() -> Iterator[AuditCapture]:
    capture = AuditCapture()
    logger = logging.getLogger("medcamp.audit")
    logger.addHandler(capture)
    yield capture
    logger.removeHandler(capture)


@pytest.fixture
def audit_file() -> Iterator[Any]:
    """The JSONL lines the file sink writes during the test, parsed."""
    path = Path(settings.AUDIT_LOG_FILE)
    start = path.stat().st_size if path.exists() else 0

    def lines() -> list[dict[str, Any]]:
        for handler in _audit_handlers():
            handler.flush()
        with open(path, encoding="ascii") as fh:
            fh.seek(start)
            return [json.loads(line) for line in fh.read().splitlines()]

    yield lines


# --- API client and personas ---------------------------------------------------------------
class Api(APIClient):
    """A client whose requests run their on-commit callbacks (the audit events) as in production."""

    def request(self, **kwargs: Any) -> Any:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**kwargs)

    def as_user(self, user: Any) -> Api:
        self.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
        return self


@pytest.fixture
def client_for(db: Any) -> Any:
    def make(user: Any = None) -> Api:
        api = Api()
        return api.as_user(user) if user is not None else api

    return make


@pytest.fixture
def anon(client_for: Any) -> Api:
    return client_for()


def _persona(username: str, *roles: str) -> Any:
    return UserFactory(username=username, roles=list(roles))


@pytest.fixture
def admin_user(db: Any) -> Any:
    return _persona("alice_admin", "admin")


@pytest.fixture
def doctor(db: Any) -> Any:
    return _persona("dr_rao", "doctor")


@pytest.fixture
def doctor2(db: Any) -> Any:
    return _persona("dr_iyer", "doctor")


@pytest.fixture
def pharmacist(db: Any) -> Any:
    return _persona("pat_pharma", "pharmacist")


@pytest.fixture
def volunteer(db: Any) -> Any:
    return _persona("vic_volunteer", "volunteer")


@pytest.fixture
def counsellor(db: Any) -> Any:
    return _persona("cara_counsellor", "counsellor")


@pytest.fixture
def auditor(db: Any) -> Any:
    return _persona("aud_auditor", "auditor")


@pytest.fixture
def outsider(db: Any) -> Any:
    return _persona("olly_outsider")


@pytest.fixture
def wsgi_in_test() -> Iterator[None]:
    """For requests sent straight to the WSGI app (schemathesis, the generated client): its
    request_finished signal would close the test's database connection (and its transaction);
    Django's own test client unhooks it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield


# --- PostgreSQL-only tests ------------------------------------------------------------------
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`postgres` tests need PostgreSQL: outside CI a SQLite session skips them with the reason;
    in CI the SQLite pass leaves them to the PostgreSQL pass, which fails if it has none."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    needing = [item for item in items if item.get_closest_marker("postgres")]
    if not needing:
        return
    if os.environ.get("CI"):
        config.hook.pytest_deselected(items=needing)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]
        print(f"\n{len(needing)} PostgreSQL tests left to the PostgreSQL pass of .ci/run")
        return
    reason = "needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/medcamp"
    for item in needing:
        item.add_marker(pytest.mark.skip(reason=reason))


def require_postgres() -> None:
    """Inside a postgres test: fail loudly if the database is not PostgreSQL."""
    engine = settings.DATABASES["default"]["ENGINE"]
    assert engine.endswith("postgresql"), f"this test needs PostgreSQL, the database is {engine}"
