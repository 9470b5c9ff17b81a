"""The desk: one box finds a patient, someone already here is told so, a refusal shows once, success says what next."""

from __future__ import annotations

import pytest
from django.test import Client, TestCase

from patients.models import Visit
from tests.admin.test_camp_day_pages import VITALS
from tests.factories import CampFactory, PatientFactory, QueueEntryFactory, UserFactory, VisitFactory

pytestmark = pytest.mark.django_db
DESK = "/admin/patients/visit/desk/"


@pytest.fixture
def volunteer() -> Client:
    client = Client()
    client.force_login(UserFactory(roles=["volunteer"]))
    return client


@pytest.fixture
def camp():
    return CampFactory(status="active")


def post(client: Client, data: dict) -> str:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(DESK, data).content.decode()


def test_one_box_finds_by_book_number_name_phone_or_area(volunteer, camp, audit):
    PatientFactory(book_no="KP-114", name="Sunita Devi", phone="9848012345", area="Kondapur")
    PatientFactory(name="Ramu Goud", area="Kothur")
    for term in ("kp-114", "sunita", "DEVI", "unita", "8012345", "kondapur"):
        page = volunteer.get(DESK, {"q": term}).content.decode()
        assert "Sunita Devi" in page and "Ramu Goud" not in page, term
    assert "No patient matches" in volunteer.get(DESK, {"q": "nobody"}).content.decode()
    searches = audit.named("patient.searched")
    assert len(searches) == 7 and searches[0]["details"]["door"] == "desk"
    assert "8012345" not in str(searches)  # a phone number is masked in the trail


# The same names in Telugu, Devanagari (with a nukta letter typed as one code point, U+0958,
# which NFC spells as two) and non-ASCII Latin: SQLite's LIKE alone folds only ASCII.
SCRIPTS = [
    ("సునీత దేవి", "దేవి"),
    ("\u0915\u093c\u092e\u0932\u093e \u0926\u0947\u0935\u0940", "\u0958\u092e\u0932\u093e"),
    ("Élodie Ñúñez", "élodie ñ"),
    ("ANNA ÖZTÜRK", "öztürk"),
]


@pytest.mark.parametrize(("name", "typed"), SCRIPTS)
def test_names_are_found_in_any_script_and_case(volunteer, camp, client_for, name, typed):
    PatientFactory(name=name)
    PatientFactory(name="Ramu Goud")
    page = volunteer.get(DESK, {"q": typed}).content.decode()
    assert name in page and "Ramu Goud" not in page
    api = client_for(UserFactory(roles=["volunteer"]))
    found = api.get("/api/v1/patients/", {"search": typed}).json()["results"]
    assert [p["name"] for p in found] == [name]
    admin_list = volunteer.get("/admin/patients/patient/", {"q": typed}).content.decode()
    assert name in admin_list and "Ramu Goud" not in admin_list


def test_someone_already_registered_today_is_told_their_token(volunteer, camp):
    visit = VisitFactory(camp=camp, patient__book_no="KP-7", patient__name="Asha", status="queued")
    page = post(volunteer, {"book_no": "KP-7"})  # no vitals typed: no vitals errors either
    assert f"Asha is already registered: token {visit.token_number}, queued." in page
    assert "This field is required" not in page and Visit.objects.filter(camp=camp).count() == 1


def test_a_refusal_shows_once_next_to_its_field_and_names_the_patient_in_the_trail(volunteer, camp, audit):
    patient = PatientFactory(book_no="KP-9")
    page = post(volunteer, {"book_no": "KP-9", **VITALS, "bp_systolic": "120", "bp_diastolic": "130"})
    assert page.count("Diastolic (130) must be lower than systolic (120)") == 1
    assert not Visit.objects.filter(patient=patient).exists()  # nothing half-written
    refused = audit.one("visit.create")
    assert refused["outcome"] == "failure" and refused["patient_id"] == patient.pk
    assert refused["camp_id"] == camp.pk  # the camp it asked for: on that camp's trail too


def test_success_names_the_doctor_the_priority_and_how_many_wait_ahead(volunteer, camp):
    doctor = UserFactory(roles=["doctor"], first_name="Meena", last_name="Iyer")
    for _ in range(2):
        QueueEntryFactory(doctor=doctor, visit__camp=camp)
    data = {"book_no": "NEW-1", "name": "Ramu", "age_years": "50", "sex": "male", "area": "Kothur", **VITALS}
    page = post(volunteer, {**data, "doctor": str(doctor.pk), "priority": "normal"})
    assert "Sent to <strong>Meena Iyer</strong>, normal: 2 waiting ahead." in page


def test_only_blood_pressure_and_pulse_are_required_at_the_desk_and_in_the_api(volunteer, camp, client_for):
    data = {"book_no": "BP-1", "name": "Ramu", "age_years": "50", "sex": "male", "area": "Kothur"}
    page = post(volunteer, {**data, "bp_systolic": "130", "bp_diastolic": "85", "pulse": "72"})
    assert "Token " in page and "This field is required" not in page
    visit = VisitFactory(camp=camp)
    api = client_for(UserFactory(roles=["volunteer"]))
    answer = api.post(
        f"/api/v1/visits/{visit.pk}/vitals/", {"bp_systolic": 128, "bp_diastolic": 82, "pulse": 70}, format="json"
    )
    assert answer.status_code == 201 and answer.json()["rbs"] is None and answer.json()["weight_kg"] is None
    missing = api.post(f"/api/v1/visits/{VisitFactory(camp=camp).pk}/vitals/", {"pulse": 70}, format="json")
    assert missing.status_code == 400 and {"bp_systolic", "bp_diastolic"} <= set(missing.json()["fields"])


def test_a_patient_without_a_booklet_gets_the_camps_next_book_number(volunteer):
    camp = CampFactory(status="active", book_prefix="kot")
    PatientFactory(book_no="KOT-0002")  # a booklet handed out by hand earlier: skipped
    given = []
    for name in ("Ramu", "Sita", "Laxman"):
        data = {"book_no": "", "name": name, "age_years": "40", "sex": "male", "area": "Kothur", **VITALS}
        page = post(volunteer, data)
        assert "Token " in page, page[:300]
        given.append(Visit.objects.get(camp=camp, patient__name=name).patient.book_no)
    assert given == ["KOT-0001", "KOT-0003", "KOT-0004"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_desks_give_distinct_book_numbers():
    import threading

    from django.db import connection, transaction

    from camps.services import camp_next_book_no
    from tests.conftest import require_postgres

    require_postgres()
    camp = CampFactory(book_prefix="RACE")
    barrier, numbers, errors = threading.Barrier(8), [], []

    def desk() -> None:
        try:
            barrier.wait()
            for _ in range(10):
                with transaction.atomic():
                    numbers.append(camp_next_book_no(camp_id=camp.pk))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=desk) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and sorted(numbers) == [f"RACE-{n:04d}" for n in range(1, 81)]
