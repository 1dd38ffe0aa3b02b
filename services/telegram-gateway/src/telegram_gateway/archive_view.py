"""What the archive and the meter information say, as pure functions of texts and read-model data
(no I/O): the year's months per meter with consumption, the chart of the last 12 months, the
meters' registry data with their last accepted value."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from meterbot_contracts.archive import MonthConsumption, last_periods
from meterbot_contracts.period import split_period

from telegram_gateway.bot.keyboards import meter_label
from telegram_gateway.chart import Chart, Series
from telegram_gateway.i18n import Texts
from telegram_gateway.readmodel import MeterView
from telegram_gateway.readmodel.archive import LastValue, MeterArchive
from telegram_gateway.replies import format_day, format_value, period_name

CHART_MONTHS = 12


def _line(t: Texts, month: MonthConsumption) -> str:
    source = t("archive.from_registry") if month.source == "registry" else ""
    values = {"period": period_name(t, month.period), "value": month.value, "source": source}
    if month.used is None or month.since is None:
        return t("archive.line_first", **values)
    if last_periods(month.period, 2)[0] != month.since:  # months without a value in between
        return t("archive.line_spanned", used=month.used, since=period_name(t, month.since), **values)
    return t("archive.line", used=month.used, **values)


def year_text(t: Texts, account_number: str, year: int, archive: Sequence[MeterArchive]) -> str:
    """Each meter's months of `year`, with consumption (counted across the year's start too)."""
    lines = [t("archive.year_header", number=account_number, year=year)]
    for meter in archive:
        label = meter_label(t, meter.meter_type, meter.meter_id)
        months = [m for m in meter.months if m.period.startswith(f"{year:04d}-")]
        lines.append("")
        if not months:
            lines.append(t("archive.meter_no_months", meter=label, year=year))
            continue
        lines.append(t("archive.meter_header", meter=label))
        lines.extend(_line(t, m) for m in months)
    return "\n".join(lines)


def chart_window(year: int, current_period: str) -> list[str]:
    """The 12 months the chart shows: up to December of `year`, or up to now in the current year."""
    return last_periods(min(f"{year:04d}-12", current_period), CHART_MONTHS)


def year_chart(
    t: Texts, account_number: str, periods: Sequence[str], archive: Sequence[MeterArchive]
) -> Chart | None:
    """Consumption per month of each meter with a value in (or before) the window; None: none has."""
    series = []
    for meter in archive:
        if not any(m.period <= periods[-1] for m in meter.months):
            continue
        used = {m.period: m.used for m in meter.months}
        series.append(
            Series(
                meter_label(t, meter.meter_type, meter.meter_id),
                t(f"archive.unit_{meter.meter_type.value}"),
                [used.get(p) for p in periods],
            )
        )
    if not series:
        return None
    return Chart(
        title=t("archive.chart_title", number=account_number),
        months=[_month_label(t, p) for p in periods],
        series=series,
        no_data=t("archive.chart_no_data"),
    )


def _month_label(t: Texts, period: str) -> str:
    """«янв» over «2026»: the month's name cut to three letters (the usual abbreviation in ru and en)."""
    year, month = split_period(period)
    return f"{t(f'period.month_{month}')[:3]}\n{year}"


def chart_caption(t: Texts, account_number: str, periods: Sequence[str]) -> str:
    return t(
        "archive.chart_caption",
        number=account_number,
        first=period_name(t, periods[0]),
        last=period_name(t, periods[-1]),
    )


def meters_info_text(  # noqa: PLR0917  (one call site; each argument a different fact)
    t: Texts,
    account_number: str,
    meters: Sequence[MeterView],
    last: dict[str, LastValue],
    today: date,
    tz: ZoneInfo,
) -> str:
    """Type and id, serial number, verification date (and what to do once it expired), the last
    accepted value and its date, per meter."""
    if not meters:
        return t("meter_info.none", number=account_number)
    blocks = [t("meter_info.header", number=account_number)]
    for meter in meters:
        verified = t("meter_info.unknown")
        if meter.verified_until is not None:
            verified = format_day(meter.verified_until)
            if meter.verified_until < today:
                verified = t("meter_info.verified_expired", date=verified)
        found = last.get(meter.meter_id)
        last_text = t("meter_info.unknown")
        if found is not None:
            on = format_day(found.recorded_at.astimezone(tz).date())
            last_text = t("meter_info.last_value", value=format_value(t, found.value), date=on)
        blocks.append(
            t(
                "meter_info.meter",
                meter=meter_label(t, meter.meter_type, meter.meter_id),
                serial=meter.serial_number or t("meter_info.unknown"),
                verified=verified,
                last=last_text,
            )
        )
    return "\n\n".join(blocks)
