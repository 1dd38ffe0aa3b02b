"""What residents are told for each answering event, in particular every rejection reason."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from meterbot_contracts.accounts import AccountLinked, AccountLinkRefused
from meterbot_contracts.identity import ResidentRegistered, ResidentRegistrationRefused
from meterbot_contracts.period import period_of
from meterbot_contracts.readings import MeterType, ReadingAccepted, ReadingRejected
from meterbot_contracts.window import SubmissionWindow
from telegram_gateway.i18n import load_catalogue
from telegram_gateway.periods import local_time
from telegram_gateway.readmodel import MeterView
from telegram_gateway.replies import (
    REJECTION_REASONS,
    format_value,
    link_reply,
    period_name,
    reading_reply,
    registration_reply,
    rejection_text,
    retries,
)

pytestmark = pytest.mark.unit

PARAMS = {"email": "abonent@example.org", "max_delta": "100", "days": "15-25", "tz": "Europe/Moscow"}
ru = load_catalogue(params=PARAMS).texts("ru")
en = load_catalogue(params=PARAMS).texts("en")
WINDOW = SubmissionWindow.parse("15-25")
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
    "unknown_meter": ["Холодная вода M-1", "нет данных об этом приборе", "abonent@example.org"],
    "meter_closed": ["Холодная вода M-1", "закрыт", "abonent@example.org"],
    "verification_expired": ["Холодная вода M-1", "поверки"],
    # the meter's own numbers, not a fixed example
    "below_previous": ["250", "меньше предыдущего", "после 250.550 — не меньше 251"],
    "above_max_delta": ["250", "не более 350.550", "предыдущее значение 250.550"],
    "not_a_number": ["«250» — не число"],
    "not_an_integer": ["целое число"],
    "outside_window": ["не принимаются", "15-25 числа", "Europe/Moscow"],
    "period_closed": ["период уже закрыт"],
}


def test_every_reason_has_its_own_text() -> None:
    assert set(REJECTION_REASONS) == set(EXPECTED_FRAGMENTS)
    event_values = {
        "previous_value": Decimal("250.550"),
        "min_allowed": Decimal(251),
        "max_allowed": Decimal("350.550"),
    }
    texts = {
        reason: rejection_text(ru, rejected(reason, **event_values), "Холодная вода M-1", WINDOW)
        for reason in REJECTION_REASONS
    }
    assert len(set(texts.values())) == len(REJECTION_REASONS)
    for reason, fragments in EXPECTED_FRAGMENTS.items():
        for fragment in fragments:
            assert fragment in texts[reason], (reason, fragment, texts[reason])
    for reason in REJECTION_REASONS:  # and in English, without missing placeholders
        assert rejection_text(en, rejected(reason), "Cold water M-1", WINDOW)


def test_missing_values_read_as_no_data() -> None:
    assert "нет данных" in rejection_text(ru, rejected("above_max_delta"), "Газ G", WINDOW)
    assert format_value(ru, None) == "нет данных"
    assert format_value(ru, Decimal("250.550")) == "250.550"


def test_retryable_rejection_asks_for_the_corrected_value_of_the_same_meter() -> None:
    event = rejected("below_previous", previous_value=Decimal(1))
    [reply] = reading_reply(ru, event, "Холодная вода M-1", [METER], WINDOW)
    assert reply.markup is None  # no button to press again: the chat stays on the meter
    assert "Введите исправленное значение для прибора учета Холодная вода M-1" in reply.text
    assert retries(event) and not retries(rejected("meter_closed"))
    [final] = reading_reply(ru, rejected("meter_closed"), "Холодная вода M-1", [], WINDOW)
    assert final.markup is None and "исправленное" not in final.text


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
    assert [r.text for r in reading_reply(ru, event, "x", [METER], WINDOW)] == ["Информация сохранена"]
    two = reading_reply(ru, event, "x", [METER, METER], WINDOW)
    assert two[0].text == "Информация сохранена" and two[1].markup is not None


def test_link_replies() -> None:
    [linked] = link_reply(
        ru, AccountLinked(chat_id=1, account_number="100", address="ул. Мира, 1"), "Иванов", MSK
    )
    assert "Лицевой счет 100 закреплен" in linked.text and "ул. Мира, 1" in linked.text
    wrong = AccountLinkRefused(chat_id=1, account_number="100", reason="wrong_pair", attempts_left=3)
    exact, advice = link_reply(ru, wrong, "Петров", MSK)
    assert exact.text == "Лицевой счет 100 Введена фамилия Петров Не верное сочетание 100 и Петров"
    assert "abonent@example.org" in advice.text and "Осталось попыток: 3" in advice.text
    unknown_try = AccountLinkRefused(chat_id=1, account_number="9", reason="unknown_account", attempts_left=2)
    [unknown] = link_reply(ru, unknown_try, "", MSK)
    # an unknown number counts as a try, and the resident is told so
    assert (
        "не найден" in unknown.text and "Попытка засчитана как неудачная. Осталось попыток: 2" in unknown.text
    )
    until = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    fifth = AccountLinkRefused(
        chat_id=1, account_number="100", reason="wrong_pair", attempts_left=0, locked_until=until
    )
    _, used_up = link_reply(ru, fifth, "Петров", MSK)
    assert "Осталось попыток: 0" not in used_up.text
    assert "заблокировано до 01.05.2026 12:30 (Europe/Moscow)" in used_up.text
    locked = AccountLinkRefused(chat_id=1, account_number="9", reason="locked_out", locked_until=until)
    [text] = link_reply(ru, locked, "", MSK)
    assert "до 01.05.2026 12:30 (Europe/Moscow)" in text.text
    assert "московское" not in ru("help.text") + text.text


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
