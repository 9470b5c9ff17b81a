"""What never goes in a log, and what is masked.

Secrets (passwords, hashes, tokens, Authorization, API keys) are replaced by a
marker wherever their key appears; values of sensitive fields (AUDIT_SENSITIVE_FIELDS)
are masked so a change stays visible without the value; long strings are cut.
Control characters need no stripping here: every sink writes JSON with
ensure_ascii, which escapes them, so no value can break a line or forge an event.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings

REDACTED = "[redacted]"
# A key is secret when its last word names a secret: `password`, `new_password1`,
# `refresh`, `x-api-key`, `Authorization`; `token_number` (a visit's token) is not.
_SECRET_KEY = re.compile(
    r"^(.*[_-])?(password\d?|passwd|pwd|secret|secret_key|token|authorization|api[_-]?key|"
    r"access|refresh|cookie|sessionid|hash)$",
    re.IGNORECASE,
)


# Hashes of the audit chain are public by design: a checkpoint that leaves the database
# is only useful if the head hash can be read from it.
_NOT_SECRET = frozenset({"head_hash", "prev_hash", "chain_hash"})


def is_secret_key(key: str) -> bool:
    return key not in _NOT_SECRET and bool(_SECRET_KEY.match(key))


def mask(value: Any) -> Any:
    """Keep the last two characters and a short hash: a change is visible, the value is not."""
    if value is None or value == "":
        return value
    text = str(value)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"***{text[-2:]}#{digest}" if len(text) > 4 else f"***#{digest}"


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text) - limit} more chars]"


def scrub(value: Any, *, sensitive: Iterable[str] = (), limit: int | None = None) -> Any:
    """A copy of `value` with secrets redacted, sensitive keys masked and strings cut."""
    limit = limit or settings.AUDIT_MAX_VALUE_CHARS
    sensitive = set(sensitive)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            skey = str(key)
            if is_secret_key(skey):
                out[skey] = REDACTED
            elif skey in sensitive:
                out[skey] = _mask_deep(item)
            else:
                out[skey] = scrub(item, sensitive=sensitive, limit=limit)
        return out
    if isinstance(value, list | tuple):
        return [scrub(item, sensitive=sensitive, limit=limit) for item in value]
    if isinstance(value, str):
        return truncate(value, limit)
    return value


def _mask_deep(value: Any) -> Any:
    # A change entry {"old": x, "new": y} keeps its shape with both sides masked.
    if isinstance(value, dict) and set(value) <= {"old", "new"}:
        return {k: mask(v) for k, v in value.items()}
    return mask(value)


def sensitive_fields() -> list[str]:
    return list(settings.AUDIT_SENSITIVE_FIELDS)
