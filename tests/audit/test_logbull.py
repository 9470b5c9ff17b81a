"""The LogBull sink against a loopback server that keeps LogBull's ingest contract."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from audit.logbull import LogBullHandler, config_errors
from tests.audit.logbull_kit import assert_exactly_once, log_events, make_handler, wait_until
from tests.fake_logbull import PROJECT_ID


def test_levels_are_mapped_to_what_the_server_accepts(sink, fake):
    logger, handler = sink
    ids = []
    for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL):
        ids += log_events(logger, f"lvl{level}", 1, level)
    assert_exactly_once(fake, ids)
    assert sorted({item["level"] for item in fake.items}) == ["DEBUG", "ERROR", "FATAL", "INFO", "WARN"]
    assert set(fake.answers) == {202}
    assert handler.stats()["rejected"] == 0


@pytest.mark.parametrize("outage", ["down", "500", "429", "hang", "html"])
def test_every_event_of_an_outage_arrives_once_after_recovery(sink, fake, outage):
    logger, handler = sink
    fake.retry_after = "0"
    before = log_events(logger, "before", 5)
    assert_exactly_once(fake, before)
    # The server has them; wait until the handler has its 202 too, or an outage that cuts that
    # answer makes it send them again (at least once, rightly) and they would count twice.
    assert wait_until(lambda: handler.stats()["sent"] >= 5, 5)
    if outage == "down":
        fake.stop()
    else:
        fake.set_mode(outage)
    started = time.monotonic()
    during = log_events(logger, f"{outage}", 40)
    # Logging never waits on the server: a blocking emit would take 40 x the 0.5 s read timeout.
    assert time.monotonic() - started < 5.0
    assert wait_until(lambda: handler.stats()["spooled"] >= 1, 5)
    assert not set(during) & set(fake.event_ids())
    if outage == "down":
        fake.start()
    else:
        fake.set_mode("ok")
    after = log_events(logger, "after", 5)
    assert_exactly_once(fake, before + during + after)
    stats = handler.stats()
    assert stats["retried"] >= 1 and stats["dropped"] == 0
    assert wait_until(lambda: handler.stats()["spool_files"] == 0, 5)


def test_retry_after_is_honoured(fake, tmp_path):
    handler = make_handler(fake, tmp_path / "spool", max_backoff=30)
    fake.set_mode("429")
    fake.retry_after = "3"
    before = time.monotonic()
    handler.wire.post([{"level": "INFO", "message": "x", "fields": {}}])
    after = time.monotonic()
    # The next attempt waits the server's 3 s, not the 0.5 s backoff it would otherwise take.
    assert before + 3.0 <= handler.wire.next_attempt <= after + 3.0
    handler.close()


def test_an_api_request_does_not_wait_on_a_hanging_logbull(client_for, doctor, fake, tmp_path):
    fake.hang_seconds = 20
    fake.set_mode("hang")
    handler = make_handler(fake, tmp_path / "spool", read_timeout=10, connect_timeout=10, flush_interval=0.01)
    audit_logger = logging.getLogger("medcamp.audit")
    audit_logger.addHandler(handler)
    try:
        api = client_for(doctor)
        api.post("/api/v1/auth/logout/", {}, format="json")  # the sender is now stuck on a hung request
        time.sleep(0.1)
        started = time.monotonic()
        for _ in range(5):
            assert api.post("/api/v1/auth/logout/", {}, format="json").status_code == 200
        elapsed = time.monotonic() - started
        # Waiting on LogBull would cost at least its 10 s read timeout; the hang lasts 20 s.
        assert elapsed < 5.0, f"5 requests took {elapsed:.2f}s while LogBull hangs for 20s"
    finally:
        audit_logger.removeHandler(handler)
        fake.set_mode("ok")
        handler.close()


def test_a_full_queue_spills_to_disk_instead_of_growing(fake, tmp_path):
    fake.set_mode("hang")
    handler = make_handler(fake, tmp_path / "spool", queue_size=10, batch_size=5)
    logger = logging.getLogger("test.logbull.bounded")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        ids = log_events(logger, "burst", 200)
        stats = handler.stats()
        assert stats["queued"] <= 10 + 5  # the queue plus one batch in flight
        assert stats["spooled"] >= 180
        assert stats["spool_files"] <= 200 // 10 + 1  # one file per queue-full, not one per event
        fake.set_mode("ok")
        assert_exactly_once(fake, ids, timeout=15)
    finally:
        logger.removeHandler(handler)
        handler.close()


def test_items_the_server_rejects_are_counted_and_kept(sink, fake, tmp_path):
    logger, handler = sink
    log_events(logger, "fine", 2)
    handler.emit(logging.makeLogRecord({"levelname": "INFO", "msg": "", "name": "x", "audit": {"event_id": "empty"}}))
    bad = handler.to_item(logging.makeLogRecord({"levelname": "INFO", "msg": "m"}))
    bad["level"] = "CRITICAL"  # what the official client sends
    handler.wire.post([bad])
    assert wait_until(lambda: len(fake.items) >= 3)
    assert handler.stats()["rejected"] == 1
    rejected = (tmp_path / "spool" / "rejected.jsonl").read_text().splitlines()
    assert json.loads(rejected[0])["error"] == "INVALID_LOG_LEVEL"


def test_a_bad_request_is_split_to_isolate_the_item_at_fault(fake, tmp_path):
    handler = make_handler(fake, tmp_path / "spool")
    items = [handler.to_item(logging.makeLogRecord({"levelname": "INFO", "msg": f"m{i}"})) for i in range(4)]
    items[2]["message"] = "x" * 20_000  # over the server's 10,000 characters
    original = fake.answer

    def strict(path: str, headers: Any, body: bytes) -> Any:
        logs = json.loads(body)["logs"]
        if any(len(item["message"]) > 10_000 for item in logs):
            return 400, {"Content-Type": "application/json"}, b'{"error": "Invalid request format"}'
        return original(path, headers, body)

    fake.answer = strict  # type: ignore[method-assign]
    handler.wire.deliver(items)
    assert len(fake.items) == 3
    assert handler.stats()["rejected"] == 1
    handler.close()


def test_non_json_200_is_not_counted_as_sent(sink, fake):
    logger, handler = sink
    fake.set_mode("html")
    ids = log_events(logger, "html", 3)
    assert wait_until(lambda: handler.stats()["spooled"] == 3)
    assert handler.stats()["sent"] == 0
    fake.set_mode("ok")
    assert_exactly_once(fake, ids)


def test_items_stay_within_the_servers_limits(fake, tmp_path):
    handler = make_handler(fake, tmp_path / "spool")
    record = logging.makeLogRecord(
        {"levelname": "INFO", "msg": "m" * 50_000, "audit": {"event_id": "big", "blob": "b" * 200_000}}
    )
    item = handler.to_item(record)
    assert len(item["message"]) <= 10_000
    handler.wire.deliver([item])  # the sender fits it under the server's 64 KB
    assert fake.wait_for(1)
    sent = fake.items[0]
    assert len(json.dumps(sent)) < 64 * 1024
    assert sent["fields"] == {"event_id": "big", "truncated": True}
    handler.close()


@pytest.mark.parametrize(
    ("host", "project", "fragment"),
    [
        ("http://logbull:4005/", PROJECT_ID, "trailing slash"),
        ("logbull:4005", PROJECT_ID, "http(s)://"),
        ("http://logbull:4005/api", PROJECT_ID, "no path"),
        ("http://logbull:99999", PROJECT_ID, "port"),
        ("http://logbull:4005", "not-a-uuid", "UUID"),
    ],
)
def test_malformed_config_is_refused(host, project, fragment, settings):
    assert any(fragment in problem for problem in config_errors(host, project))
    settings.LOGBULL_HOST, settings.LOGBULL_PROJECT_ID = host, project
    from audit.checks import logbull_settings

    errors = logbull_settings()
    assert errors and all(error.id == "audit.E002" for error in errors)
    with pytest.raises(ValueError):
        LogBullHandler(host, project)


def test_host_without_project_is_refused(settings):
    from audit.checks import logbull_settings

    settings.LOGBULL_HOST, settings.LOGBULL_PROJECT_ID = "http://127.0.0.1:4005", ""
    assert [e.id for e in logbull_settings()] == ["audit.E001"]


def test_health_shows_the_sink_counters(anon):
    body = anon.get("/api/v1/health/").json()
    assert body["database"] == "ok"
    counters = body["audit"]["logbull"]
    assert {"sent", "queued", "retried", "spooled", "dropped", "rejected", "spool_files"} <= set(counters)
    assert counters["sent"] > 0  # the session's own sink has delivered events by now
