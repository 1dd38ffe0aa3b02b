"""The archive chart as a resident sees it on the chat page (headless Chromium): after «Архив
показаний» -> 2026 the bot's photo is shown, decoded by the browser. The phone-sized screenshot
goes to the test's tmp_path; WEBCHAT_SCREENSHOT=1 (or a missing docs/img/webchat-archive.png) also
copies it into docs/img/ for the README. Needs Debian's chromium (or WEBCHAT_CHROMIUM); fails
without it, never skips."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import playwright.async_api as playwright_api
import pytest
from meterbot_botapi import BotApiServer
from meterbot_contracts.readings import MeterType, ReadingAccepted
from meterbot_testing.resident import ResidentFactory
from meterbot_testing.services import ServiceDouble

from .gateway_harness import GatewayHarness
from .gateway_steps import add_meter, link

pytestmark = pytest.mark.e2e

SCREENSHOT = Path(__file__).parents[4] / "docs" / "img" / "webchat-archive.png"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
MONTHLY = {  # consumption per month, February to November 2026 (January: the registry's value)
    MeterType.COLD_WATER: [8, 9, 7, 10, 11, 12, 9, 8, 10, 9],
    MeterType.HOT_WATER: [4, 5, 4, 6, 5, 5, 3, 4, 5, 4],
}


def _chromium() -> str:
    candidates = [os.environ.get("WEBCHAT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    found = next((c for c in candidates if c and Path(c).exists()), None)
    if found is None:
        pytest.fail("no Chromium: apt-get install chromium (or set WEBCHAT_CHROMIUM)", pytrace=False)
    return found


async def test_the_archive_chart_shows_on_the_chat_page(
    gateway: GatewayHarness,
    services: ServiceDouble,
    new_resident: ResidentFactory,
    botapi: BotApiServer,
    tmp_path: Path,
) -> None:
    resident = new_resident(first_name="Анна")
    await resident.register()
    account = str(uuid.uuid4().int)[:6]
    last = None
    for meter_type, used in MONTHLY.items():
        meter_id = f"{account}-{'cw' if meter_type is MeterType.COLD_WATER else 'hw'}"
        await add_meter(gateway, services, account, meter_id, meter_type=meter_type, last_value=Decimal(120))
        value = Decimal(120)
        for month, step in enumerate(used, start=2):
            value += step
            last = ReadingAccepted(
                reading_id=uuid4(),
                chat_id=resident.chat_id,
                account_number=account,
                meter_id=meter_id,
                meter_type=meter_type,
                value=value,
                previous_value=value - step,
                period=f"2026-{month:02d}",
                submitted_at=datetime(2026, month, 20, 9, tzinfo=UTC),
            )
            await services.publish(last)
    assert last is not None
    await gateway.wait_for("SELECT true FROM rm_archive WHERE reading_id = $1", last.reading_id)
    await link(resident, services, account)
    t = resident.t
    years = await resident.tap(await resident.choose_account(account), t("archive.btn"))
    await resident.tap(years, "2026")
    photo = await resident.next(timeout=30)  # the first chart of a process imports matplotlib
    assert photo.kind == "photo"

    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 430, "height": 932}, locale="ru-RU")
        await page.goto(f"{botapi.chat_url}?user={resident.chat_id}&name=Анна")
        image = page.locator("img.photo").last
        await playwright_api.expect(image).to_be_visible(timeout=20_000)
        await page.wait_for_function(
            "() => [...document.querySelectorAll('img.photo')].every(i => i.complete && i.naturalWidth > 0)"
        )
        width = await image.evaluate("i => i.naturalWidth")
        assert width == 900  # the PNG as rendered, decoded by the browser
        await page.locator(".row.in").last.scroll_into_view_if_needed()
        shot = tmp_path / "webchat-archive.png"
        await page.screenshot(path=str(shot))
        await browser.close()
    assert shot.stat().st_size > 10_000
    if os.environ.get("WEBCHAT_SCREENSHOT") == "1" or not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
