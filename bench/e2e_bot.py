"""Bot level for bench/e2e.py: residents on the local Bot API server (in this process; the stack's
gateway polls it) register, link an account and open a meter's prompt; then all of them type a value
at `rate` residents/s and each one's wait for «Информация сохранена» is timed."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from meterbot_botapi import BotApiServer, ChatMessage, Resident
from meterbot_testing.resident import ResidentDriver
from telegram_gateway.i18n import load_catalogue

BOT_TOKEN = "7000000002:bench-meterbot"
BOT_ACCOUNT, BOT_USER = 700_000, 800_000_000
SURNAME = "Жителев"


@dataclass
class BotResult:
    residents: int
    ready: int = 0  # got as far as the meter's prompt
    saved: int = 0
    latencies: list[float] = field(default_factory=list)  # typed value -> the bot's answer
    setup_latencies: list[float] = field(default_factory=list)  # every step before (register, link, menus)
    failures: list[str] = field(default_factory=list)
    after_quiet: list[float] = field(default_factory=list)  # a value typed after each quiet spell


class TimedDriver(ResidentDriver):  # type: ignore[misc,unused-ignore]
    def __init__(self, resident: Resident, *, timeout: float, into: list[float]) -> None:
        super().__init__(resident, load_catalogue(), timeout=timeout)
        self.into = into

    async def say(self, text: str) -> ChatMessage:
        started = time.perf_counter()
        try:
            return await super().say(text)
        finally:
            self.into.append(time.perf_counter() - started)

    async def press(self, label: str) -> ChatMessage:
        started = time.perf_counter()
        try:
            return await super().press(label)
        finally:
            self.into.append(time.perf_counter() - started)


async def bot_level(
    server: BotApiServer,
    residents: int,
    rate: float,
    quiet_s: tuple[float, ...],
    timeout: float = 120,  # noqa: ASYNC109 - the wait for each bot answer
) -> BotResult:
    result = BotResult(residents)
    drivers: list[ResidentDriver] = []
    gate = asyncio.Semaphore(25)  # residents getting ready at once

    async def get_ready(n: int) -> ResidentDriver | None:
        async with gate:
            person = server.resident(BOT_TOKEN, BOT_USER + n, first_name=f"Житель {n}", language_code="ru")
            driver = TimedDriver(person, timeout=timeout, into=result.setup_latencies)
            try:
                await driver.register()
                linked = await driver.add_account(str(BOT_ACCOUNT + n), SURNAME)
                if "закреплен" not in (linked.text or ""):
                    raise AssertionError(f"link: {linked.text!r}")
                meters = await driver.meters(str(BOT_ACCOUNT + n))
                caption = next(b for row in meters.buttons for b in row if b.endswith(f"b{BOT_ACCOUNT + n}"))
                await driver.tap(meters, caption)
            except (AssertionError, TimeoutError, StopIteration) as exc:
                result.failures.append(f"resident {n}: {type(exc).__name__} {exc}"[:200])
                return None
            return driver

    for driver in await asyncio.gather(*(get_ready(n) for n in range(residents))):
        if driver is not None:
            drivers.append(driver)
    result.ready = len(drivers)
    saved_text = drivers[0].t("reading.saved") if drivers else ""

    async def type_value(k: int, driver: ResidentDriver, begin: float) -> None:
        await asyncio.sleep(max(0.0, begin + k / rate - time.perf_counter()))
        await driver.send("150")
        started = time.perf_counter()
        try:
            answer = await driver.next()
        except TimeoutError:
            result.failures.append(f"resident {k}: no answer to the value in {timeout} s")
            return
        result.latencies.append(time.perf_counter() - started)
        result.saved += saved_text in (answer.text or "")

    begin = time.perf_counter()
    await asyncio.gather(*(type_value(k, d, begin) for k, d in enumerate(drivers)))
    for n, (driver, quiet) in enumerate(zip(drivers, quiet_s, strict=False)):
        await _after_quiet(driver, n, quiet, result)
    return result


async def _after_quiet(driver: ResidentDriver, n: int, quiet_s: float, result: BotResult) -> None:
    """The first reading after nobody used the bot for `quiet_s`: what one resident on a quiet
    evening waits (consumers that idle fetch slowly: see meterbot_platform.idle_fetch)."""
    meters = await driver.meters(str(BOT_ACCOUNT + n))
    caption = next(b for row in meters.buttons for b in row if b.endswith(f"b{BOT_ACCOUNT + n}"))
    await driver.tap(meters, caption)
    await asyncio.sleep(quiet_s)
    started = time.perf_counter()
    await driver.say("160")
    result.after_quiet.append(time.perf_counter() - started)
