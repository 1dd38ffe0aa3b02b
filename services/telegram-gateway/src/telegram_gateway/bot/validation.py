"""What the bot accepts as typed text, checked at the edge so bad input is answered here and never
reaches a topic: control characters (NUL breaks PostgreSQL text and JSON consumers downstream) and
text that is empty once its spaces are gone. Pure functions."""

from __future__ import annotations

import unicodedata


def has_control_chars(text: str) -> bool:
    """NUL and other control characters (line breaks too: none of our inputs spans lines)."""
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def single_line(text: str | None) -> str | None:
    """`text` without surrounding spaces, or None if nothing usable is left (empty, only spaces, or
    control characters inside)."""
    cleaned = (text or "").strip()
    if has_control_chars(cleaned) or all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in cleaned):
        return None  # also nothing but invisible format characters (zero-width spaces)
    return cleaned
