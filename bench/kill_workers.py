"""kill -9 of gunicorn workers while they write: does every committed event reach the file and LogBull?

    .venv/bin/python bench/kill_workers.py [--seconds 60] [--every 3] [--writers 4]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medcamp_kill .venv/bin/python bench/kill_workers.py

Two gunicorn workers on 127.0.0.1 (sealing and shipping every second), a loopback fake
LogBull, client threads that PATCH patients in a loop, and a `kill -9` of one worker every
`--every` seconds (gunicorn starts another). Then the writers stop, the shipper gets 15 s
to catch up, and the event ids of the store, the JSONL file and LogBull are compared:
missing and repeated ids per sink, and how long the file took to become whole again.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import servers  # noqa: E402
from tests.fake_logbull import PROJECT_ID, FakeLogBull  # noqa: E402


def workers_of(master: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(entry.name))
    return found


def store_ids(env: dict[str, str]) -> list[str]:
    script = "import django, json; django.setup(); from audit.models import AuditEvent; "
    script += "print(json.dumps(list(AuditEvent.objects.values_list('event_id', flat=True))))"
    done = servers.subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def file_ids(path: Path) -> list[str]:
    ids = []
    for candidate in sorted(path.parent.glob(path.name + "*")):
        if candidate.suffix in (".shipped", ".ship-lock", ".partial"):
            continue
        for line in candidate.read_text().splitlines():
            event = json.loads(line)
            if "event_id" in event and event.get("event") != "audit.sealed":
                ids.append(event["event_id"])
    return ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--every", type=float, default=3)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--no-ship", action="store_true", help="AUDIT_SHIP=0: the sinks only hear on commit")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="medcamp-kill-"))
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{work / 'kill.sqlite3'}"
    logbull = FakeLogBull().start()
    env, password = servers.migrated_with_user(
        database,
        work,
        "kill_vol",
        "volunteer",
        AUDIT_SEAL_INTERVAL="1",
        AUDIT_CONSOLE="off",
        LOGBULL_HOST=logbull.url,
        LOGBULL_PROJECT_ID=PROJECT_ID,
        LOGIN_THROTTLE_ATTEMPTS="1000",
        AUDIT_SHIP="0" if args.no_ship else "1",
    )
    env["PYTHONPATH"] = str(ROOT)
    server = servers.start(env, workers=2)
    token = requests.post(
        server.url + "/api/v1/auth/login/", json={"username": "kill_vol", "password": password}, timeout=30
    ).json()["access"]
    headers = {"Authorization": f"Bearer {token}"}
    person = {"book_no": "KILL-1", "name": "Asha", "age_years": 40, "sex": "female", "area": "Kothur"}
    patient = requests.post(server.url + "/api/v1/patients/", json=person, headers=headers, timeout=30).json()
    stop, answers, kills = threading.Event(), Counter(), 0

    def write(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                response = requests.patch(
                    f"{server.url}/api/v1/patients/{patient['id']}/",
                    json={"area": f"Area {n}-{i}"},
                    headers=headers,
                    timeout=30,
                )
                answers[response.status_code] += 1
            except requests.RequestException:
                answers["connection"] += 1

    writers = [threading.Thread(target=write, args=(n,)) for n in range(args.writers)]
    for thread in writers:
        thread.start()
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        time.sleep(args.every)
        pids = workers_of(server.process.pid)
        if pids:
            os.kill(secrets.choice(pids), signal.SIGKILL)
            kills += 1
    stop.set()
    for thread in writers:
        thread.join()
    stopped = time.monotonic()
    log = work / "audit.jsonl"
    stored = store_ids(env)
    whole_after = None
    while time.monotonic() - stopped < 30:
        if set(stored) <= set(file_ids(log)) and set(stored) <= set(logbull.event_ids()):
            whole_after = time.monotonic() - stopped
            break
        time.sleep(0.25)
    server.stop()
    stored = store_ids(env)
    shipping = "off" if args.no_ship else "on"
    runs = f"{args.seconds:.0f} s, {args.writers} writers, {kills} kill -9"
    print(f"database: {database.split(':')[0]}; shipping {shipping}; {runs}")
    print(f"answers: {dict(answers)}")
    for name, ids in (("file", file_ids(log)), ("logbull", logbull.event_ids())):
        counts = Counter(ids)
        missing = set(stored) - set(counts)
        repeated = sum(1 for n in counts.values() if n > 1)
        print(
            f"{name:<8} {len(set(counts) & set(stored)):>7} of {len(stored)} stored events; missing {len(missing)}; "
            f"repeated {repeated}"
        )
    print(
        f"file and LogBull whole {whole_after:.1f} s after the writers stopped"
        if whole_after is not None
        else "file or LogBull NOT whole 30 s after the writers stopped"
    )
    logbull.stop()


if __name__ == "__main__":
    main()
