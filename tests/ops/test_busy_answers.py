"""A write whose answer waits on a held lock past the lock timeout commits nothing (PostgreSQL).

The requests that once committed their write and then answered 503, when the query building
the answer (or the write's last statement) waited on a table another session held under
ACCESS EXCLUSIVE. Now each write and its answer are one transaction (core/idempotency.py): the
answer is 503 `database_busy`, the database is as it was (no row, no success event, no
last_login, no blacklisted token), and the same request succeeds once the lock is gone. The
servers and helpers are those of test_lock_timeout.py (a 2 s lock timeout).
"""

from __future__ import annotations

import psycopg
import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import make_password

from audit.models import AuditEvent
from tests import servers
from tests.conftest import require_postgres
from tests.factories import PASSWORD, UserFactory
from tests.ops.test_lock_timeout import LOCK_SECONDS, assert_busy, database_url, psycopg_url


@pytest.fixture(scope="module")
def busy_server(django_db_setup, tmp_path_factory):  # the test database is made first
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        yield None  # the tests are skipped (or fail in CI) on SQLite
        return
    shared = {"SECRET_KEY": settings.SECRET_KEY, "AUDIT_CHAIN_KEY": settings.AUDIT_CHAIN_KEY}
    # No sealing while the tests flush the tables between them: a later server seals the trail.
    shared["AUDIT_SEAL_INTERVAL"] = "0"
    env = servers.app_env(
        database_url(), tmp_path_factory.mktemp("busy"), DB_LOCK_TIMEOUT_SECONDS=LOCK_SECONDS, **shared
    )
    server = servers.start(env, workers=1)
    yield server
    server.stop()


class World:
    """A doctor (an admin too) signed in, with a queue entry and an open consultation; the
    password is rehashed at that first sign-in, so the requests below change nothing else."""

    def __init__(self, server: servers.Server) -> None:
        from consultations.models import QueueEntry
        from tests.factories import ConsultationFactory, QueueEntryFactory

        self.url = f"{server.url}/api/v1"
        self.user = UserFactory(username="doc_busy", roles=["doctor", "admin"])
        self.user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")  # what the servers verify
        self.user.save(update_fields=["password"])
        response = self.login()
        assert response.status_code == 200, response.text[:300]
        self.tokens = response.json()
        self.entry = QueueEntryFactory(doctor=self.user, visit__status="queued")
        self.open = ConsultationFactory(
            queue_entry=QueueEntryFactory(doctor=self.user, status=QueueEntry.Status.IN_CONSULTATION)
        )

    def login(self) -> requests.Response:
        body = {"username": self.user.username, "password": PASSWORD}
        return requests.post(f"{self.url}/auth/login/", json=body, timeout=60)

    def send(self, method: str, path: str, body: dict) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens['access']}"}
        return requests.request(method, f"{self.url}/{path}", json=body, headers=headers, timeout=60)

    def successes(self, event: str) -> int:
        return AuditEvent.objects.filter(event=event, outcome="success").count()


def _open_consultation(w: World) -> requests.Response:
    return w.send("POST", "consultations/", {"queue_entry": w.entry.pk, "chief_complaint": "fever"})


def _opened(w: World) -> object:
    from consultations.models import Consultation, QueueEntry

    entry = QueueEntry.objects.get(pk=w.entry.pk)
    return Consultation.objects.filter(queue_entry=entry).count(), entry.status, w.successes("consultation.opened")


def _diagnose(w: World) -> requests.Response:
    return w.send("PATCH", f"consultations/{w.open.pk}/", {"diagnosis": "dengue fever"})


def _diagnosis(w: World) -> object:
    from consultations.models import Consultation

    found = Consultation.objects.get(pk=w.open.pk)
    return found.diagnosis, found.updated_at, w.successes("consultation.updated")


def _urgent(w: World) -> requests.Response:
    return w.send("PATCH", f"queue/{w.entry.pk}/", {"priority": "urgent"})


def _priority(w: World) -> object:
    from consultations.models import QueueEntry

    return QueueEntry.objects.get(pk=w.entry.pk).priority, w.successes("queue.priority_changed")


MEDICINE = {"name": "Busyzole", "type": "tablet", "formulation": "10 mg", "unit": "tablet", "reorder_level": 5}


def _add_medicine(w: World) -> requests.Response:
    return w.send("POST", "medicines/", MEDICINE)


def _medicines(w: World) -> object:
    from pharmacy.models import Medicine

    return Medicine.objects.filter(name=MEDICINE["name"]).count(), w.successes("medicine.created")


def _login(w: World) -> requests.Response:
    return w.login()


def _signed_in(w: World) -> object:
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    user = w.user
    user.refresh_from_db(fields=["last_login"])
    logins = AuditEvent.objects.filter(event="auth.login", outcome="success", actor_id=user.pk).count()
    return user.last_login, OutstandingToken.objects.filter(user=user).count(), logins


def _logout(w: World) -> requests.Response:
    return w.send("POST", "auth/logout/", {"refresh": w.tokens["refresh"]})


def _signed_out(w: World) -> object:
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    blacklisted = BlacklistedToken.objects.filter(token__user=w.user).count()
    return blacklisted, w.successes("auth.logout")


CASES = {  # name: (table held, request, what must not change, status once released)
    "open-consultation/prescriptions": ("consultations_prescription", _open_consultation, _opened, 201),
    "diagnosis/prescriptions": ("consultations_prescription", _diagnose, _diagnosis, 200),
    "diagnosis/medicines": ("pharmacy_medicine", _diagnose, _diagnosis, 200),
    "queue-priority/patients": ("patients_patient", _urgent, _priority, 200),
    "medicine/batches": ("pharmacy_stockbatch", _add_medicine, _medicines, 201),
    "login/outstanding-tokens": ("token_blacklist_outstandingtoken", _login, _signed_in, 200),
    "login/audit": ("audit_auditevent", _login, _signed_in, 200),
    "logout/audit": ("audit_auditevent", _logout, _signed_out, 200),
}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", list(CASES))
def test_a_write_whose_answer_waits_past_the_lock_timeout_commits_nothing(busy_server, case: str):
    """503 `database_busy`, the database as it was (no row, no success event, no last_login, no
    blacklisted token), and the same request succeeds once the lock is gone."""
    require_postgres()
    table, send, state, ok = CASES[case]
    world = World(busy_server)
    before = state(world)
    with psycopg.connect(psycopg_url()) as held:
        held.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        answer = send(world)
        held.rollback()
    assert_busy(answer)
    assert state(world) == before
    again = send(world)
    assert again.status_code == ok, again.text[:300]
    assert state(world) != before


def _refused_after_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    """patient_create writes the patient (and its event), then the request is refused (409)."""
    from core.errors import Conflict
    from patients import services

    real = services.patient_create

    def create_then_refuse(**kwargs: object) -> object:
        real(**kwargs)
        raise Conflict("refused after the write")

    monkeypatch.setattr(services, "patient_create", create_then_refuse)


@pytest.mark.django_db
@pytest.mark.parametrize("key", [None, "refused-1"])
def test_a_refused_write_rolls_back_what_it_wrote_and_keeps_its_refusal(client_for, volunteer, monkeypatch, audit, key):
    """The refusal's event is stored after the rollback (a keyed one with the stored answer)."""
    from patients.models import Patient

    _refused_after_writing(monkeypatch)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    body = {"book_no": "REFUSED-1", "name": "Asha", "age_years": 30, "sex": "female", "area": "Kothur"}
    answer = client_for(volunteer).post("/api/v1/patients/", body, format="json", **headers)
    assert answer.status_code == 409, answer.content[:300]
    assert not Patient.objects.filter(book_no="REFUSED-1").exists()
    assert not AuditEvent.objects.filter(event="patient.created", outcome="success").exists()
    assert not audit.named("patient.created")  # nor did the other sinks hear of it (on commit)
    refusal = AuditEvent.objects.get(event="patient.create", outcome="failure")
    assert (refusal.reason, refusal.actor_id) == (answer.json()["code"], volunteer.pk)
    if key:  # the refusal is the key's answer
        again = client_for(volunteer).post("/api/v1/patients/", body, format="json", **headers)
        assert again.status_code == 409 and again["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_a_rejected_token_on_a_write_is_still_stored(client_for):
    """Logged before the refusal, in the write's transaction: stored again after its rollback."""
    answer = client_for().post("/api/v1/patients/", {}, format="json", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert answer.status_code == 401
    assert AuditEvent.objects.filter(event="auth.token_rejected", reason="token_invalid").count() == 1
