"""Sanitising untrusted text (policy values, Sids, event fields) before it reaches a finding or
the operator's terminal."""

from __future__ import annotations

import re

# Control characters except tab/newline, and the bidirectional overrides that can disguise text.
_CONTROL_CHARACTERS = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{_CONTROL_CHARACTERS}]")
# The same, tab and newline included: what must not reach a terminal line.
_CONTROL_OR_LINE_BREAK = re.compile(f"[\t\n{_CONTROL_CHARACTERS}]")
_LINE_BREAKS = re.compile(r"[\t\n\r]+")
_ELLIPSIS = "…"


def strip_control(value: str) -> str:
    """The text without control or bidi-override characters (line breaks and tabs kept)."""
    return _CONTROL.sub("", value)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_control(value: str) -> str:
    """The text on one line with every control and bidi-override character, tab and newline
    included, written as a visible escape (\\xNN, \\uNNNN): untrusted text must not drive or
    disguise what the terminal shows."""
    return _CONTROL_OR_LINE_BREAK.sub(_escape, value)


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
