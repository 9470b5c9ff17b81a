"""The hostile suite's tools: every route of the URL resolver with real ids, a raw WSGI call, and
the check every answer passes (no 5xx; the error shape on /api/ and /metrics).

Requests go straight to `clinic.wsgi.application` with a hand-built environ, so a header can
carry any byte a client can send: a WSGI server hands header values over as their bytes read
as latin-1 (PEP 3333), which is what a str of code points 0-255 here stands for.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from accounts.tokens import AccessToken
from clinic.wsgi import application
from core.error_codes import ErrorCode

CSRF = "hostile0csrf0token0of032chars000"  # a well-formed CSRF secret, in cookie and header alike
WRITES = ("POST", "PUT", "PATCH", "DELETE")
# Where a route's ids come from: an API path's first segment, or a custom admin view's argument.
API_MODELS = {
    "users": "accounts.User",
    "camps": "camps.MedicalCamp",
    "patients": "patients.Patient",
    "visits": "patients.Visit",
    "vitals": "patients.Vitals",
    "medicines": "pharmacy.Medicine",
    "batches": "pharmacy.StockBatch",
    "queue": "consultations.QueueEntry",
    "consultations": "consultations.Consultation",
    "prescriptions": "consultations.Prescription",
}
ARGUMENT_MODELS = {"camp_id": "camps.MedicalCamp", "visit_id": "patients.Visit", "entry_id": "consultations.QueueEntry"}
DOMAIN_APPS = ("accounts", "camps", "patients", "pharmacy", "consultations")


@dataclass
class Route:
    pattern: str
    path: str
    methods: tuple[str, ...]
    name: str = ""

    @property
    def json_errors(self) -> bool:
        return self.path.startswith(("/api/", "/metrics"))


@dataclass
class Identity:
    name: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def _id_of(label: str) -> str:
    found = apps.get_model(label)._default_manager.order_by("pk").first()
    assert found is not None, f"the hostile suite's world has no {label}: add one"
    return str(found.pk)


def _values(pattern: str) -> dict[str, str]:
    """A real value for each argument the route's pattern takes."""
    clean = pattern.replace("^", "").replace("$", "")
    patient = apps.get_model("patients.Patient")
    values = {"role": "volunteer", "app_label": "patients", "url": "nowhere/", "id": _id_of("accounts.User")}
    values.update({name: _id_of(label) for name, label in ARGUMENT_MODELS.items()})
    values.update(
        content_type_id=str(ContentType.objects.get_for_model(patient).pk), object_id=_id_of("patients.Patient")
    )
    segment = clean.removeprefix("api/v1/").split("/")[0]
    if "<pk>" in clean:
        assert segment in API_MODELS, f"{pattern}: name the model of api/v1/{segment}/ in API_MODELS"
        values["pk"] = _id_of(API_MODELS[segment])
    admin = re.match(r"admin/(\w+)/(\w+)/", clean)
    model = _admin_model(admin[1], admin[2]) if admin else None
    record = model._default_manager.order_by("pk").first() if model is not None else None
    if record is not None:  # a model admin's page: its record, and the record's first version
        values["object_id"] = str(record.pk)
        history = getattr(model, "history", None)
        version = history.filter(id=record.pk).first() if history is not None else None
        values["version_id"] = str(version.history_id) if version is not None else "1"
    values.setdefault("version_id", "1")
    return values


def _admin_model(app_label: str, model_name: str) -> Any:
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:  # admin/password_change/done/ and the like
        return None


def _fill(pattern: str, values: dict[str, str]) -> str:
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m[1]], pattern)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m[1]], path)
    positional = iter([values["object_id"], values["version_id"]])
    path = re.sub(r"\([^)]*\)", lambda m: next(positional), path)
    return "/" + path.replace("^", "").replace("$", "").replace(".*", "")


def _methods(callback: Any) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:  # a viewset's route: the methods its router mapped
        return tuple(method.upper() for method in actions)
    view = getattr(callback, "cls", None)
    if view is not None:  # an APIView
        return tuple(m.upper() for m in view.http_method_names if hasattr(view, m) and m not in ("options", "head"))
    return ("GET", "POST")  # admin's pages and function views: what a browser sends (a form is a POST)


def routes() -> list[Route]:
    """Every route the URL resolver knows, its arguments filled with ids of real records."""
    found = []
    for pattern, entry in _walk(get_resolver().url_patterns):
        path = _fill(pattern, _values(pattern))
        assert resolve(path).func == entry.callback, f"{pattern} filled as {path} resolves elsewhere"
        found.append(Route(pattern, path, _methods(entry.callback), entry.name or ""))
    return found


def identities() -> list[Identity]:
    """Anonymous, a volunteer and an admin, each with a token and a signed-in session."""
    from tests.factories import UserFactory

    made = [Identity("anonymous", {"HTTP_COOKIE": f"csrftoken={CSRF}", "HTTP_X_CSRFTOKEN": CSRF})]
    for role in ("volunteer", "admin"):
        user = UserFactory(roles=[role], username=f"hostile_{role}", is_superuser=role == "admin")
        client = Client()
        client.force_login(user)
        session = client.cookies["sessionid"].value
        headers = {
            "HTTP_AUTHORIZATION": f"Bearer {AccessToken.for_user(user)}",
            "HTTP_COOKIE": f"csrftoken={CSRF}; sessionid={session}",
            "HTTP_X_CSRFTOKEN": CSRF,
        }
        made.append(Identity(role, headers))
    return made


def call(
    method: str, path: str, *, query: str = "", body: bytes = b"", headers: dict[str, str] | None = None
) -> Answer:
    """One request through the WSGI application, its environ built by hand."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",  # from outside: /metrics is not open to it
        "HTTP_HOST": "testserver",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    environ.update(headers or {})
    started: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started["status"], started["headers"] = int(status.split()[0]), dict(response_headers)

    chunks = application(environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return Answer(started["status"], started["headers"], content)


CODES = {code.value for code in ErrorCode}


def problem(route: Route, answer: Answer) -> str | None:
    """What is wrong with an answer to a hostile request, or None."""
    if answer.status >= 500:
        return f"{answer.status}: {answer.body[:160]!r}"
    if not (400 <= answer.status < 500 and route.json_errors):
        return None
    if not answer.headers.get("Content-Type", "").startswith("application/json"):
        return f"{answer.status} as {answer.headers.get('Content-Type')}: {answer.body[:80]!r}"
    try:
        body = json.loads(answer.body)
    except ValueError:
        return f"{answer.status} with a body that is not JSON"
    if not (isinstance(body, dict) and isinstance(body.get("detail"), str) and body.get("code") in CODES):
        return f"{answer.status} outside the error shape: {answer.body[:160]!r}"
    return None


LONE_SURROGATES = ["\ud800", "a\udfff", "\udbff\udbff", "\ude00\ud83d"]  # high or low, alone or reversed


def lone_surrogate_bodies() -> dict[str, bytes]:
    """A lone surrogate in every string field: each domain model's field names (choice fields
    among them: sex, status, counselling_status, type, priority, role) and the auth endpoints',
    as `\\ud800` escapes in the raw JSON (its UTF-8 is valid; only the decoded text is not)."""
    names = {"username", "password", "refresh", "role", "roles", "name", "sex", "status", "priority", "type"}
    for label in DOMAIN_APPS:
        for model in apps.get_app_config(label).get_models():
            names.update(f.name for f in model._meta.get_fields() if not f.is_relation or f.many_to_one)
    bodies = {}
    for text in LONE_SURROGATES:
        fields: dict[str, Any] = dict.fromkeys(sorted(names), text)
        bodies[f"{text!r} in every field"] = json.dumps(fields).encode()
        bodies[f"{text!r} as a key, deep"] = json.dumps({"prescriptions": [{text: [text]}], "name": "x"}).encode()
    return bodies


def domain_rows() -> dict[str, int]:
    """Rows of every domain table (their history tables too), and of the role groups."""
    counted = {"auth.Group": Group.objects.count()}
    for label in DOMAIN_APPS:
        for model in apps.get_app_config(label).get_models():
            counted[model._meta.label] = model._default_manager.count()
    return counted
