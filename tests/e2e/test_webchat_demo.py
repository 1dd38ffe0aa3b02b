"""Try it without Telegram: `meterbot up --demo` with no token serves the chat page; a person in
headless Chromium registers, links a demo account, submits a reading and sees it saved, looks at what
was handed in (and what is still to submit), is asked before a reading is withdrawn, and hears about
an expired verification when choosing that meter. WEBCHAT_SCREENSHOT=1 refreshes the README's pictures."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import playwright.async_api as playwright_api
import pytest

from .stack_driver import StackProcess

pytestmark = pytest.mark.e2e
expect = playwright_api.expect

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    found = os.environ.get("WEBCHAT_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail("no Chromium: apt-get install chromium (or set WEBCHAT_CHROMIUM)", pytrace=False)
    return found


async def test_demo_journey_in_the_browser(tmp_path: Path) -> None:
    # A script taps faster than a person: button presses count against the flood limit too.
    stack = StackProcess(tmp_path, {"METERBOT_GATEWAY_RATE_LIMIT_MESSAGES": "200"}, args=("--demo",))
    state = await asyncio.to_thread(stack.start)
    try:
        chat_url = state["extras"]["chat_url"]
        async with playwright_api.async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 390, "height": 844}, locale="ru-RU")
            await page.goto(chat_url)
            await page.wait_for_selector("body[data-ready='true']", timeout=30_000)
            last = page.locator(".row.in .bubble").last

            async def send(text: str) -> None:
                await page.fill("#input", text)
                await page.press("#input", "Enter")

            async def press(label: str) -> None:
                await page.locator("#keyboard").get_by_role("button", name=label, exact=True).click()

            async def choose_account(number: str, action: str) -> None:
                """«Выбрать ЛС» -> the account's own button -> an action, each after its message came."""
                await press("Выбрать ЛС")
                await expect(last).to_contain_text("Выберите лицевой счет:", timeout=10_000)
                await page.locator(".inline-btn").filter(has_text=re.compile(f"^{number}$")).last.click()
                await expect(last).to_contain_text(f"Лицевой счет {number}", timeout=10_000)
                await page.locator(".inline-btn", has_text=action).last.click()

            async def shot(name: str) -> None:
                await page.screenshot(path=str(tmp_path / name))
                if os.environ.get("WEBCHAT_SCREENSHOT") == "1":  # refresh the README picture on request
                    shutil.copy(tmp_path / name, Path(__file__).parents[2] / "docs/img" / name)

            await send("/start")
            await press("Отправить мой номер")
            await expect(last).to_contain_text("Регистрация выполнена", timeout=20_000)
            await press("Начать работу")
            await press("Добавить ЛС")
            await expect(last).to_contain_text("Введите лицевой счет:", timeout=10_000)
            await send("100001")
            await expect(last).to_contain_text("Лицевой счет 100001 введен Для подтверждения введите фамилию")
            await send("иванов")
            await expect(last).to_contain_text("закреплен", timeout=20_000)
            await press("Выбрать ЛС")
            await page.locator(".inline-btn", has_text="100001").last.click()
            await page.locator(".inline-btn", has_text="Ввести показания").last.click()
            await page.locator(".inline-btn", has_text="Холодная вода 100001-cw").last.click()
            await expect(last).to_contain_text(
                "Введите значение для прибора учета Холодная вода 100001-cw (250.550)", timeout=10_000
            )
            await send("251")
            saved = page.locator(".row.in .bubble", has_text="Информация сохранена")
            await expect(saved).to_be_visible(timeout=20_000)
            await shot("webchat.png")

            await choose_account("100001", "Посмотреть переданные показания")
            view = page.locator(".row.in .bubble", has_text="Еще не переданы:")
            await expect(view).to_contain_text(
                "Холодная вода 100001-cw: 251 (предыдущее 250.550, расход 0.450"
            )
            await expect(view).to_contain_text("Горячая вода 100001-hw: предыдущее")
            await shot("webchat-view.png")

            await page.locator(".inline-btn", has_text="Отменить: Холодная вода 100001-cw").last.click()
            await expect(last).to_contain_text("Отменить показание прибора учета Холодная вода 100001-cw за")
            await shot("webchat-confirm.png")
            await page.locator(".inline-btn", has_text="Нет").last.click()
            await expect(last).to_contain_text("Показание остается в силе. Ничего не изменено.")

            await press("Добавить ЛС")
            await expect(last).to_contain_text("Введите лицевой счет:", timeout=10_000)
            await send("100003")
            await expect(last).to_contain_text("Лицевой счет 100003 введен")
            await send("елкина")
            await expect(last).to_contain_text("закреплен", timeout=20_000)
            await choose_account("100003", "Ввести показания")
            await expect(last).to_contain_text("Нажмите кнопку с обозначением прибора учета", timeout=10_000)
            await page.locator(".inline-btn", has_text="Холодная вода 100003-cw").last.click()
            await expect(last).to_contain_text("срок поверки истек", timeout=10_000)
            await shot("webchat-refusal.png")
            await browser.close()
    finally:
        assert await asyncio.to_thread(stack.stop) == 0, stack.log_tail()
