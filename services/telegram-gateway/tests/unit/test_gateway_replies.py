"""What residents are told for each answering event, in particular every rejection reason."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from aiogram.types import InlineKeyboardMarkup
from meterbot_contracts.accounts import AccountLinked, AccountLinkRefused
from meterbot_contracts.identity import ResidentRegistered, ResidentRegistrationRefused
from meterbot_contracts.readings import MeterType, ReadingAccepted, ReadingRejected
from telegram_gateway.i18n import load_catalogue
from telegram_gateway.periods import local_time, period_of
from telegram_gateway.readmodel import MeterView
from telegram_gateway.replies import (
    REJECTION_REASONS,
    format_value,
    link_reply,
    period_name,
    reading_reply,
    registration_reply,
    rejection_text,
)

pytestmark = pytest.mark.unit

ru = load_catalogue(params={"email": "hot@mfc.msk.ru"}).texts("ru")
en = load_catalogue(params={"email": "hot@mfc.msk.ru"}).texts("en")
MSK = ZoneInfo("Europe/Moscow")
METER = MeterView("M-1", "100", MeterType.COLD_WATER, "", date(2030, 1, 1), Decimal("250.550"))


def rejected(reason: str, **extra: object) -> ReadingRejected:
    return ReadingRejected.model_validate(
        {
            "chat_id": 1,
            "account_number": "100",
            "meter_id": "M-1",
            "raw_value": "250",
            "reason": reason,
            **extra,
        }
    )


EXPECTED_FRAGMENTS = {
    "not_linked": ["100", "не закреплен"],
    "unknown_meter": ["Холодная вода M-1", "нет данных об этом приборе", "hot@mfc.msk.ru"],
    "meter_closed": ["Холодная вода M-1", "закрыт", "hot@mfc.msk.ru"],
    "verification_expired": ["Холодная вода M-1", "поверки"],
    "below_previous": ["250", "меньше предыдущего", "250.550", "с учетом дробной части"],
    "above_max_delta": ["250", "не более 350.550", "предыдущее значение 250.550"],
    "not_a_number": ["«250» — не число"],
    "not_an_integer": ["целое число"],
    "outside_window": ["не принимаются"],
    "period_closed": ["период уже закрыт"],
}


def test_every_reason_has_its_own_text() -> None:
    assert set(REJECTION_REASONS) == set(EXPECTED_FRAGMENTS)
    event_values = {"previous_value": Decimal("250.550"), "max_allowed": Decimal("350.550")}
    texts = {
        reason: rejection_text(ru, rejected(reason, **event_values), "Холодная вода M-1")
        for reason in REJECTION_REASONS
    }
    assert len(set(texts.values())) == len(REJECTION_REASONS)
    for reason, fragments in EXPECTED_FRAGMENTS.items():
        for fragment in fragments:
            assert fragment in texts[reason], (reason, fragment, texts[reason])
    for reason in REJECTION_REASONS:  # and in English, without missing placeholders
        assert rejection_text(en, rejected(reason), "Cold water M-1")


def test_missing_values_read_as_no_data() -> None:
    assert "нет данных" in rejection_text(ru, rejected("above_max_delta"), "Газ G")
    assert format_value(ru, None) == "нет данных"
    assert format_value(ru, Decimal("250.550")) == "250.550"


def test_retryable_rejection_offers_the_meter_again() -> None:
    [reply] = reading_reply(
        ru, rejected("below_previous", previous_value=Decimal(1)), "Холодная вода M-1", [METER]
    )
    assert isinstance(reply.markup, InlineKeyboardMarkup)
    assert "Нажмите кнопку прибора учета" in reply.text
    [final] = reading_reply(ru, rejected("meter_closed"), "Холодная вода M-1", [])
    assert final.markup is None


def test_accepted_says_information_saved() -> None:
    event = ReadingAccepted(
        reading_id=uuid4(),
        chat_id=1,
        account_number="100",
        meter_id="M-1",
        meter_type=MeterType.COLD_WATER,
        value=Decimal(251),
        previous_value=None,
        period="2026-05",
        submitted_at=datetime.now(UTC),
    )
    assert [r.text for r in reading_reply(ru, event, "x", [METER])] == ["Информация сохранена"]
    two = reading_reply(ru, event, "x", [METER, METER])
    assert two[0].text == "Информация сохранена" and two[1].markup is not None


def test_link_replies() -> None:
    [linked] = link_reply(
        ru, AccountLinked(chat_id=1, account_number="100", address="ул. Мира, 1"), "Иванов", MSK
    )
    assert "Лицевой счет 100 закреплен" in linked.text and "ул. Мира, 1" in linked.text
    wrong = AccountLinkRefused(chat_id=1, account_number="100", reason="wrong_pair", attempts_left=3)
    exact, advice = link_reply(ru, wrong, "Петров", MSK)
    assert exact.text == "Лицевой счет 100 Введена фамилия Петров Не верное сочетание 100 и Петров"
    assert "hot@mfc.msk.ru" in advice.text and "Осталось попыток: 3" in advice.text
    [unknown] = link_reply(
        ru, AccountLinkRefused(chat_id=1, account_number="9", reason="unknown_account"), "", MSK
    )
    assert "не найден" in unknown.text
    until = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    locked = AccountLinkRefused(chat_id=1, account_number="9", reason="locked_out", locked_until=until)
    [text] = link_reply(ru, locked, "", MSK)
    assert "до 01.05.2026 12:30 (время московское)" in text.text


def test_registration_replies() -> None:
    [done] = registration_reply(ru, ResidentRegistered(chat_id=1, user_id=1))
    assert done.markup is not None
    [refused] = registration_reply(ru, ResidentRegistrationRefused(chat_id=1, reason="foreign_contact"))
    assert "Отправить мой номер" in refused.text


def test_periods_are_moscow_months() -> None:
    assert period_of(datetime(2026, 4, 30, 21, 30, tzinfo=UTC), MSK) == "2026-05"  # 00:30 in Moscow
    assert period_of(datetime(2026, 4, 30, 20, 59, tzinfo=UTC), MSK) == "2026-04"
    assert period_name(ru, "2026-05") == "май 2026"
    assert local_time(datetime(2026, 1, 1, 0, 0, tzinfo=UTC), MSK) == "01.01.2026 03:00"
