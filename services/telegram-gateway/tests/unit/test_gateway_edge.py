"""Pure pieces at the bot's edge: typed text checks, long messages split for Telegram, masked
phones, the window's next open day, getUpdates that survives an update aiogram cannot parse."""

from __future__ import annotations

import json
from datetime import date

import pytest
from aiogram import Bot
from aiogram.methods import GetUpdates
from hypothesis import given
from hypothesis import strategies as st
from meterbot_contracts.window import SubmissionWindow
from prometheus_client import REGISTRY
from telegram_gateway.bot.session import TolerantSession
from telegram_gateway.bot.validation import has_control_chars, single_line
from telegram_gateway.replies import mask_phone, split_text

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", ["", "   ", "\t \n", "\u200b\u200b", "Ив\x00анов", "\x00", None])
def test_no_usable_text(text: str | None) -> None:
    assert single_line(text) is None


def test_usable_text_is_stripped() -> None:
    assert single_line("  Мамин-Сибиряк ") == "Мамин-Сибиряк"
    assert has_control_chars("25\x001") and not has_control_chars("251")


@given(st.text(min_size=0, max_size=12_000))
def test_split_keeps_every_part_within_the_limit_and_loses_no_content(text: str) -> None:
    parts = split_text(text, limit=4096)
    assert all(len(p) <= 4096 for p in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_a_message_near_the_limit_is_split_at_a_line_break() -> None:
    text = "Сообщение от жителя\n" + "слово " * 700 + "\nконец"
    first, second = split_text(text)
    assert len(text) > 4096 and first.startswith("Сообщение") and second.endswith("конец")


def test_phones_are_masked() -> None:
    assert mask_phone("+79161234567") == "+7******4567"
    assert mask_phone("89161234567") == "8******4567"
    assert mask_phone("123") == "***"


def test_the_window_names_its_next_open_day() -> None:
    window = SubmissionWindow.parse("15-25")
    assert window.next_open(date(2026, 5, 3)) == date(2026, 5, 15)
    assert window.next_open(date(2026, 5, 26)) == date(2026, 6, 15)
    assert window.next_open(date(2026, 5, 20)) == date(2026, 5, 20)
    assert str(window) == "15-25"


def _skipped() -> float:
    labels = {"service": "telegram-gateway", "reason": "unparseable"}
    return REGISTRY.get_sample_value("meterbot_telegram_updates_skipped_total", labels) or 0.0


def test_an_update_aiogram_cannot_parse_is_skipped_and_counted_not_fatal() -> None:
    bot = Bot("42:TEST")
    good = {
        "update_id": 11,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "/start"},
    }
    bad = {"update_id": 12, "message": {"message_id": "not a number", "chat": None}}
    content = json.dumps({"ok": True, "result": [good, bad]})
    before = _skipped()
    response = TolerantSession().check_response(bot, GetUpdates(), 200, content)
    updates = response.result
    assert updates is not None and [u.update_id for u in updates] == [11, 12]  # offset moves past 12
    assert updates[0].message is not None and updates[1].message is None
    assert _skipped() == before + 1
