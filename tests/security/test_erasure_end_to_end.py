"""«Удалить мои данные» end to end (issue 18, item 3): a resident registers, links an account and
hands in a reading; after they confirm erasure, no service database holds their phone, name or the
surname they typed, and no topic does either -- except the two command topics that carry them in
the clear, whose retention is short by the topic plan (README, «Threat model»). The account number,
address and the reading belong to the billing registry and stay."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from meterbot_contracts.billing import RegistryMeter, RegistryRecord
from meterbot_contracts.readings import MeterType
from meterbot_contracts.topics import ACCOUNTS_COMMANDS, BILLING_REGISTRY_V1, IDENTITY_COMMANDS, dlq_topic
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.bus import wait_until
from meterbot_testing.infra import Postgres
from meterbot_testing.resident import ResidentDriver
from telegram_gateway.i18n import load_catalogue

from meterbot.commands.resident import chat_of_phone, request_erasure

from .privacy_stack import TOKEN, Stack, privacy_stack, publish, tables_holding, topics_holding

pytestmark = pytest.mark.integration

# Commands carry what the resident typed or shared, in the clear, for the moment it takes to handle
# them; these topics keep records briefly (retention in the topic plan), and are the only places left.
SHORT_RETENTION = {
    IDENTITY_COMMANDS,
    ACCOUNTS_COMMANDS,
    dlq_topic(IDENTITY_COMMANDS),
    dlq_topic(ACCOUNTS_COMMANDS),
}
_ids = itertools.count(7_000_000 + uuid.uuid4().int % 1_000_000 * 10)


@pytest.fixture(scope="module")
async def stack(postgres: Postgres, kafka_settings: KafkaSettings) -> AsyncIterator[Stack]:
    async with privacy_stack(postgres.dsn, kafka_settings) as running:
        yield running


@dataclass
class Someone:
    user_id: int
    phone: str
    first: str
    last: str
    number: str
    surname: str
    driver: ResidentDriver

    @property
    def personal(self) -> list[str]:
        typed = [self.surname, self.surname.upper(), "прохоренкошаляпина"]  # registry's, as typed, normalised
        return [self.phone, self.phone[1:], self.first, self.last, *typed]


async def resident_with_account(stack: Stack, kafka: KafkaSettings) -> Someone:
    """A resident who registered, linked an account of the registry and handed in a reading."""
    user_id = next(_ids)
    phone, first, last = f"+7916{user_id % 10_000_000:07d}", "Евлампия", "Шаляпина-Грицацуева"
    number, surname = f"5{user_id}", "Прохоренко-Шаляпина"
    meter = RegistryMeter(meter_id=f"M{user_id}", meter_type=MeterType.COLD_WATER, last_value=Decimal(100))
    record = RegistryRecord(
        account_number=number, surname=surname, address="ул. Садовая, 10, кв. 5", meters=[meter]
    )
    await publish(kafka.kafka_bootstrap, BILLING_REGISTRY_V1, record, key=number)
    await stack.gateway.wait_for("SELECT 1 FROM rm_meters WHERE account_number = $1", number, timeout=60)
    driver = ResidentDriver(
        stack.botapi.resident(TOKEN, user_id, first_name=first, last_name=last, phone_number=phone),
        load_catalogue(),
        timeout=30,
    )
    await driver.register()
    linked = await driver.add_account(number, surname.upper())
    assert "закреплен" in (linked.text or ""), linked.text
    saved = await driver.enter_reading(number, f"M{user_id}", "105")
    assert driver.t("reading.saved") in (saved.text or ""), saved.text
    readings = stack.services["readings"].pool
    assert await readings.fetchval("SELECT count(*) FROM chat_links WHERE chat_id = $1", user_id) == 1
    return Someone(user_id, phone, first, last, number, surname, driver)


async def forgotten(stack: Stack, chat_id: int) -> bool:
    """identity, accounts, readings and the gateway have forgotten the chat."""
    counts = [
        await stack.services["readings"].pool.fetchval(
            "SELECT count(*) FROM chat_links WHERE chat_id = $1", chat_id
        ),
        await stack.services["accounts"].pool.fetchval(
            "SELECT count(*) FROM chat_accounts WHERE chat_id = $1", chat_id
        ),
        await stack.gateway.pool.fetchval("SELECT count(*) FROM rm_chats WHERE chat_id = $1", chat_id),
    ]
    status = await stack.services["identity"].pool.fetchval(
        "SELECT status FROM residents WHERE chat_id = $1", chat_id
    )
    return counts == [0, 0, 0] and status == "erased"


async def test_erasure_leaves_no_phone_name_or_surname_in_any_store_or_lasting_topic(
    stack: Stack, kafka_settings: KafkaSettings
) -> None:
    someone = await resident_with_account(stack, kafka_settings)
    resident, user_id = someone.driver, someone.user_id

    # when the resident asks to be forgotten and confirms
    question = await resident.say(resident.t("btn.erase_data"))
    assert question.text == resident.t("erase.confirm")
    done = await resident.tap(question, resident.t("erase.yes"))
    assert done.text == resident.t("erase.done")

    # then identity, accounts, readings and the gateway forget the chat
    await wait_until(lambda: forgotten(stack, user_id), timeout=60)
    # the chat is no longer registered: /start offers registration again
    again = await resident.say("/start")
    assert again.text == resident.t("start.greeting")

    assert await tables_holding(stack.pools(), someone.personal) == []
    assert await tables_holding(stack.pools(), ["ул. Садовая, 10"])  # the search does see rows
    on_topics = await topics_holding(kafka_settings.kafka_bootstrap, someone.personal)
    assert {IDENTITY_COMMANDS, ACCOUNTS_COMMANDS} <= set(on_topics)  # ... and records
    on_topics.pop(BILLING_REGISTRY_V1, None)  # the registry's own copy of the owner's surname
    assert set(on_topics) <= SHORT_RETENTION, on_topics


async def test_an_operator_erases_a_resident_by_phone(
    stack: Stack, kafka_settings: KafkaSettings, postgres: Postgres
) -> None:
    someone = await resident_with_account(stack, kafka_settings)
    identity_db = await stack.services["identity"].pool.fetchval("SELECT current_database()")
    # `meterbot resident erase --phone 8 916 ...`: any spelling of the number finds the chat
    spelled = "8 " + someone.phone[2:5] + " " + someone.phone[5:]
    assert await chat_of_phone(postgres.dsn, spelled, database=identity_db) == someone.user_id
    assert await chat_of_phone(postgres.dsn, "+70000000000", database=identity_db) is None
    await request_erasure(someone.user_id, kafka_settings)
    await wait_until(lambda: forgotten(stack, someone.user_id), timeout=60)
    assert await tables_holding(stack.pools(), someone.personal) == []
