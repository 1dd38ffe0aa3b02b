"""aiogram's ~300 Telegram types are built on first use, not when the gateway is imported (their
build was most of the gateway's start-up CPU and half its RSS), and once used they work as before."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

PROBE = """
import json
import telegram_gateway.app
import aiogram.types as t
built_at_import = [n for n in t.__all__ if getattr(getattr(t, n), "__pydantic_complete__", False)]
update = t.Update.model_validate({
    "update_id": 1,
    "message": {"message_id": 5, "date": 1700000000, "chat": {"id": 7, "type": "private"},
                "from": {"id": 7, "is_bot": False, "first_name": "A"},
                "contact": {"phone_number": "+7999", "first_name": "A", "user_id": 7},
                "reply_to_message": {"message_id": 4, "date": 1700000000,
                                     "chat": {"id": 7, "type": "private"}, "text": "x"}},
})
keyboard = t.ReplyKeyboardMarkup(keyboard=[[t.KeyboardButton(text="a", request_contact=True)]])
print(json.dumps({
    "built_at_import": len(built_at_import),
    "types": len(t.__all__),
    "contact_user": update.message.contact.user_id,
    "reply_text": update.message.reply_to_message.text,
    "keyboard": keyboard.model_dump(exclude_none=True),
}))
"""


def test_importing_the_gateway_builds_no_aiogram_type_and_types_work_when_used() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout)
    assert seen["types"] > 250
    assert seen["built_at_import"] < 10, seen["built_at_import"]
    assert seen["contact_user"] == 7
    assert seen["reply_text"] == "x"
    assert seen["keyboard"]["keyboard"] == [[{"text": "a", "request_contact": True}]]
