"""Hostile requests to every route, with and without an account: no 5xx, ever.

Every route of the URL resolver (the API with real ids, admin's pages, changelists, change,
add and history views, /metrics, health, the schema and docs, the auth endpoints) gets, as
anonymous, as a volunteer (token and session) and as an admin: JSON nested 1,000 and
100,000 deep, a 20 MB body, malformed bodies (invalid JSON, invalid UTF-8, another content
type, multipart junk, a charset that is no text), control and non-ASCII bytes in every
header, and junk and far dates and numbers in every query parameter. Each answer must be no
5xx, in the error shape `{detail, code}` on /api/ and /metrics when it is a 4xx, and the
domain tables must hold exactly what they held before (refusals' audit events are expected).
Hypothesis then mixes headers, queries and routes at random (derandomized: the same run in CI).
"""

from __future__ import annotations

import time
import zlib
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hardening.hostile import (
    WRITES,
    Answer,
    Route,
    call,
    domain_rows,
    identities,
    lone_surrogate_bodies,
    problem,
    routes,
)
from tests.hardening.hostile_world import snapshot, world

pytestmark = pytest.mark.django_db

NUL_AND_HIGH = "\xff\xfe\x00\x01\x1b\x7f\xc3\xa9"  # raw bytes 0xff 0xfe NUL SOH ESC DEL, and "é" in UTF-8
JUNK_HEADERS = {
    "HTTP_X_REQUEST_ID": "abc\n" + NUL_AND_HIGH,
    "HTTP_ACCEPT_LANGUAGE": NUL_AND_HIGH + ";q=\xff, *;q=-1, hi-" + "x" * 300,
    "HTTP_IF_NONE_MATCH": NUL_AND_HIGH,
    "HTTP_IF_MATCH": '"' + NUL_AND_HIGH,
    "HTTP_IF_MODIFIED_SINCE": "Sat, 31 Dec 9999 23:59:59 GMT\xff",
    "HTTP_IF_UNMODIFIED_SINCE": "\x00" * 8,
    "HTTP_IF_RANGE": NUL_AND_HIGH,
    "HTTP_RANGE": "bytes=-99999999999999999999999",
    "HTTP_USER_AGENT": NUL_AND_HIGH * 50,
    "HTTP_REFERER": "http://\xff\x00/",
    "HTTP_X_FORWARDED_FOR": NUL_AND_HIGH + ", \xff, 999.1.1.1",
    "HTTP_X_FORWARDED_PROTO": NUL_AND_HIGH,
    "HTTP_FORWARDED": "for=" + NUL_AND_HIGH,
    "HTTP_ACCEPT_ENCODING": NUL_AND_HIGH,
    "HTTP_CACHE_CONTROL": NUL_AND_HIGH,
    "HTTP_IDEMPOTENCY_KEY": NUL_AND_HIGH,
}
ALONE = [  # headers that end a request on their own: each gets a request of its own
    {"HTTP_AUTHORIZATION": "Bearer \xff\x00" + NUL_AND_HIGH},
    {"HTTP_AUTHORIZATION": "\x00\x01 \x02"},
    {"HTTP_AUTHORIZATION": "Bearer " + "eyJ" * 3000 + ".e30.x"},
    {"HTTP_HOST": NUL_AND_HIGH},
    {"HTTP_ORIGIN": "null\x00\xff", "HTTP_X_CSRFTOKEN": NUL_AND_HIGH},
    {"HTTP_ACCEPT": NUL_AND_HIGH + ";q=\xff"},
    {"HTTP_COOKIE": "sessionid=" + "\x00" * 40 + "; csrftoken=\xff\x00; \xff=\x00"},
    {"HTTP_COOKIE": "sessionid=" + "\xff\xfe\x01\x1b\x7f" * 8 + "; csrftoken=\x7f" + "x" * 4000},
    {"CONTENT_TYPE": NUL_AND_HIGH + "; charset=\xff"},
    {"CONTENT_LENGTH": "-1"},
    {"CONTENT_LENGTH": "9" * 40},
]
DEEP = {"1,000 deep": b"[" * 1000 + b"]" * 1000, "100,000 deep": b'{"a":' * 100_000}
HUGE = b"x" * (20 * 2**20)  # 20 MB
BODIES = [
    *[(name, "application/json", body) for name, body in DEEP.items()],
    ("20 MB", "application/json", HUGE),
    ("invalid JSON", "application/json", b'{"name": "x",, ]'),
    ("invalid UTF-8", "application/json", b'{"name": "\xff\xfe\xc3"}'),
    ("a number past int()", "application/json", b'{"name": ' + b"9" * 5000 + b"}"),
    ("NaN", "application/json", b'{"quantity": NaN, "name": 1e999}'),
    ("another type", "text/plain", b"name=x"),
    ("multipart, no boundary", "multipart/form-data", b"--\r\n\x00\xff"),
    ("multipart junk", "multipart/form-data; boundary=zz", b"\xff\x00 no boundary in here"),
    ("zlib charset", "application/json; charset=zlib", zlib.compress(b"{}" * 100_000)),
    *[(name, "application/json", body) for name, body in lone_surrogate_bodies().items()],
]
PARAMETERS = [
    *("page", "page_size", "ordering", "camp", "doctor", "patient", "visit", "search", "book_no", "name", "area"),
    *("phone", "location", "status", "q", "p", "o", "e", "mine", "pickup", "export", "format", "all", "id__gt"),
    *("from", "to", "date", "timestamp__gte", "timestamp__lt", "date__gte", "date__lt", "expiry_date__gte"),
    *("date__year", "date__month", "date__day", "expiry_date__year", "_changelist_filters", "action", "outcome"),
]
JUNK_VALUES = ["9" * 5000, "-1", "²", "٣", "1e999", "NaN", "-0", "99999999999999999999999", "2026-13-45", "' OR 1=1"]
FAR = {"9999-12-31", "0001-01-01", "99999", "10000"}


def _queries() -> list[str]:
    junk = {name: JUNK_VALUES[i % len(JUNK_VALUES)] for i, name in enumerate(PARAMETERS)}
    far = {name: "9999" for name in PARAMETERS} | {"from": "9999-12-30", "to": "9999-12-31", "date": "9999-12-31"}
    lookups = "date__year=9999&date__month=12&date__day=31&timestamp__gte=0001-01-01&expiry_date__iso_year=0"
    raw = "page=\xff\x00&from=\xff&to=%FF%00&q=" + quote("\u202e\ufeff") + "&\x00=\x1b"
    return [urlencode(junk), urlencode(far), lookups, urlencode({"from": "0001-01-01", "to": "0001-01-02"}), raw]


class Sweep:
    """Sends requests and keeps count: routes, requests, answers out of bounds."""

    def __init__(self) -> None:
        self.sent = 0
        self.server_errors = 0
        self.failures: list[str] = []

    def send(self, route: Route, method: str, **request: object) -> Answer:
        answer = call(method, route.path, **request)  # type: ignore[arg-type]
        self.sent += 1
        self.server_errors += answer.status >= 500
        found = problem(route, answer)
        if found:
            shown = {k: (v[:40] if isinstance(v, (str, bytes)) else v) for k, v in request.items()}
            self.failures.append(f"{method} {route.path} {shown}: {found}")
        return answer


def _attack(sweep: Sweep, route: Route, headers: dict[str, str], methods: tuple[str, ...]) -> None:
    for query in _queries() if "GET" in methods else []:
        sweep.send(route, "GET", query=query, headers=headers)
    for method in methods:
        sweep.send(route, method, headers={**headers, **JUNK_HEADERS})
    for alone in ALONE if methods else []:  # each ends the request where it is read: one method shows it
        sweep.send(route, methods[0], headers={**headers, **alone})
    for method in [m for m in methods if m in WRITES]:
        for _name, content_type, body in BODIES:
            sweep.send(route, method, body=body, headers={**headers, "CONTENT_TYPE": content_type})


@pytest.mark.parametrize("who", ["anonymous", "volunteer", "admin"])
def test_every_route_survives_hostile_requests(who, wsgi_in_test, settings):
    settings.METRICS_TOKEN = "metrics-token-for-the-hostile-suite"  # the Bearer compare runs
    world()
    identity = next(i for i in identities() if i.name == who)
    every = routes()
    before, rows = snapshot(), domain_rows()
    sweep, started = Sweep(), time.monotonic()
    for route in every:
        _attack(sweep, route, identity.headers, tuple(m for m in route.methods if m != "DELETE"))
    after = snapshot()
    changed = {label: (before[label], after[label]) for label in before if before[label] != after[label]}
    assert domain_rows() == rows and not changed, f"refused writes changed the domain tables: {changed}"
    # DELETE takes no body: an admin's DELETE whatever junk it carries withdraws what it names,
    # as asked. Its hostile requests come last, checked for their answers only.
    for route in every:
        _attack(sweep, route, identity.headers, tuple(m for m in route.methods if m == "DELETE"))
    seconds = time.monotonic() - started
    print(f"\nhostile as {who}: {len(every)} routes, {sweep.sent} requests, {sweep.server_errors} 5xx, {seconds:.1f} s")
    assert not sweep.failures, f"{len(sweep.failures)} answers out of bounds:\n" + "\n".join(sweep.failures[:20])
    assert len(every) >= 150 and sweep.sent >= 3000, (len(every), sweep.sent)


EXAMPLES = settings(
    max_examples=250, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
# a header's raw bytes, as WSGI gives them (code points 0 to 255)
BYTES = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=40)
HEADER_NAMES = sorted({*JUNK_HEADERS, "HTTP_AUTHORIZATION", "HTTP_ACCEPT", "CONTENT_TYPE", "HTTP_COOKIE"})
QUERY = st.dictionaries(
    st.sampled_from(PARAMETERS), st.one_of(st.sampled_from([*JUNK_VALUES, *FAR]), BYTES, st.integers().map(str))
)


def test_random_headers_and_queries_on_random_routes(wsgi_in_test):
    world()
    every, people = routes(), identities()
    rows, sweep = domain_rows(), Sweep()

    @EXAMPLES
    @given(
        route=st.sampled_from(every),
        who=st.sampled_from(people),
        headers=st.dictionaries(st.sampled_from(HEADER_NAMES), BYTES, max_size=4),
        query=QUERY,
    )
    def check(route: Route, who: object, headers: dict[str, str], query: dict[str, str]) -> None:
        method = "GET" if "GET" in route.methods else route.methods[0]
        sweep.send(route, method, query=urlencode(query), headers={**who.headers, **headers})  # type: ignore[attr-defined]

    check()
    print(f"\nhostile at random: {sweep.sent} requests, {sweep.server_errors} 5xx")
    assert not sweep.failures, "\n".join(sweep.failures[:20])
    assert domain_rows() == rows
