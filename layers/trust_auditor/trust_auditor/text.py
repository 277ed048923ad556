"""Sanitising untrusted text (policy values, Sids, event fields) before it reaches a finding."""

from __future__ import annotations

import re

# Control characters except tab/newline, and the bidirectional overrides that can disguise text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\t\n\r]+")
_ELLIPSIS = "…"


def strip_control(value: str) -> str:
    """The text without control or bidi-override characters (line breaks and tabs kept)."""
    return _CONTROL.sub("", value)


def sanitize(value: object, limit: int, *, single_line: bool = True) -> str:
    """Printable text of at most `limit` characters, truncated with an ellipsis; line breaks
    become spaces unless `single_line` is False."""
    text = str(value)
    if text.isprintable() and len(text) <= limit:
        return text
    cleaned = strip_control(text)
    if single_line:
        cleaned = _LINE_BREAKS.sub(" ", cleaned)
    cleaned = cleaned.strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: max(limit - 1, 0)].rstrip() + _ELLIPSIS
    return cleaned
