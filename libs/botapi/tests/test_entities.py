"""The entities the server attaches itself (bot commands in user text, UTF-16 offsets); no parse modes."""

from __future__ import annotations

import pytest
from meterbot_botapi.formatting import command_entities, utf16_len

pytestmark = pytest.mark.unit


def test_commands_in_user_text_get_bot_command_entities_with_utf16_offsets() -> None:
    assert command_entities("😀 /start и /help@meter_bot, но не a/b") == [
        {"type": "bot_command", "offset": 3, "length": 6},  # the emoji is 2 UTF-16 units
        {"type": "bot_command", "offset": 12, "length": 15},
    ]
    assert utf16_len("😀ab") == 4
