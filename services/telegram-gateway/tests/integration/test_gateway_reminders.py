"""Reminders and verification notices through the real dispatcher and the local Bot API server:
due -> recorded once -> queued -> sent by the gateway's outbound sender; the reminder's button opens
entering readings for the account; «Напоминания: вкл/выкл» turns them off (issue 13, items 3-5).

The test's scheduler uses the gateway's own window and the real clock, so it and the gateway's
background scheduler are two replicas deciding the same facts: the resident still gets each once.
(The fixed-clock cases of the rules are unit tests.)"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from meterbot_contracts.readings import MeterReplaced, MeterType
from meterbot_testing.resident import ResidentFactory
from meterbot_testing.services import ServiceDouble
from telegram_gateway.notices import NoticeScheduler
from telegram_gateway.notices.rules import reminder_kind_on
from telegram_gateway.notices.status import replaced_messages

from .gateway_harness import GatewayHarness
from .gateway_steps import add_meter, link

pytestmark = pytest.mark.integration


def scheduler(gateway: GatewayHarness) -> NoticeScheduler:
    assert gateway.gateway is not None
    return NoticeScheduler(
        gateway.pool,
        gateway.gateway.catalogue,
        window=gateway.settings.window,
        tz=gateway.settings.time_zone,
        days_before_close=gateway.settings.reminder_days_before_close,
        quiet=600,
    )


async def quiet_for_a_while(gateway: GatewayHarness, chat_id: int) -> None:
    """The resident last talked to the bot 20 minutes ago (reminders do not cut into a conversation)."""
    ago = datetime.now(UTC) - timedelta(minutes=20)
    for table, column in (
        ("rm_links", "linked_at"),
        ("fsm_states", "updated_at"),
        ("pending_requests", "started_at"),
    ):
        await gateway.pool.execute(f"UPDATE {table} SET {column} = $2 WHERE chat_id = $1", chat_id, ago)


async def test_a_reminder_with_its_button_and_a_verification_notice_come_once(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    account, meter, old = (
        str(uuid.uuid4().int)[:9],
        f"CW-{uuid.uuid4().hex[:6]}",
        f"HW-{uuid.uuid4().hex[:6]}",
    )
    today = datetime.now(UTC).astimezone(gateway.settings.time_zone).date()
    await add_meter(gateway, services, account, meter)
    await add_meter(
        gateway,
        services,
        account,
        old,
        meter_type=MeterType.HOT_WATER,
        verified_until=today + timedelta(days=20),
    )
    nina = new_resident()
    await nina.register()
    await link(nina, services, account)
    await quiet_for_a_while(gateway, nina.chat_id)

    await scheduler(gateway).run_once()
    await scheduler(gateway).run_once()  # another replica, another round: nothing twice
    first, second = await nina.next(), await nina.next()
    reminder = first if first.buttons else second
    notice = second if first.buttons else first
    assert f"Лицевой счет {account}: Холодная вода {meter}, Горячая вода {old}" in (reminder.text or "")
    assert reminder.buttons == [[f"Ввести показания: {account}"]]
    assert f"Горячая вода {old}" in (notice.text or "") and "истекает" in (notice.text or "")
    assert (today + timedelta(days=20)).strftime("%d.%m.%Y") in (notice.text or "")

    meters = await nina.tap(reminder, f"Ввести показания: {account}")  # opens entering readings
    assert sorted(b for row in meters.buttons for b in row) == sorted(
        [f"Холодная вода {meter}", f"Горячая вода {old}"]
    )
    facts = await gateway.pool.fetch(
        "SELECT kind FROM notice_facts WHERE chat_id = $1 ORDER BY kind", nina.chat_id
    )
    assert [f["kind"] for f in facts] == [reminder_kind(gateway, today), "verify30"]
    assert (
        await gateway.pool.fetchval("SELECT count(*) FROM outbound_messages WHERE chat_id = $1", nina.chat_id)
        == 2
    )


def reminder_kind(gateway: GatewayHarness, today: date) -> str:
    kind = reminder_kind_on(gateway.settings.window, today, gateway.settings.reminder_days_before_close)
    assert kind is not None
    return kind.value


async def test_reminders_off_means_none(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    account, meter = str(uuid.uuid4().int)[:9], f"CW-{uuid.uuid4().hex[:6]}"
    await add_meter(gateway, services, account, meter)
    olga = new_resident()
    await olga.register()
    await link(olga, services, account)
    await olga.press("Выход")  # back to the main menu, where the button is
    off = await olga.press("Напоминания: вкл/выкл")
    assert (off.text or "").startswith("Напоминания выключены")
    await quiet_for_a_while(gateway, olga.chat_id)
    await scheduler(gateway).run_once()
    assert (
        await gateway.pool.fetchval("SELECT count(*) FROM outbound_messages WHERE chat_id = $1", olga.chat_id)
        == 0
    )
    on = await olga.press("Напоминания: вкл/выкл")
    assert (on.text or "").startswith("Напоминания включены")


async def test_two_accounts_get_a_button_each_in_the_language_chosen_with_language(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    """Registered with a Russian Telegram, switched to English with /language: the reminder (and any
    other queued message, e.g. a meter replaced) is in English, as the replies are; it lists both
    accounts still missing readings, with a button for each that opens entering readings for it."""
    accounts = [str(uuid.uuid4().int)[:9], str(uuid.uuid4().int)[:8]]
    meters = [f"CW-{uuid.uuid4().hex[:6]}", f"CW-{uuid.uuid4().hex[:6]}"]
    for account, meter in zip(accounts, meters, strict=True):
        await add_meter(gateway, services, account, meter)
    ivan = new_resident(language_code="ru")
    await ivan.register()
    for account in accounts:
        await link(ivan, services, account)
    assert (await ivan.tap(await ivan.say("/language"), "English")).text == "Bot language: English."
    await quiet_for_a_while(gateway, ivan.chat_id)

    await scheduler(gateway).run_once()
    reminder = await ivan.next()
    assert (reminder.text or "").startswith("Readings for ")
    by_number = sorted(accounts, key=lambda n: (len(n), n))  # as the accounts are listed
    assert reminder.buttons == [[f"Enter readings: {number}"] for number in by_number]
    for account, meter in zip(accounts, meters, strict=True):
        assert f"Account {account}: Cold water {meter}" in (reminder.text or "")
    second = await ivan.tap(reminder, f"Enter readings: {accounts[1]}")  # that account's meters
    assert second.buttons == [[f"Cold water {meters[1]}"]]

    assert gateway.gateway is not None
    async with gateway.pool.acquire() as conn:
        replaced = await replaced_messages(
            conn,
            gateway.gateway.catalogue,
            MeterReplaced(
                meter_id=meters[0],
                account_number=accounts[0],
                meter_type=MeterType.COLD_WATER,
                replaced_by="CW-new",
                replaced_by_type=MeterType.COLD_WATER,
            ),
        )
    assert [m.chat_id for m in replaced] == [ivan.chat_id]
    assert replaced[0].text.startswith(f"Meter Cold water {meters[0]} was replaced by")  # English too
