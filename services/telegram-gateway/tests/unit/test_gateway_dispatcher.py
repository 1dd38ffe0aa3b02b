"""The bot's input paths through the real dispatcher, in-process (no Kafka, PostgreSQL or Telegram):
which step a resident is on, what each wrong input is told, and the command that leaves when the
input is complete. The answers to commands come with events and are tested over the real broker."""

from __future__ import annotations

import pytest
from meterbot_contracts.accounts import AccountLinkRequested
from meterbot_contracts.fields import ACCOUNT_NUMBER_MAX, SURNAME_MAX

from .gateway_inprocess import InProcessGateway, in_process_gateway

pytestmark = pytest.mark.unit

CHAT = 5551


@pytest.fixture
def gateway() -> InProcessGateway:
    gw = in_process_gateway()
    gw.read_model.registered.add(CHAT)
    return gw


async def test_an_unregistered_chat_is_asked_to_register_first() -> None:
    gw = in_process_gateway()
    [reply] = await gw.say(CHAT, "Добавить ЛС")
    assert reply == gw.t("registration.required")
    assert gw.bus.sent == []


async def test_adding_an_account_checks_the_number_then_sends_the_pair(gateway: InProcessGateway) -> None:
    gw, t = gateway, gateway.t
    await gw.say(CHAT, t("btn.start_work"))
    assert await gw.say(CHAT, t("btn.add_account")) == [t("account.enter_number")]

    assert await gw.say(CHAT, "12-34") == [t("account.digits_only")]
    assert await gw.say(CHAT, "1" * (ACCOUNT_NUMBER_MAX + 1)) == [
        t("account.too_long", max=ACCOUNT_NUMBER_MAX)
    ]
    assert gw.bus.sent == []  # still on the number

    assert await gw.say(CHAT, " 100001 ") == [t("account.entered", number="100001")]
    await gw.say(CHAT, "Иванов")
    assert gw.bus.sent == [AccountLinkRequested(chat_id=CHAT, account_number="100001", surname="Иванов")]
    assert await gw.state(CHAT) is None  # the input is complete


async def test_exit_leaves_the_input_and_nothing_is_sent(gateway: InProcessGateway) -> None:
    gw, t = gateway, gateway.t
    await gw.say(CHAT, t("btn.add_account"))
    await gw.say(CHAT, "100001")
    assert await gw.state(CHAT) is not None
    await gw.say(CHAT, "/exit")
    assert await gw.state(CHAT) is None
    await gw.say(CHAT, "Иванов")  # no longer taken as a surname
    assert gw.bus.sent == []


async def test_a_menu_button_during_input_acts_as_the_button(gateway: InProcessGateway) -> None:
    gw, t = gateway, gateway.t
    await gw.say(CHAT, t("btn.add_account"))
    assert await gw.say(CHAT, t("btn.add_account")) == [t("account.enter_number")]
    assert await gw.say(CHAT, t("btn.select_account")) != [t("account.digits_only")]
    assert gw.bus.sent == []


async def test_a_surname_longer_than_the_contract_allows_is_asked_again(gateway: InProcessGateway) -> None:
    gw, t = gateway, gateway.t
    await gw.say(CHAT, t("btn.add_account"))
    await gw.say(CHAT, "100001")
    assert await gw.say(CHAT, "Я" * (SURNAME_MAX + 1)) == [t("account.surname_too_long", max=SURNAME_MAX)]
    await gw.say(CHAT, "Мамин-Сибиряк")
    assert gw.bus.sent == [
        AccountLinkRequested(chat_id=CHAT, account_number="100001", surname="Мамин-Сибиряк")
    ]
