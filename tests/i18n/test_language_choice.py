"""Which language answers: the API (Accept-Language, else the user's preference, else English),
admin pages (the user's preference, applied at sign-in; the switcher), and the audit trail,
which stays English whatever language answered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, TestCase

from accounts.models import User
from tests.factories import CampFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_api_answers_in_accept_language_with_the_same_code(client_for, volunteer):
    api = client_for(volunteer)
    english = api.post("/api/v1/patients/", {"name": ""}, format="json")
    hindi = api.post("/api/v1/patients/", {"name": ""}, format="json", HTTP_ACCEPT_LANGUAGE="hi-IN,hi;q=0.9,en;q=0.5")
    telugu = api.post("/api/v1/patients/", {"name": ""}, format="json", HTTP_ACCEPT_LANGUAGE="te")
    assert english.json()["code"] == hindi.json()["code"] == telugu.json()["code"] == "invalid"
    assert english.json()["detail"].startswith("Some fields are invalid")
    assert hindi.json()["detail"].startswith("कुछ फ़ील्ड सही नहीं हैं")
    # DRF has no Hindi or Telugu catalogue: library_locale supplies its field messages.
    assert hindi.json()["fields"]["name"] == ["यह खाली नहीं हो सकता।"]
    assert telugu.json()["fields"]["book_no"] == ["ఇది తప్పనిసరి."]
    assert telugu.json()["detail"].startswith("కొన్ని ఫీల్డ్‌లు సరిగా లేవు")
    assert (hindi["Content-Language"], telugu["Content-Language"], english["Content-Language"]) == ("hi", "te", "en")


def test_without_accept_language_the_users_preference_answers(client_for):
    telugu_reader = UserFactory(roles=["admin"], language="te")
    no_preference = UserFactory(roles=["admin"])
    api = client_for(telugu_reader)
    missing = api.get("/api/v1/camps/999999/")
    assert (missing.status_code, missing.json()["code"], missing["Content-Language"]) == (404, "not_found", "te")
    assert missing.json()["detail"] == "అలాంటి రికార్డు లేదు."
    # A language MedCamp does not speak is no answer: the preference decides.
    assert api.get("/api/v1/camps/999999/", HTTP_ACCEPT_LANGUAGE="fr")["Content-Language"] == "te"
    # The app's own language wins over the preference.
    assert api.get("/api/v1/camps/999999/", HTTP_ACCEPT_LANGUAGE="hi")["Content-Language"] == "hi"
    assert client_for(no_preference).get("/api/v1/camps/999999/").json()["detail"] == "No such record."


def test_the_audit_trail_stays_english_whatever_language_answered(client_for, volunteer, audit):
    camp = CampFactory(status="active")
    api = client_for(volunteer)
    patient = api.post(
        "/api/v1/patients/",
        {"book_no": "I18N-1", "name": "Sita", "age_years": 40, "sex": "female", "area": "Kothur"},
        format="json",
    )
    visit = api.post(f"/api/v1/patients/{patient.json()['id']}/visits/", {"camp": camp.pk}, format="json")
    assert visit.status_code == 201, visit.json()
    hindi = api.post(
        "/api/v1/queue/", {"visit": visit.json()["id"], "doctor": 999999}, format="json", HTTP_ACCEPT_LANGUAGE="hi"
    )
    assert (hindi.status_code, hindi.json()["code"]) == (400, "invalid")
    assert hindi.json()["detail"] == "डॉक्टर चुनें।"
    assert hindi.json()["fields"] == {"doctor": ["उपयोगकर्ता 999999 डॉक्टर नहीं हैं।"]}
    refused = audit.named("queue.create")[-1]
    assert refused["outcome"] == "failure" and refused["reason"] == "invalid"
    assert refused["message"].endswith("Choose a doctor.")
    assert refused["details"]["fields"] == {"doctor": ["User 999999 is not a doctor."]}
    telugu = api.post("/api/v1/patients/", {"name": "", "age_years": 400}, format="json", HTTP_ACCEPT_LANGUAGE="te")
    assert telugu.json()["fields"]["age_years"] == ["వయస్సు 0 నుండి 130 సంవత్సరాల మధ్య ఉండాలి."]
    invalid = audit.named("patient.create")[-1]
    # DRF's messages are words of the request's language: the trail keeps their codes.
    assert invalid["details"]["fields"]["name"] == ["blank"]
    assert invalid["details"]["fields"]["age_years"] == ["invalid"]
    for event in audit.events:
        assert f"{event.get('message', '')} {event.get('details', '')}".isascii(), event


def _admin_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_follow_the_users_preference_from_sign_in():
    doctor = UserFactory(roles=["doctor"], language="hi", password="Long-enough-pass-1")
    client = Client()
    signed = client.post(
        "/admin/login/?next=/admin/", {"username": doctor.username, "password": "Long-enough-pass-1"}, follow=True
    )
    page = signed.content.decode()
    assert signed.status_code == 200 and 'lang="hi"' in page
    assert "मेरी कतार" in page or "शिविर का दिन" in page  # the camp-day panel, in Hindi
    assert "कोई शिविर चालू नहीं है।" in page


def test_the_switcher_saves_the_users_language_as_an_audited_change(audit):
    volunteer = UserFactory(roles=["volunteer"])
    client = _admin_client(volunteer)
    assert 'lang="en"' in client.get("/admin/").content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        switched = client.post("/admin/language/", {"language": "te", "next": "/admin/"})
    assert (switched.status_code, switched["Location"]) == (302, "/admin/")
    assert switched.cookies["django_language"].value == "te"
    volunteer.refresh_from_db()
    assert volunteer.language == "te"
    event = audit.one("user.updated")
    assert event["changes"] == {"language": {"old": "", "new": "te"}} and event["source"] == "admin"
    page = client.get("/admin/").content.decode()
    assert 'lang="te"' in page and "శిబిరం రోజు" in page
    # Somewhere else: refused, and nothing changes.
    away = client.post("/admin/language/", {"language": "hi", "next": "https://elsewhere.example/"})
    assert away["Location"] == "/admin/"
    assert client.post("/admin/language/", {"language": "xx"})["Location"] == "/admin/"
    volunteer.refresh_from_db()
    assert volunteer.language == "hi"
    assert client.get("/admin/language/").status_code == 405


def test_an_admin_sets_a_users_language_on_the_users_page(audit):
    admin = UserFactory(roles=["admin"], is_superuser=True)
    target = UserFactory(roles=["pharmacist"])
    client = _admin_client(admin)
    form = client.get(f"/admin/accounts/user/{target.pk}/change/").content.decode()
    assert 'name="language"' in form and "తెలుగు" in form


def test_dates_are_written_in_the_pages_language():
    CampFactory(status="active", name="Kothur", date=dt.date(2026, 12, 2))
    for language, month in (("hi", "दिसंबर"), ("te", "డిసెంబర్")):
        page = _admin_client(UserFactory(roles=["volunteer"], language=language)).get("/admin/").content.decode()
        assert f"2 {month} 2026" in page, language


def test_before_sign_in_the_page_follows_the_device():
    client = Client()
    english = client.get("/admin/login/").content.decode()
    assert 'lang="en"' in english and 'id="language-switcher"' in english
    assert 'lang="hi"' in client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="hi-IN,hi").content.decode()
    chosen = client.post("/admin/language/", {"language": "te", "next": "/admin/login/"})
    assert (chosen.status_code, chosen["Location"]) == (302, "/admin/login/")
    telugu = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="hi").content.decode()
    assert 'lang="te"' in telugu and "<title>ప్రవేశించండి" in telugu  # the device's choice wins over the browser's


def test_names_in_events_are_english_whatever_the_request_speaks():
    from django.utils import translation

    from audit.diff import to_json
    from consultations.models import QueueEntry
    from tests.factories import MedicineFactory

    medicine = MedicineFactory(name="Paracetamol", type="tablet", formulation="500 mg")
    with translation.override("hi"):
        assert str(medicine) == "Paracetamol 500 mg (गोली)"  # the screens' name
        assert to_json(medicine) == {"id": medicine.pk, "name": "Paracetamol 500 mg (tablet)"}
        assert to_json(QueueEntry.Status.WAITING.label) == "Waiting"


def test_an_admin_sets_a_users_language_through_the_api(client_for, admin_user, audit):
    target = UserFactory(roles=["pharmacist"])
    api = client_for(admin_user)
    changed = api.patch(f"/api/v1/users/{target.pk}/", {"language": "te"}, format="json")
    assert changed.status_code == 200 and changed.json()["language"] == "te"
    assert audit.one("user.updated")["changes"] == {"language": {"old": "", "new": "te"}}
    refused = api.patch(f"/api/v1/users/{target.pk}/", {"language": "xx"}, format="json")
    assert (refused.status_code, refused.json()["code"], list(refused.json()["fields"])) == (
        400,
        "invalid",
        ["language"],
    )
    me = client_for(User.objects.get(pk=target.pk)).get("/api/v1/auth/me/")
    assert me.json()["language"] == "te" and me["Content-Language"] == "te"


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "*",
        "xx-YY",
        "hi;q=abc",
        "te;q=2,,,;;",
        "hi-" + "x" * 5000,
        "\u00e9\u00e8;q=0.5",
        "en;q=0, hi;q=0.1",
        "te" * 3000,
    ],
)
def test_junk_in_accept_language_or_the_cookie_never_breaks_an_answer(client_for, junk):
    user = UserFactory(roles=["admin"])
    answer = client_for(user).get("/api/v1/camps/999999/", HTTP_ACCEPT_LANGUAGE=junk)
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    assert answer["Content-Language"] in {"en", "hi", "te"}
    page = Client()
    page.cookies["django_language"] = junk or "../../etc/passwd"
    assert page.get("/admin/login/", HTTP_ACCEPT_LANGUAGE=junk).status_code == 200
