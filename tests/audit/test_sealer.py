"""Serving processes seal their store in the background, taking turns, off the request path."""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from pathlib import Path

import requests

from tests import servers


def test_two_serving_processes_seal_one_chain_that_verifies(tmp_path: Path):
    database = f"sqlite:///{tmp_path / 'seal.sqlite3'}"
    shared = {"SECRET_KEY": secrets.token_urlsafe(40), "AUDIT_SEAL_INTERVAL": "0.3"}
    env, password = servers.migrated_with_user(database, tmp_path, "sealer", "volunteer", **shared)
    first, second = servers.two_servers(database, tmp_path, **shared)
    try:
        for n, server in enumerate((first, second, first, second)):
            login = requests.post(
                f"{server.url}/api/v1/auth/login/", json={"username": "sealer", "password": password}, timeout=10
            )
            token = login.json()["access"]
            headers = {"Authorization": f"Bearer {token}"}
            created = requests.post(
                f"{server.url}/api/v1/patients/",
                json={"book_no": f"SEAL-{n}", "name": "Asha", "age_years": 30, "sex": "female", "area": "Kothur"},
                headers=headers,
                timeout=10,
            )
            assert created.status_code == 201
        time.sleep(2)  # a few sealing passes of each process
    finally:
        first.stop()
        second.stop()
    lines = [json.loads(line) for d in ("a", "b") for line in (tmp_path / d / "audit.jsonl").read_text().splitlines()]
    checkpoints = [line for line in lines if line["event"] == "audit.sealed"]
    assert checkpoints, "no process sealed anything"
    kept = tmp_path / "checkpoints.jsonl"
    kept.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = subprocess.run(
        [str(servers.BIN / "python"), "manage.py", "audit_verify", "--checkpoints", str(kept)],
        cwd=servers.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "audit trail intact" in result.stdout and "pending 0" in result.stdout
    assert f"{len({c['details']['seq'] for c in checkpoints})} checkpoints agree" in result.stdout
