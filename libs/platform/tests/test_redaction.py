"""Personal data out of logs: what PostgreSQL, asyncpg, pydantic and aiogram print, redacted."""

from __future__ import annotations

import io
import json
import logging

import pytest
from aiogram.types import Update
from meterbot_contracts.accounts import AccountLinkRequested
from meterbot_platform.logs import JsonFormatter
from meterbot_platform.redaction import RedactPersonalData, redact
from pydantic import ValidationError

pytestmark = pytest.mark.unit

PHONE, SURNAME, ADDRESS, NAME = "+79161234567", "Мамин-Сибиряк", "ул. Садовая, 10, кв. 5", "Евлампия"


def assert_clean(text: str) -> None:
    for value in (PHONE, PHONE[1:], "916 123-45-67", SURNAME, "Сибиряк", ADDRESS, "Садовая", NAME):
        assert value not in text, f"{value!r} in {text!r}"


@pytest.mark.parametrize(
    "text",
    [
        # PostgreSQL (through asyncpg) echoing row values
        'new row for relation "owners" violates check constraint "c"\n'
        f"DETAIL:  Failing row contains (1, {SURNAME}, {ADDRESS}).",
        f'duplicate key value violates unique constraint "k"\nDETAIL:  Key (surname)=({SURNAME}) already exists.',
        f'invalid input syntax for type integer: "{SURNAME}"',
        f"invalid input for query argument $1: '{SURNAME}' ('str' object cannot be interpreted as an integer)",
        # reprs and dumps of what a resident sent
        f"Contact(phone_number='{PHONE}', first_name='{NAME}', last_name='{SURNAME}', user_id=5)",
        json.dumps({"surname": SURNAME, "address": ADDRESS, "phone": PHONE}, ensure_ascii=False),
        str({"text": f"{SURNAME} {ADDRESS}", "chat": 1}),
        # phones on their own
        f"call {PHONE} or 8 (916) 123-45-67 or +7 916 123-45-67",
    ],
)
def test_values_that_libraries_echo_are_redacted(text: str) -> None:
    assert_clean(redact(text))


def test_ids_times_and_numbers_that_are_not_phones_stay() -> None:
    text = "update id=123456789 chat 1000001234 at 2026-12-01 05:34:57 account 100001 value 250.550"
    assert redact(text) == text


def test_a_pydantic_error_never_shows_the_input() -> None:
    with pytest.raises(ValidationError) as contract_error:
        AccountLinkRequested(chat_id=1, account_number="1", surname=(SURNAME + " ") * 10)
    # a message without its required fields: the error prints the whole message as input
    update = {"update_id": 1, "message": {"contact": {"phone_number": PHONE, "first_name": NAME}}}
    with pytest.raises(ValidationError) as update_error:
        Update.model_validate(update)  # aiogram failing to parse an update prints all of it
    for error in (contract_error.value, update_error.value):
        assert "Сибиряк" in str(error) or NAME in str(error)  # what would have been logged
        assert_clean(redact(str(error)))


def test_the_filter_redacts_message_arguments_exception_and_extras_before_formatting() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    handler.addFilter(RedactPersonalData())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError(f"Failing row contains (1, {SURNAME}, {ADDRESS})")
        except ValueError:
            logger.exception("link failed: surname=%s phone %s", SURNAME, PHONE, extra={"surname": SURNAME})
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "link failed" in written and "ValueError" in written
    assert_clean(written)
