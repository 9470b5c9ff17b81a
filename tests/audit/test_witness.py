"""The outside witness: checkpoints signed with a key that neither the database nor the chain key gives.

The insider here holds the database (triggers dropped), the chain key (the app's settings) and
the server's JSONL file: every check that lives where they can write says intact, and only the
signed checkpoints an auditor copied off the machine name the rewritten seqs.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.db import connection

from audit import witness
from audit.chain import seal_pending
from audit.guards import guard
from audit.keys import chain_key, event_mac, seal_hash
from audit.models import AuditEvent, AuditSeal
from core.metrics import SINK_FAILED
from tests.audit.test_store import _some_events, drop_triggers, seq_of, verify

pytestmark = pytest.mark.django_db


def make_key(path: Path) -> tuple[str, str]:
    """Run audit_witness_key; the public key and key id it prints."""
    out = io.StringIO()
    call_command("audit_witness_key", "--out", str(path), stdout=out)
    printed = dict(line.split(": ", 1) for line in out.getvalue().splitlines() if ": " in line)
    return printed["public key"], printed["key id"]


@pytest.fixture
def witness_on(tmp_path, settings) -> dict[str, Path | str]:
    """A server whose sealing passes are witnessed, and the public key its auditor pinned."""
    key_file, witness_file = tmp_path / "keys" / "witness.pem", tmp_path / "logs" / "audit-witness.jsonl"
    key_file.parent.mkdir()
    public, _ = make_key(key_file)
    settings.AUDIT_WITNESS_KEY_FILE = str(key_file)
    settings.AUDIT_WITNESS_FILE = str(witness_file)
    settings.AUDIT_WITNESS_PUBLIC_KEY = public
    return {"key_file": key_file, "file": witness_file, "public": public}


def heads() -> list[tuple[int, str]]:
    return list(AuditSeal.objects.order_by("seq").values_list("seq", "hash"))


def sealed_in_passes(*sizes: int) -> list[AuditEvent]:
    """Events sealed by one pass per size: one signed checkpoint each."""
    events = []
    for size in sizes:
        events += _some_events(size)
        assert seal_pending().count
    return events


# --- the key -----------------------------------------------------------------------------------
def test_the_key_command_writes_a_private_0600_key_prints_its_public_half_and_never_overwrites(tmp_path):
    path = tmp_path / "witness.pem"
    public, kid = make_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = witness.load_private(path)
    assert witness.public_text(key.public_key()) == public and witness.key_id(key.public_key()) == kid
    before = path.read_bytes()
    with pytest.raises(CommandError, match="never overwritten"):
        make_key(path)
    assert path.read_bytes() == before
    assert witness.key_id(witness.public_key_from(witness.raw_public(key.public_key()).hex())) == kid  # hex too


# --- publishing ----------------------------------------------------------------------------------
def test_each_sealing_pass_signs_its_checkpoint_and_an_auditor_reads_them_back(witness_on, audit):
    sealed_in_passes(2, 3)
    seqs = dict(heads())
    found, problems = witness.checkpoints(witness_on["file"], witness_on["public"])
    assert problems == [] and len(found) == 2
    assert all(seqs[seq] == digest for seq, digest in found) and found[-1][0] == max(seqs)
    events = audit.named("audit.witnessed")
    assert [(e["details"]["seq"], e["details"]["head_hash"]) for e in events] == found
    assert all(e["details"]["signature"] and e["details"]["kind"] == "sealed" for e in events)
    assert not AuditEvent.objects.filter(event="audit.witnessed").exists()  # it describes the store: not in it
    # The trail's own copy (the JSONL file, LogBull's export) verifies as well as the witness file.
    exported = witness_on["file"].parent / "export.jsonl"
    exported.write_text("".join(json.dumps(e) + "\n" for e in audit.events))
    assert witness.checkpoints(exported, witness_on["public"]) == (found, [])


def test_a_witness_that_cannot_write_never_stops_sealing(witness_on, settings, caplog):
    settings.AUDIT_WITNESS_FILE = str(witness_on["file"].parent)  # a directory: every write fails
    witness_on["file"].parent.mkdir(exist_ok=True)
    failed = SINK_FAILED.labels("witness")._value.get()
    with caplog.at_level(logging.WARNING, logger="audit.witness"):
        _some_events(2)
        assert seal_pending().count
    assert SINK_FAILED.labels("witness")._value.get() == failed + 1
    assert "audit witness did not sign checkpoint seq" in caplog.text


def test_a_restore_declared_by_a_signed_checkpoint_retires_the_rolled_back_ones(witness_on):
    key = witness.load_private(witness_on["key_file"])
    lines = [
        witness.sign(key, "sealed", 5, "a" * 64, "2026-01-01T00:00:00.000Z"),
        witness.sign(key, "sealed", 9, "b" * 64, "2026-01-01T00:00:05.000Z"),
        witness.sign(key, "restored", 6, "c" * 64, "2026-01-01T01:00:00.000Z"),
    ]
    witness_on["file"].parent.mkdir(exist_ok=True)
    witness_on["file"].write_text("".join(json.dumps(line) + "\n" for line in lines))
    found = witness.read(witness_on["file"], witness_on["public"])
    assert found.checkpoints == [(5, "a" * 64), (6, "c" * 64)] and found.rolled_back == 1


# --- a witness file edited on the server ----------------------------------------------------------
def _resign_with_another_key(entry: dict) -> dict:
    return witness.sign(Ed25519PrivateKey.generate(), entry["kind"], entry["seq"], entry["head_hash"], entry["time"])


TAMPERS = {
    "changed hash": (lambda e: {**e, "head_hash": "e" * 64}, "its signature does not verify"),
    "changed seq": (lambda e: {**e, "seq": e["seq"] + 1}, "its signature does not verify"),
    "re-signed, own key id": (_resign_with_another_key, "(another key)"),
    "re-signed, pinned key id": (lambda e: {**_resign_with_another_key(e), "key_id": e["key_id"]}, "does not verify"),
    "unsigned": (lambda e: {k: v for k, v in e.items() if k != "signature"}, "unsigned checkpoint"),
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_a_witness_line_edited_after_signing_is_named_and_not_trusted(witness_on, name):
    sealed_in_passes(2, 2)
    tamper, said = TAMPERS[name]
    lines = [json.loads(line) for line in witness_on["file"].read_text().splitlines()]
    lines[0] = tamper(lines[0])
    witness_on["file"].write_text("".join(json.dumps(line) + "\n" for line in [*lines, "not json"]))
    found, problems = witness.checkpoints(witness_on["file"], witness_on["public"])
    assert found == [(lines[1]["seq"], lines[1]["head_hash"])]
    assert (
        problems[0].startswith(f"witness audit-witness.jsonl line 1: seq {lines[0]['seq']}: ") and said in problems[0]
    )
    assert problems[1] == "witness audit-witness.jsonl line 3: not a witnessed checkpoint (malformed)"
    code, out = verify("--witness", str(witness_on["file"]))
    assert code == 2 and problems[0] in out and "pinned in AUDIT_WITNESS_PUBLIC_KEY" in out


def test_a_key_that_did_not_sign_the_file_fails_every_line_and_the_command_says_which_key(witness_on, settings):
    sealed_in_passes(2)
    other = witness.public_text(Ed25519PrivateKey.generate().public_key())
    code, out = verify("--witness", str(witness_on["file"]), "--witness-key", other)
    assert code == 2 and "(another key)" in out and "given with --witness-key" in out
    settings.AUDIT_WITNESS_PUBLIC_KEY = ""
    code, out = verify("--witness", str(witness_on["file"]))
    assert code == 0 and "1 signed checkpoints" in out and "derived from AUDIT_WITNESS_KEY_FILE" in out


# --- the insider who holds the database, the chain key and the local checkpoints ------------------
def _rewrite_from(seq: int, data: dict[int, str]) -> dict[int, str]:
    """Recompute every seal hash from `seq` on with the chain key, as the insider does; the new hashes."""
    key, rewritten = chain_key(), {}
    seals = AuditSeal.objects.order_by("seq")
    prev = seals.get(seq=seq).prev_hash
    with connection.cursor() as cursor:
        for seal in seals.filter(seq__gte=seq):
            digest = seal_hash(key, prev, data.get(seal.event_pk) or AuditEvent.objects.get(pk=seal.event_pk).data)
            cursor.execute(
                "UPDATE audit_auditseal SET prev_hash = %s, hash = %s WHERE seq = %s", [prev, digest, seal.seq]
            )
            rewritten[seal.seq], prev = digest, digest
    return rewritten


def test_an_insider_with_the_chain_key_and_the_local_checkpoints_is_caught_by_the_witness(
    witness_on, audit, tmp_path, settings
):
    events = sealed_in_passes(3, 3)
    offsite = tmp_path / "offsite"  # the auditor's copy, pulled off the machine after each pass
    offsite.mkdir()
    shutil.copy(witness_on["file"], offsite / "server-1.jsonl")
    local = tmp_path / "logs" / "audit.jsonl"  # the server's JSONL file: its checkpoints and the rest
    local.write_text("".join(json.dumps(e) + "\n" for e in audit.events))
    assert verify("--checkpoints", str(local))[0] == 0
    before = dict(heads())

    # The insider: edits a sealed event, signs it with the key of the settings, re-seals after it...
    victim = events[1]
    drop_triggers()
    forged = victim.data.replace("Area", "Elsewhere")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET data = %s, mac = %s WHERE id = %s", [forged, event_mac(forged), victim.pk]
        )
    rewritten = _rewrite_from(seq_of(victim), {victim.pk: forged})
    # ...rewrites the checkpoints of the local file, and removes the local witness file it cannot re-sign.
    lines = [json.loads(line) for line in local.read_text().splitlines()]
    for line in lines:
        if line["event"] == "audit.sealed":
            line["details"]["head_hash"] = rewritten.get(line["details"]["seq"], line["details"]["head_hash"])
    local.write_text("".join(json.dumps(line) + "\n" for line in lines))
    witness_on["file"].unlink()
    settings.AUDIT_WITNESS_KEY_FILE = ""  # and turns the witness off in the server's settings (a missing file is named)
    guard(connection)  # and puts the database's triggers back

    code, out = verify("--checkpoints", str(local))
    assert code == 0 and out.startswith("audit trail intact"), out  # everything the insider can write agrees
    code, out = verify("--witness", str(offsite))
    assert code == 2
    signed = [seq for seq, _ in witness.checkpoints(offsite, witness_on["public"])[0]]
    assert signed and all(seq in rewritten for seq in signed)
    for seq in signed:
        assert f"seq {seq}: chain hash {rewritten[seq]} disagrees with checkpoint {before[seq]} (rewritten)" in out


def test_the_documented_rsync_append_pull_keeps_each_line_as_first_copied(witness_on, tmp_path):
    if shutil.which("rsync") is None:  # .ci/services installs it; elsewhere the reason is printed
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            "the documented off-site pull uses rsync (apt-get install rsync)"
        )
    sealed_in_passes(2)
    copy = tmp_path / "offsite" / "camp-host.jsonl"
    copy.parent.mkdir()
    pull = ["rsync", "--append", str(witness_on["file"]), str(copy)]
    subprocess.run(pull, check=True)
    first = json.loads(witness_on["file"].read_text())
    witness_on["file"].write_text(json.dumps({**first, "head_hash": "0" * 64}, sort_keys=True) + "\n")  # in place
    sealed_in_passes(2)  # the server signs on
    subprocess.run(pull, check=True)
    found, problems = witness.checkpoints(copy, witness_on["public"])
    assert problems == [] and found == [(first["seq"], first["head_hash"]), heads()[-1]]
    assert "its signature does not verify" in witness.checkpoints(witness_on["file"], witness_on["public"])[1][0]
