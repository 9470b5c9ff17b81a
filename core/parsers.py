"""Request bodies: the API's JSON parser, with a bound on nesting, and the one bound on size.

Python's json decoder recurses once per nested array or object: a body of 1,000 `[` ran
out of stack (RecursionError, a 500). So the nesting is counted first, without recursion,
on the text itself, and a body deeper than MAX_DEPTH is a 400 `body_too_deep` before the
decoder sees it. MedCamp's deepest body is a consultation's prescriptions (3 levels).

Every body on every route (the API, admin's forms, /metrics) is at most Django's
DATA_UPLOAD_MAX_MEMORY_SIZE: `body_refusal` reads the declared Content-Length (and the
charset), before anything reads the body or the query string (clinic.middleware.BodyCheckMiddleware),
so a larger body is a 413 `body_too_large`, not Django's HTML "Bad Request" (RequestDataTooBig).
A body sent without a Content-Length (`Transfer-Encoding: chunked`) is a 411 `length_required`:
Django reads only CONTENT_LENGTH bytes, so it was read as empty, whatever its size.

A JSON string may escape a lone surrogate (`"\\ud800"`: RFC 8259 section 8.2 leaves its meaning
unpredictable), which no UTF-8 answer can echo: such a body is a 400 `parse_error`, as a body
that is not text in its charset is, since it holds no Unicode text either.
"""

from __future__ import annotations

import codecs
import json
import re
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

from core.error_codes import ErrorCode
from core.errors import DomainError
from core.params import whole_number

MAX_DEPTH = 32

# A JSON string, escapes included, up to its closing quote or (unterminated) the end of the
# text: `"[^"\\]*(?:\\.[^"\\]*)*` is the unrolled loop of Friedl's "Mastering Regular
# Expressions" (ch. 6), linear on any input; the optional closing quote makes an unterminated
# string end the scan instead of being retried from each later quote.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings are text)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def too_deep() -> DomainError:
    return DomainError(
        _("The JSON body nests arrays and objects more than %(max)s deep."),
        params={"max": MAX_DEPTH},
        code=ErrorCode.BODY_TOO_DEEP,
    )


def holds_lone_surrogate(data: Any) -> bool:
    """Whether a decoded body's text (keys or values, at any depth) holds a lone surrogate: UTF-8
    has no form for one, so encoding the whole, once, in C, raises exactly then."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than MAX_DEPTH before decoding it."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            # bytes.decode takes text encodings only (DRF's codecs.getreader also took
            # `charset=zlib` or `bz2`, which inflate a small body into gigabytes)
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if nesting(text) > MAX_DEPTH:
            raise too_deep()
        try:
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if holds_lone_surrogate(data):
            raise ParseError("JSON parse error - a string holds a lone surrogate (\\uD800 to \\uDFFF outside a pair).")
        return data


class Request(WSGIRequest):
    """Django's request, except that a charset naming no text encoding is set aside, not used.

    Django decodes the query string in the Content-Type's charset inside the request's
    constructor, before any middleware runs, and its check (`codecs.lookup`) also passes
    zlib, bz2 or base64, which are not text: `charset=zlib` with a query string was a 500
    from outside. `body_refusal` refuses it. clinic/wsgi.py serves every request with this class.
    """

    charset_refused = ""

    def _set_content_type_params(self, meta: Any) -> None:
        charset = parse_header_parameters(meta.get("CONTENT_TYPE", ""))[1].get("charset", "")
        if charset and _not_text(charset):
            self.charset_refused = charset
            meta = {**meta, "CONTENT_TYPE": ""}
        # Django's own (private) step of WSGIRequest.__init__, the one that reads the charset
        super()._set_content_type_params(meta)  # type: ignore[misc]


def _not_text(charset: str) -> bool:
    """A codec Python knows that decodes bytes to no text (zlib, bz2, base64, hex...)."""
    try:
        codecs.lookup(charset)
    except LookupError:
        return False  # unknown: Django ignores it, and the default applies
    try:
        b" ".decode(charset)  # (an empty bytes decodes before the codec is looked at)
    except LookupError:  # "'zlib' is not a text encoding"
        return True
    except UnicodeError:  # a text encoding, if not of a lone space (utf-16 needs two bytes)
        return False
    return False


def body_refusal(request: Any) -> DomainError | None:
    """Why the body a request declares (its Content-Length and charset) is refused, or None; in
    English, as the request's language is not known yet."""
    if request.META.get("HTTP_TRANSFER_ENCODING") and not request.META.get("CONTENT_LENGTH"):
        return DomainError(
            "A body must be sent with a Content-Length header, not in chunks (Transfer-Encoding).",
            code=ErrorCode.LENGTH_REQUIRED,
        )
    size = whole_number(request.META.get("CONTENT_LENGTH") or "0", 0, 2**63)
    if size is None:
        return _header_refusal("Content-Length", "A whole number of bytes.")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and size > limit:
        return DomainError(
            "The body is larger than %(limit)s bytes.", params={"limit": limit}, code=ErrorCode.BODY_TOO_LARGE
        )
    if getattr(request, "charset_refused", ""):
        return _header_refusal("Content-Type", "Its charset must be a text encoding such as utf-8.")
    return None


def _header_refusal(header: str, words: str) -> DomainError:
    return DomainError("The %(header)s header is malformed.", params={"header": header}, fields={header: [words]})
