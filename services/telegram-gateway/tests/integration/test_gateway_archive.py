"""«Архив показаний» and «Информация о приборах» through the real dispatcher and the local Bot API
server: the years with readings as buttons, a year's months per meter with consumption (across a
withdrawn month, a replacement and the year's start; the registry's value counting as a reading),
the chart of the last 12 months arriving as a photo whose PNG decodes; the meters' registry data
with the last accepted value; a forged year button of someone else's account."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from meterbot_contracts.readings import MeterType, ReadingAccepted, ReadingWithdrawn
from meterbot_testing.resident import ResidentDriver, ResidentFactory
from meterbot_testing.services import ServiceDouble
from PIL import Image
from telegram_gateway.archive_view import chart_window
from telegram_gateway.bot.callbacks import ArchiveYearCb, ref_for
from telegram_gateway.i18n import load_catalogue
from telegram_gateway.periods import period_of
from telegram_gateway.replies import period_name

from .gateway_harness import GatewayHarness
from .gateway_steps import add_meter, link

pytestmark = pytest.mark.integration

COLD, POWER = MeterType.COLD_WATER, MeterType.ELECTRICITY
RU = load_catalogue().texts("ru")


def month(period: str) -> str:
    return period_name(RU, period)


def accepted(account: str, meter_id: str, meter_type: MeterType, period: str, value: str) -> ReadingAccepted:
    return ReadingAccepted(
        reading_id=uuid4(),
        chat_id=1,  # handed in by another chat of the account: nothing is said to ours
        account_number=account,
        meter_id=meter_id,
        meter_type=meter_type,
        value=Decimal(value),
        previous_value=None,
        period=period,
        submitted_at=datetime(int(period[:4]), int(period[5:]), 20, 9, tzinfo=UTC),
    )


async def history(
    gateway: GatewayHarness, services: ServiceDouble, account: str, cold: str, power: str
) -> None:
    """Cold water: registry 250.550 on 2026-01-31 (add_meter), readings in December 2025, February,
    March (replaced), April (withdrawn) and May 2026. Electricity: February and March 2026."""
    events: list[ReadingAccepted | ReadingWithdrawn] = [
        accepted(account, cold, COLD, "2025-12", "240"),
        accepted(account, cold, COLD, "2026-02", "260"),
        accepted(account, cold, COLD, "2026-03", "270"),
        accepted(account, cold, COLD, "2026-03", "275"),  # replaces 270
        april := accepted(account, cold, COLD, "2026-04", "280"),
        ReadingWithdrawn(
            reading_id=april.reading_id, chat_id=1, account_number=account, meter_id=cold, period="2026-04"
        ),
        last := accepted(account, cold, COLD, "2026-05", "290"),
        accepted(account, power, POWER, "2026-02", "1000"),
        accepted(account, power, POWER, "2026-03", "1150"),
    ]
    for event in events:
        await services.publish(event)
    await gateway.wait_for("SELECT true FROM rm_archive WHERE reading_id = $1", last.reading_id)
    await gateway.wait_for(
        "SELECT NOT EXISTS (SELECT 1 FROM rm_archive WHERE reading_id = $1)", april.reading_id
    )
    await gateway.wait_for("SELECT count(*) = 2 FROM rm_archive WHERE meter_id = $1", power)


async def with_cold_and_power(
    gateway: GatewayHarness,
    services: ServiceDouble,
    new_resident: ResidentFactory,
    *,
    power_verified_until: date = date(2031, 1, 1),
) -> tuple[ResidentDriver, str, str, str]:
    """A registered resident linked to an account with a cold water meter and an electricity meter
    without a registry value: (resident, account, cold, power)."""
    resident = new_resident()
    await resident.register()
    account, cold, power = str(uuid.uuid4().int)[:9], f"C{uuid.uuid4().hex[:6]}", f"E{uuid.uuid4().hex[:6]}"
    await add_meter(gateway, services, account, cold, meter_type=COLD)
    await add_meter(
        gateway,
        services,
        account,
        power,
        meter_type=POWER,
        last_value=None,
        verified_until=power_verified_until,
    )
    await link(resident, services, account)
    return resident, account, cold, power


async def test_archive_by_year_with_consumption_and_the_chart_as_a_photo(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    resident, account, cold, power = await with_cold_and_power(gateway, services, new_resident)
    await history(gateway, services, account, cold, power)
    t = resident.t

    actions = await resident.choose_account(account)
    assert [t("archive.btn")] in actions.buttons and [t("meter_info.btn")] in actions.buttons
    years = await resident.tap(actions, t("archive.btn"))
    assert years.text == t("archive.choose_year", number=account)
    assert years.buttons == [["2025", "2026"]]

    text = await resident.tap(years, "2026")
    cold_label, power_label = f"{t('meter.cold_water')} {cold}", f"{t('meter.electricity')} {power}"
    assert text.text == "\n".join(
        [
            t("archive.year_header", number=account, year=2026),
            "",
            f"{cold_label}:",
            f"{month('2026-01')}: 250.550, расход 10.550 (по данным расчетного центра)",
            f"{month('2026-02')}: 260, расход 9.450",
            f"{month('2026-03')}: 275, расход 15",
            f"{month('2026-05')}: 290, расход 15 (от показания за {month('2026-03')})",
            "",
            f"{power_label}:",
            f"{month('2026-02')}: 1000",
            f"{month('2026-03')}: 1150, расход 150",
        ]
    )

    photo = await resident.next(timeout=30)  # the first chart of a process imports matplotlib
    periods = chart_window(2026, period_of(datetime.now(UTC), gateway.settings.time_zone))
    assert photo.kind == "photo"
    assert photo.caption == t(
        "archive.chart_caption", number=account, first=month(periods[0]), last=month(periods[-1])
    )
    assert photo.file_id is not None
    png = resident.resident.api.file_bytes(photo.file_id)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.width >= 600 and image.height >= 400  # two meters, one chart each
        image.load()  # decodes every pixel (a truncated PNG raises)

    # someone else's account in a forged year button: refused like any foreign account
    forged = ArchiveYearCb(ref=ref_for("999999999"), year=2026).pack()
    refused = await resident.tap_forged(years, forged)
    assert refused.text == t("account.not_owned")


async def test_meter_information_with_verification_and_the_last_accepted_value(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    resident, account, cold, power = await with_cold_and_power(
        gateway, services, new_resident, power_verified_until=date(2024, 6, 30)
    )
    last = accepted(account, cold, COLD, "2026-05", "290")
    await services.publish(last)
    await gateway.wait_for("SELECT true FROM rm_archive WHERE reading_id = $1", last.reading_id)
    t = resident.t

    actions = await resident.choose_account(account)
    info = await resident.tap(actions, t("meter_info.btn"))
    assert info.text == "\n\n".join(
        [
            t("meter_info.header", number=account),
            t(
                "meter_info.meter",
                meter=f"{t('meter.cold_water')} {cold}",
                serial=f"SN-{cold}",
                verified="01.01.2031",
                last="290 от 20.05.2026",
            ),
            t(
                "meter_info.meter",
                meter=f"{t('meter.electricity')} {power}",
                serial=f"SN-{power}",
                verified=t("meter_info.verified_expired", date="30.06.2024", email="abonent@example.org"),
                last=t("meter_info.unknown"),
            ),
        ]
    )
    assert "abonent@example.org" in (info.text or "")  # what to do about the expired verification
