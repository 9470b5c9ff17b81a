"""Personal data never reaches a sink: a hostile session against the app, then every sink's bytes scanned.

The audit logger gets the handlers settings.LOGGING declares (console, JSONL file, LogBull),
writing to this test's own places: the console to memory (as JSON, and as text too), the file
in a tmp dir, LogBull to a loopback fake that keeps every request body as it came. The store
is read row by row. A scan that finds nothing because nothing was logged proves nothing, so
each sink must also hold the session's events, the search among them with its phone masked.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import logging.config
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from audit.models import AuditEvent
from audit.sanitize import mask, masked_text
from tests.audit.logbull_kit import wait_until
from tests.factories import PASSWORD, UserFactory
from tests.fake_logbull import FakeLogBull

pytestmark = pytest.mark.django_db

PHONE = "9253705399"  # typed as "+91 92537 05399" too
LANDLINE = "04023456789"  # typed as "(040) 2345 6789", sent as "040-2345-6789"
NEW_PHONE = "8125530477"  # the first patient's phone after the PATCH ("+91 81255 30477")
ADDRESSES = ("14 Lake View Road, Kondapur", "Plot 7, Gandhi Nagar, Kothur", "22 Temple Street, Miyapur")
SEARCHED_ADDRESS = "12 MG Road, Banjara Hills"  # typed into a patient search
PART = "925370"  # six digits of PHONE: the patient search finds by 4 or more digits of a phone
# The phone as an attacker types it: wider separators, letters touching, other scripts' digits.
VARIANTS = (
    "92537  05399",
    "9253/705/399",
    "92537_05399",
    "92537,05399",
    "92537..05399",
    "92537\u201405399",  # an em dash
    "ph9253705399",
    "9253705399x",
    "MOB9253705399",
    "\u096f\u0968\u096b\u0969\u096d\u0966\u096b\u0969\u096f\u096f",  # Devanagari digits
    "\uff19\uff12\uff15\uff13\uff17\uff10\uff15\uff13\uff19\uff19",  # fullwidth digits
    PART,
)
SEARCHES = 5 + 2 * len(VARIANTS) + 1 + 4  # through the API: 5, two a variant, the address; 4 in admin


class RecordingLogBull(FakeLogBull):
    """The loopback LogBull, keeping each request body exactly as it arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: list[bytes] = []

    def answer(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.bodies.append(body)
        return super().answer(path, headers, body)


@pytest.fixture
def sinks(tmp_path: Path) -> Iterator[tuple[dict[str, logging.Handler], RecordingLogBull]]:
    """The audit logger's handlers as settings.LOGGING declares them, writing to this test's places."""
    fake = RecordingLogBull().start()
    config = copy.deepcopy(settings.LOGGING)
    wanted = config["loggers"]["medcamp.audit"]["handlers"]
    assert set(wanted) == {"console", "file", "logbull"}, wanted  # tests/settings.py turns every sink on
    config["handlers"]["file"]["filename"] = str(tmp_path / "audit.jsonl")
    config["handlers"]["logbull"].update(host=fake.url, spool_dir=str(tmp_path / "spool"), flush_interval=0.02)
    configurator = logging.config.DictConfigurator(config)  # builds handlers the way dictConfig does
    formatters = configurator.config["formatters"]
    for name in list(formatters):
        formatters[name] = configurator.configure_formatter(formatters[name])
    handlers = {name: configurator.configure_handler(configurator.config["handlers"][name]) for name in wanted}
    handlers["console_text"] = logging.StreamHandler(io.StringIO())
    handlers["console_text"].setFormatter(formatters["text"])
    assert isinstance(handlers["console"], logging.StreamHandler)
    handlers["console"].setStream(io.StringIO())
    logger = logging.getLogger("medcamp.audit")
    for handler in handlers.values():
        logger.addHandler(handler)
    yield handlers, fake
    for handler in handlers.values():
        logger.removeHandler(handler)
        handler.close()
    fake.stop()


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def hostile_session(client_for: Any, capture: Any) -> None:
    """Phones and addresses typed into every door: searches, filters, changes, refusals, sign-ins."""
    volunteer, doctor = UserFactory(roles=["volunteer"]), UserFactory(roles=["doctor"])
    vol, doc = client_for(volunteer), client_for(doctor)
    first = vol.post(
        "/api/v1/patients/",
        {
            "book_no": "KP-0901",
            "name": "Sunita Devi",
            "age_years": 41,
            "sex": "female",
            "area": "Kondapur",
            "phone": "+91 92537 05399",
        },
        format="json",
    )
    assert first.status_code == 201, first.content
    patient = first.json()["id"]
    fill = vol.patch(f"/api/v1/patients/{patient}/", {"phone": PHONE, "address": ADDRESSES[0]}, format="json")
    second = {"book_no": "KP-0902", "name": "Ramu Goud", "age_years": 60, "sex": "male", "area": "Kothur"}
    other = vol.post("/api/v1/patients/", {**second, "phone": "040-2345-6789", "address": ADDRESSES[1]}, format="json")
    for params in ({"search": PHONE}, {"search": "+91 92537 05399"}, {"phone": PHONE}, {"search": "(040) 2345 6789"}):
        assert vol.get("/api/v1/patients/", params).status_code == 200, params
    listed = doc.get("/api/v1/patients/", {"area": "Kothur", "phone": "092537-05399", "ordering": "name"})
    read = doc.get(f"/api/v1/patients/{patient}/")
    changed = vol.patch(
        f"/api/v1/patients/{patient}/", {"phone": "+91 81255 30477", "address": ADDRESSES[2]}, format="json"
    )
    assert [r.status_code for r in (fill, other, listed, read, changed)] == [200, 201, 200, 200, 200]
    refused = [
        vol.patch(f"/api/v1/patients/{patient}/", {"phone": f"{PHONE}x"}, format="json"),  # a bad phone
        vol.patch(f"/api/v1/patients/{patient}/", {"sex": PHONE, "age_years": PHONE}, format="json"),
        vol.get("/api/v1/patients/999999/", {"search": PHONE}),  # a 404 with the phone in the query
        vol.get("/api/v1/patients/", {"ordering": PHONE}),  # a 400
        vol.get("/api/v1/patients/", {"phone": f"+91 {PHONE} {PHONE}"}),  # longer than the filter takes
        vol.post(
            "/api/v1/patients/", {**second, "book_no": "KP-0901", "phone": NEW_PHONE}, format="json"
        ),  # a taken book number
        client_for().post("/api/v1/auth/login/", {"username": PHONE, "password": PASSWORD}, format="json"),
    ]
    assert [r.status_code for r in refused] == [400, 400, 404, 400, 400, 409, 401]
    for variant in VARIANTS:
        assert vol.get("/api/v1/patients/", {"search": variant}).status_code == 200, variant
        assert vol.get("/api/v1/patients/", {"name": variant, "area": variant}).status_code == 200, variant
    assert vol.get("/api/v1/patients/", {"search": SEARCHED_ADDRESS}).status_code == 200
    signins = [
        client_for().post("/api/v1/auth/login/", {"username": u, "password": PASSWORD}, format="json")
        for u in ("ph9253705399", "92537  05399")
    ]
    assert [r.status_code for r in signins] == [401, 401]
    assert Client().post("/admin/login/", {"username": f"+91 {PHONE}", "password": PASSWORD}).status_code == 200
    desk = signed_in(volunteer)
    for query in (PHONE, "+91 92537 05399", "05399", SEARCHED_ADDRESS):
        assert desk.get("/admin/patients/patient/", {"q": query, "sex": "female"}).status_code == 200
    for ignored in ({"all": "92537  05399"}, {"_facets": "x9253705399"}, {"e": "9253705399z"}):
        assert desk.get("/admin/patients/patient/", ignored).status_code == 200, ignored
    manager = signed_in(UserFactory(roles=["admin"]))
    assert manager.get("/admin/pharmacy/medicine/", {"q": "tel9253705399"}).status_code == 200
    assert desk.get(f"/admin/patients/patient/{patient}/change/").status_code == 200
    auditor = signed_in(UserFactory(roles=["auditor"]))
    assert auditor.get("/admin/audit/auditevent/", {"q": PHONE, "outcome": "failure"}).status_code == 200
    assert auditor.get("/admin/audit/auditevent/", {"q": "ph9253705399"}).status_code == 200
    export = auditor.get("/admin/audit/auditevent/export/", {"q": PHONE, "outcome": "failure"})
    assert export.status_code == 200 and b"".join(export.streaming_content)
    assert len(capture.named("patient.searched")) == SEARCHES
    assert [(e["event"], e["reason"]) for e in capture.events if e["outcome"] == "failure"] == [
        *[("patient.update", "invalid")] * 2,
        ("patient.read", "not_found"),
        *[("patient.read", "invalid")] * 2,
        ("patient.create", "duplicate_patient"),
        *[("auth.login", "invalid_credentials")] * 4,
    ]


def forbidden() -> list[str]:
    """Each phone's digits and every tail of 7 or more of them, as typed too, and each address, also
    as JSON writes them (ensure_ascii escapes an em dash or a Devanagari digit)."""
    typed = ["92537 05399", "2345 6789", "81255 30477", *VARIANTS[:-1]]
    tails = [digits[-n:] for digits in (PHONE, LANDLINE, NEW_PHONE) for n in range(7, len(digits) + 1)]
    words = [*tails, *typed, *ADDRESSES, SEARCHED_ADDRESS, "MG Road", "Banjara"]
    return sorted({form for word in words for form in (word, json.dumps(word)[1:-1])})


# PART alone, not inside a hex id or hash (where six given digits turn up by chance).
LOOSE_PART = re.compile(rf"(?<![0-9a-fA-F]){PART}(?![0-9a-fA-F])")


def test_no_sink_holds_a_phone_number_or_an_address(sinks, client_for, django_capture_on_commit_callbacks, audit):
    handlers, fake = sinks
    with django_capture_on_commit_callbacks(execute=True):
        hostile_session(client_for, audit)
    stored = {row["event_id"]: row for row in AuditEvent.objects.order_by("pk").values()}
    assert wait_until(lambda: set(stored) <= set(fake.event_ids()))
    for handler in handlers.values():
        handler.flush()
    raw = {
        "console": handlers["console"].stream.getvalue(),  # type: ignore[attr-defined]
        "console_text": handlers["console_text"].stream.getvalue(),  # type: ignore[attr-defined]
        "file": Path(handlers["file"].baseFilename).read_text(encoding="ascii"),  # type: ignore[attr-defined]
        "store": "\n".join(json.dumps(row, default=str) for row in stored.values()),
        "logbull": b"\n".join(fake.bodies).decode("utf-8"),
    }
    found = {(sink, secret) for sink, text in raw.items() for secret in forbidden() if secret in text}
    found |= {(sink, PART) for sink, text in raw.items() if LOOSE_PART.search(text)}
    assert not found, "; ".join(f"{sink} holds {secret!r}" for sink, secret in sorted(found))

    # ...and every sink holds the session: each stored event, the phone search among them masked.
    logged = {
        "console": [json.loads(line) for line in raw["console"].splitlines()],
        "file": [json.loads(line) for line in raw["file"].splitlines()],
        "store": [json.loads(row["data"]) for row in stored.values()],
        "logbull": [item["fields"] for body in fake.bodies for item in json.loads(body)["logs"]],
    }
    searched = {"filters": {"search": masked_text(PHONE)}, "count": 0}
    for sink, events in logged.items():
        assert {e["event_id"] for e in events} >= set(stored), sink
        searches = [e["details"] for e in events if e["event"] == "patient.searched"]
        assert searched in searches and mask(PHONE) in [d.get("query") for d in searches], sink
        assert {"filters": {"search": mask(PART)}, "count": 0} in searches, sink
        assert {"filters": {"search": mask(SEARCHED_ADDRESS)}, "count": 0} in searches, sink
        assert {"filters": {"name": mask(PHONE), "area": mask(PHONE)}, "count": 0} in searches, sink
        failed = [e for e in events if e["event"] == "auth.login" and e["outcome"] == "failure"]
        usernames = [mask(PHONE), f"ph{mask(PHONE)}", mask(PHONE), mask(f"91{PHONE}")]
        assert [e["details"]["username"] for e in failed] == usernames, sink
        listed = [e["details"]["filters"] for e in events if e["event"] == "patient.list_viewed"]
        assert {"all": mask(PHONE)} in listed and {"e": mask(PHONE)} in listed, sink
    assert raw["console_text"].count("patient.searched") == SEARCHES
    assert f'"new": "{mask("+918125530477")}"' in raw["console_text"]  # the change, masked by its key
