"""What never goes in a log, and what is masked: personal data, declared here once.

audit.events.build_event applies this to every event once, before it is stored or sent, so
the console, the JSONL file, the event store and LogBull all hold the same masked event.

- Secrets (passwords, hashes, tokens, Authorization, API keys) are replaced by a marker
  wherever their key appears.
- The fields of AUDIT_SENSITIVE_FIELDS (phone, address) are masked by key, at any depth
  (a record's change, a list's `filters`), with `mask`: the last two characters and a short
  keyed hash, so a change stays visible and the value does not.
- In free text (an event's `details` at any depth, keys and values, its `message` and its
  `reason`) a phone number is masked where it stands: 7 or more digits (of any script:
  Devanagari, fullwidth) after an optional +, joined by runs of at most 3 separators (any
  space or punctuation but `#`, `*` and `:`: "92537  05399", "9253/705/399", "92537—05399",
  "(040) 2345 6789"); letters may touch it ("ph9253705399", "9253705399x"). Only the run is
  masked, as `mask` of its digits (read as 0-9), so the rest of a search stays readable and one
  number typed two ways reads the same. Not phone numbers, and kept: ISO 8601 dates and times,
  dd-mm-yyyy dates, UUIDs, IPv4 addresses (octets up to 255), a hex token of 16 or more
  characters with a letter in it (event ids, hashes, request ids), values masked already;
  numbers (ints) are not text.
- A search or filter over records that hold personal data (a model with a field of
  AUDIT_SENSITIVE_FIELDS, or the users) is logged term by term by `masked_term`, whatever the
  parameter (the API's list filters, every parameter of an admin changelist, the desk's box):
  a term with 5 or more digits in all is masked whole as its digits (part of a phone number
  finds a patient there); any other term holding a digit or a comma is masked whole (`mask`
  of the term), since an address cannot be told by pattern but is typed with a house number
  or a comma ("12 MG Road, Banjara Hills"); kept are terms with neither (a name, shown on the
  trail anyway; also a bare street name, which alone names no home), a whole number of up to
  4 digits (an id, a page) and a book number (letters, a dash, up to 4 digits: "KP-0042").
  Free text alone would let a part of a phone or an address through.
- A record's own values (an event's `changes` and `fields`) are masked by key only: a batch
  number or a diagnosis reads as it was saved.

Long strings are cut. Control characters need no stripping here: every sink writes JSON with
ensure_ascii, which escapes them, so no value can break a line or forge an event.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from audit.keys import chain_key

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

PHONE_MIN_DIGITS = 7  # in free text: a run this long may be a phone number
SEARCH_MIN_DIGITS = 5  # in a search over a sensitive field: part of a phone number

_DIGIT = re.compile(r"\d")
_ALONE = r"(?<![^\W_])", r"(?![^\W_])"  # touched by no letter or digit on either side
# Between the digits of a number: any space or punctuation (Unicode dashes, zero-width spaces,
# fullwidth forms), not `#` `*` (a mask) nor `:` (a time); at most 3 in a row.
_SEP = r"(?:[^\w#*:]|_)"
# A number as typed, after an optional + and bracket. Atomic, so a run is judged whole, never by
# a shorter part of it; a digit never touches it (it would be part of the run), a letter may.
_PHONE = rf"(?<!\d)(?>(?:\+\s?)?\(?\d(?:{_SEP}{{0,3}}\d)*)"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_KEPT = "|".join(
    (
        r"(?:19|20)\d\d-[01]\d-[0-3]\d(?:[T ][0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-][0-2]\d:?[0-5]\d)?)?",
        r"[0-3]?\d[-./][01]?\d[-./](?:19|20)\d\d",  # 07-12-2026
        r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}",  # a UUID
        r"(?=\d*[a-fA-F])[0-9a-fA-F]{16,}",  # an event id, a hash, a request id
        rf"{_OCTET}(?:\.{_OCTET}){{3}}",  # an IPv4 address
    )
)
_MASKED = r"\*\*\*(?s:.{0,2}?)#[0-9a-f]{8}"  # a value `mask` gave, whatever touches it
# Tried at each place in turn: what is kept wins over a phone number starting at the same place.
_TEXT = re.compile(rf"(?P<kept>{_ALONE[0]}(?:{_KEPT}){_ALONE[1]}|{_MASKED})|(?P<phone>{_PHONE})")


def is_secret_key(key: str) -> bool:
    return key not in _NOT_SECRET and bool(_SECRET_KEY.match(key))


@functools.lru_cache(maxsize=4)
def _mask_key(chain: bytes) -> bytes:
    # Keyed: a phone number has only 10^10 values, and a plain hash of one is found by trying them all.
    return hmac.new(chain, b"medcamp masked value", hashlib.sha256).digest()


def mask(value: Any) -> Any:
    """Keep the last two characters and a short keyed hash: a change is visible, the value is not."""
    if value is None or value == "":
        return value
    text = str(value)
    digest = hmac.new(_mask_key(chain_key()), text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:8]
    return f"***{text[-2:]}#{digest}" if len(text) > 4 else f"***#{digest}"


def _masked_run(match: re.Match[str]) -> str:
    run = match.group("phone")
    if run is None:
        return match.group(0)
    digits = _digits(run)
    return str(mask(digits)) if len(digits) >= PHONE_MIN_DIGITS else run


def _digits(text: str) -> str:
    """The decimal digits of `text`, any script's, read as 0-9."""
    return "".join(str(int(digit)) for digit in _DIGIT.findall(text))


# Fewer than 7 digits in all: no phone number, and no need to scan (linear: \D and \d never overlap).
_SEVEN_DIGITS = re.compile(rf"(?:\D*\d){{{PHONE_MIN_DIGITS}}}")


def masked_text(text: str) -> str:
    """Free text with each phone number in it masked where it stands."""
    return _TEXT.sub(_masked_run, text) if _SEVEN_DIGITS.match(text) else text


def masked_search(term: str, search_fields: Iterable[str]) -> str:
    """A search term as logged: over a sensitive field by `masked_term`, else as free text."""
    looked_in = {part for field in search_fields for part in str(field).lstrip("^=@").split("__")}
    return masked_term(term, personal=bool(looked_in & set(sensitive_fields())))


# Kept in a search over personal data: a whole number up to 4 digits, a book number ("KP-0042").
_PLAIN_TERM = re.compile(r"\s*(?:\d{1,4}|[^\W\d_]{1,6}[-/ ]?\d{1,4})\s*")


def masked_term(term: str, *, personal: bool) -> str:
    """A search or filter term as logged; over personal data whole from 5 digits, or a digit or a comma."""
    if not personal:
        return masked_text(term)
    digits = _digits(term)
    if len(digits) >= SEARCH_MIN_DIGITS:
        return str(mask(digits))
    if (digits or "," in term) and not _PLAIN_TERM.fullmatch(term):
        return str(mask(term))
    return term


def holds_personal_data(model: Any) -> bool:
    """A model with a field of AUDIT_SENSITIVE_FIELDS, or the users: its searches are personal."""
    from django.contrib.auth import get_user_model

    names = {field.name for field in model._meta.get_fields()}
    return bool(names & set(sensitive_fields())) or model is get_user_model()


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text) - limit} more chars]"


def scrub(value: Any, *, sensitive: Iterable[str] = (), limit: int | None = None, text: bool = True) -> Any:
    """A copy of `value`: secrets redacted, sensitive keys masked, phone numbers in text masked
    (unless `text` is false: a record's own values), strings cut."""
    limit = limit or settings.AUDIT_MAX_VALUE_CHARS
    sensitive = set(sensitive)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            skey = str(key)
            named = masked_text(skey) if text else skey
            if is_secret_key(skey):
                out[named] = REDACTED
            elif skey in sensitive:
                out[named] = _mask_deep(item)
            else:
                out[named] = scrub(item, sensitive=sensitive, limit=limit, text=text)
        return out
    if isinstance(value, list | tuple):
        return [scrub(item, sensitive=sensitive, limit=limit, text=text) for item in value]
    if isinstance(value, str):
        return truncate(masked_text(value) if text else value, limit)
    return value


def _mask_deep(value: Any) -> Any:
    # A change entry {"old": x, "new": y} keeps its shape with both sides masked.
    if isinstance(value, dict) and set(value) <= {"old", "new"}:
        return {k: mask(v) for k, v in value.items()}
    return mask(value)


def sensitive_fields() -> list[str]:
    return list(settings.AUDIT_SENSITIVE_FIELDS)
