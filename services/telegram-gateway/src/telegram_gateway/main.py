"""Composition root of the telegram-gateway service: nothing is built at import time."""

from __future__ import annotations

from meterbot_platform.runtime import Runtime, ServiceSpec
from meterbot_platform.runtime import main as run_main
from meterbot_platform.settings import TelegramSettings

from telegram_gateway.app import SERVICE, attach
from telegram_gateway.settings import GatewaySettings
from telegram_gateway.storage.schema import MIGRATIONS


async def wire(runtime: Runtime) -> None:
    await attach(runtime, telegram=TelegramSettings(), settings=GatewaySettings())


# The gateway sends commands and keeps a read model; its own events are the administrator's actions
# and the news (issue 15), published on meterbot.telegram-gateway.events.
SPEC = ServiceSpec(name=SERVICE, database="gateway", migrations=MIGRATIONS, wire=wire)


def main() -> None:
    run_main(SPEC)
