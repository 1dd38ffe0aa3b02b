"""Entities the local server attaches itself: bot_command entities in user text, with offsets and
lengths in UTF-16 code units as in the Bot API. The server renders no parse modes (HTML, Markdown):
the bot sends plain text, and a parse_mode is refused so a bot that starts using one finds out."""

from __future__ import annotations

import re
from typing import Any

JSON = dict[str, Any]

_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (Telegram's unit for entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[JSON]:
    """bot_command entities, as Telegram attaches them to ``/commands`` in user text."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group(0))}
        for m in _COMMAND_RE.finditer(text)
    ]
