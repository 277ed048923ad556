"""Sanitising untrusted text (policy values, Sids, event fields) before it reaches a finding."""

from __future__ import annotations

import unicodedata

_ELLIPSIS = "…"


def sanitize(value: object, limit: int) -> str:
    """Printable, single-line text of at most `limit` characters (truncated with an ellipsis)."""
    text = str(value)
    if text.isprintable() and len(text) <= limit:
        return text
    cleaned = "".join(
        " " if ch in "\r\n\t" else ch
        for ch in text
        if ch in "\r\n\t" or unicodedata.category(ch)[0] != "C"
    )
    if len(cleaned) <= limit:
        return cleaned
    return cleaned[: max(limit - 1, 0)] + _ELLIPSIS
