"""Test settings: the project's settings with every audit sink on and captured.

Events of the whole session go to the console (redirected to a file by conftest),
the JSONL file and a loopback fake LogBull started here, so that one check at the
end of the session can read everything any sink received.
"""

import os
import tempfile
from pathlib import Path

from tests.fake_logbull import PROJECT_ID, FakeLogBull

RUN_DIR = Path(os.environ.get("MEDCAMP_TEST_DIR") or tempfile.mkdtemp(prefix="medcamp-test-"))
SESSION_LOGBULL = FakeLogBull().start()

os.environ["MEDCAMP_TESTING"] = "1"
os.environ.setdefault("AUDIT_LOG_FILE", str(RUN_DIR / "audit.jsonl"))
os.environ.setdefault("AUDIT_CONSOLE", "json")
os.environ["LOGBULL_HOST"] = SESSION_LOGBULL.url
os.environ["LOGBULL_PROJECT_ID"] = PROJECT_ID
os.environ["LOGBULL_SPOOL_DIR"] = str(RUN_DIR / "logbull-spool")
os.environ.setdefault("LOGBULL_FLUSH_INTERVAL", "0.05")
os.environ.setdefault("LOGBULL_MAX_BACKOFF", "0.5")

from clinic.settings import *  # noqa: E402,F403

# MD5 for speed in-process; PBKDF2 for users that app servers started by tests must verify.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]

# Sealing runs when a test asks (manage.py audit_seal, audit.chain.seal_pending), not in the background.
AUDIT_SEAL_INTERVAL = 0
# Each test's rows roll back while the session's file keeps its checkpoints: a sealing test
# trusts only the checkpoints it makes or names (tests/audit/test_chain_attacks.py).
AUDIT_CHECKPOINT_FILE = ""
# Sinks hear of each event as it commits; the shipper's own tests turn shipping on.
AUDIT_SHIP = False
