"""«Удалить мои данные» end to end (issue 18, item 3): a resident registers, links an account and
hands in a reading; after they confirm erasure, no service database holds their phone, name or the
surname they typed, and no topic does either -- except the two command topics that carry them in
the clear, whose retention is short by the topic plan (README, «Threat model»). The account number,
address and the reading belong to the billing registry and stay."""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal

import pytest
from meterbot_contracts.billing import RegistryMeter, RegistryRecord
from meterbot_contracts.readings import MeterType
from meterbot_contracts.topics import ACCOUNTS_COMMANDS, BILLING_REGISTRY_V1, IDENTITY_COMMANDS, dlq_topic
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.bus import wait_until
from meterbot_testing.infra import Postgres
from telegram_gateway.testing import ResidentDriver

from .privacy_stack import TOKEN, privacy_stack, publish, tables_holding, topics_holding

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


async def test_erasure_leaves_no_phone_name_or_surname_in_any_store_or_lasting_topic(
    postgres: Postgres, kafka_settings: KafkaSettings
) -> None:
    user_id = next(_ids)
    phone, first, last = f"+7916{user_id:07d}", "Евлампия", "Шаляпина-Грицацуева"
    number, surname = f"5{user_id}", "Прохоренко-Шаляпина"
    personal = [phone, phone[1:], first, last, surname, "прохоренкошаляпина"]

    async with privacy_stack(postgres.dsn, kafka_settings) as stack:
        meter = RegistryMeter(
            meter_id=f"M{user_id}", meter_type=MeterType.COLD_WATER, last_value=Decimal(100)
        )
        record = RegistryRecord(
            account_number=number, surname=surname, address="ул. Садовая, 10, кв. 5", meters=[meter]
        )
        await publish(kafka_settings.kafka_bootstrap, BILLING_REGISTRY_V1, record, key=number)
        await stack.gateway.wait_for("SELECT 1 FROM rm_meters WHERE account_number = $1", number, timeout=60)
        resident = ResidentDriver(
            stack.botapi.resident(TOKEN, user_id, first_name=first, last_name=last, phone_number=phone),
            timeout=30,
        )
        await resident.register()
        linked = await resident.add_account(number, surname.upper())
        assert "закреплен" in (linked.text or ""), linked.text
        saved = await resident.enter_reading(number, f"M{user_id}", "105")
        assert resident.t("reading.saved") in (saved.text or ""), saved.text
        readings = stack.services["readings"].pool
        assert await readings.fetchval("SELECT count(*) FROM chat_links WHERE chat_id = $1", user_id) == 1

        # when the resident asks to be forgotten and confirms
        question = await resident.say(resident.t("btn.erase_data"))
        assert question.text == resident.t("erase.confirm")
        done = await resident.tap(question, resident.t("erase.yes"))
        assert done.text == resident.t("erase.done")

        # then identity, accounts, readings and the gateway forget the chat
        async def forgotten() -> bool:
            counts = [
                await readings.fetchval("SELECT count(*) FROM chat_links WHERE chat_id = $1", user_id),
                await stack.services["accounts"].pool.fetchval(
                    "SELECT count(*) FROM chat_accounts WHERE chat_id = $1", user_id
                ),
                await stack.gateway.pool.fetchval(
                    "SELECT count(*) FROM rm_chats WHERE chat_id = $1", user_id
                ),
            ]
            status = await stack.services["identity"].pool.fetchval(
                "SELECT status FROM residents WHERE chat_id = $1", user_id
            )
            return counts == [0, 0, 0] and status == "erased"

        await wait_until(forgotten, timeout=60)
        # the chat is no longer linked: the menu offers registration again
        again = await resident.say("/start")
        assert again.text == resident.t("start.greeting")

        assert await tables_holding(stack.pools(), personal) == []
        assert await tables_holding(stack.pools(), ["ул. Садовая, 10"])  # the search does see rows
        on_topics = await topics_holding(kafka_settings.kafka_bootstrap, personal)
        assert {IDENTITY_COMMANDS, ACCOUNTS_COMMANDS} <= set(on_topics)  # ... and records
        on_topics.pop(BILLING_REGISTRY_V1, None)  # the registry's own copy of the owner's surname
        assert set(on_topics) <= SHORT_RETENTION, on_topics
