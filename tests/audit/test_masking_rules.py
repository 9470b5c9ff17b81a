"""How audit.sanitize masks personal data: phone numbers in free text, search terms over personal data,
values by key; what it keeps. The sinks themselves are scanned in test_personal_data_in_sinks."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from audit.catalogue import Kind
from audit.event_types import EVENTS
from audit.events import build_event
from audit.models import AuditEvent
from audit.sanitize import holds_personal_data, mask, masked_term, masked_text
from patients.models import Patient, Vitals
from tests.audit.test_personal_data_in_sinks import ADDRESSES, PHONE, SEARCHED_ADDRESS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "logged"),
    [
        ("9253705399", "{9253705399}"),
        ("+91 92537 05399", "{919253705399}"),
        ("call 092537-05399 after 5", "call {09253705399} after 5"),
        ("(040) 2345 6789", "{04023456789}"),
        ("Ravi, +91 (40) 2345-6789.", "Ravi, {914023456789}."),
        ("login refused for '9253705399'", "login refused for '{9253705399}'"),
        ("user_1234567", "user_{1234567}"),
        ("ravi1234567", "ravi{1234567}"),  # a letter may touch a number
        ("92537  05399 or 9253/705/399", "{9253705399} or {9253705399}"),
        ("92537_05399 or 92537,05399 or 92537..05399", "{9253705399} or {9253705399} or {9253705399}"),
        ("92537\u201405399 or 92537\u201305399 or 92537\u200b05399", "{9253705399} or {9253705399} or {9253705399}"),
        ("ph9253705399 or 9253705399x or MOB9253705399", "ph{9253705399} or {9253705399}x or MOB{9253705399}"),
        ("\u096f\u0968\u096b\u0969\u096d\u0966\u096b\u0969\u096f\u096f", "{9253705399}"),  # read as 0-9
        ("\uff19\uff12\uff15\uff13\uff17\uff10\uff15\uff13\uff19\uff19", "{9253705399}"),
        ("925.370.539.9", "{9253705399}"),  # not an IPv4 address: an octet is at most 255
        ("9253705399925370539", "{9253705399925370539}"),  # digits only: not a hex id
    ],
)
def test_a_phone_number_in_free_text_is_masked_where_it_stands(typed, logged):
    expected = logged
    for digits in (
        "9253705399",
        "919253705399",
        "09253705399",
        "04023456789",
        "914023456789",
        "1234567",
        "9253705399925370539",
    ):
        expected = expected.replace(f"{{{digits}}}", str(mask(digits)))
    assert masked_text(typed) == expected
    assert masked_text(expected) == expected  # masking twice changes nothing


@pytest.mark.parametrize(
    "kept",
    [
        "2026-12-07",
        "2026-12-07T17:26:19.123+05:30",
        "2026-12-07 10:30:00+05:30",
        "07-12-2026",
        "a9f3c2e1b4d54c0f8e7a6b5c4d3e2f10",  # an event id
        "1234567abcdef0123456789abcdef0123456789abcdef0123456789abcdef012",  # a hash with long digit runs
        "12345678-1234-5678-9abc-def012345678",  # a request id
        "192.168.100.200",
        "KP-0042",
        "123456",
        "0123456789abcdef",  # 16 hex characters with a letter
        "at 2026-12-07 10:30:00, 12 events",
    ],
)
def test_what_is_not_a_phone_number_is_kept(kept):
    assert masked_text(kept) == kept


def test_personal_data_is_masked_by_key_at_any_depth_and_in_text_only_where_asked():
    record = build_event(
        EVENTS.attempt("patient", Kind.UPDATE),
        outcome="failure",
        reason=f"refused {PHONE}",
        changes={"notes": {"old": "", "new": f"batch {PHONE}"}, "address": {"old": "", "new": ADDRESSES[0]}},
        details={"filters": {"phone": "12", "address": ADDRESSES[0], "q": [{"deep": f"+91 {PHONE}"}]}, "seq": 12345678},
        message=f"searched {PHONE} at 2026-12-07T17:26:19.123+05:30",
    )
    assert record["details"]["filters"] == {
        "phone": mask("12"),
        "address": mask(ADDRESSES[0]),
        "q": [{"deep": masked_text(f"91{PHONE}")}],
    }
    assert record["details"]["seq"] == 12345678  # a number is not text
    assert record["reason"] == f"refused {mask(PHONE)}"
    assert record["message"] == f"searched {mask(PHONE)} at 2026-12-07T17:26:19.123+05:30"
    assert record["changes"] == {
        "notes": {"old": "", "new": f"batch {PHONE}"},
        "address": {"old": "", "new": mask(ADDRESSES[0])},
    }


def test_mask_is_keyed(settings):
    before = mask(PHONE)
    settings.AUDIT_CHAIN_KEY = "another key for this deployment"
    assert mask(PHONE) != before and mask(PHONE)[:6] == before[:6] == "***99#"


@pytest.mark.parametrize(
    ("term", "logged"),
    [
        ("925370", "{925370}"),  # part of a phone: whole, as its digits
        ("ph 92537-05399", "{9253705399}"),
        (SEARCHED_ADDRESS, "{address}"),  # an address: a digit and a comma, masked whole
        ("Flat 4B", "{address}"),
        ("Gandhi Nagar, Kothur", "{address}"),
        ("Sunita Devi", "Sunita Devi"),  # a name is kept: the trail shows it anyway
        ("KP-0901", "KP-0901"),  # a book number
        ("42", "42"),  # an id, a page
    ],
)
def test_a_search_over_personal_data_is_masked_term_by_term(term, logged):
    expected = logged.replace("{address}", str(mask(term)))
    for digits in ("925370", "9253705399"):
        expected = expected.replace(f"{{{digits}}}", str(mask(digits)))
    assert masked_term(term, personal=True) == expected
    assert masked_term(term, personal=False) == masked_text(term)  # elsewhere: free text


def test_what_holds_personal_data():
    assert holds_personal_data(Patient) and holds_personal_data(get_user_model())
    assert not holds_personal_data(Vitals) and not holds_personal_data(AuditEvent)
