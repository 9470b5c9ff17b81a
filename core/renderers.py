"""The API's JSON renderer: DRF's, which never fails on a lone surrogate.

DRF's JSONRenderer writes non-ASCII as UTF-8 (UNICODE_JSON), and a str holding a lone surrogate
(U+D800 to U+DFFF outside a pair) has no UTF-8 form: `str.encode` raises UnicodeEncodeError and
the answer was a 500. The JSON parser refuses such a body (core/parsers.py); should a surrogate
reach an answer from anywhere else, that answer is written with ASCII escapes instead (`\\ud800`,
valid JSON per RFC 8259 section 7), the same data.
"""

from __future__ import annotations

from typing import Any

from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    """UTF-8 JSON, or ASCII-escaped JSON when the data holds text UTF-8 cannot encode."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return _ASCII.render(data, accepted_media_type, renderer_context)


class _AsciiJSONRenderer(renderers.JSONRenderer):
    ensure_ascii = True


_ASCII = _AsciiJSONRenderer()
