"""The due/once rules of reminders and verification notices with a fixed clock (issue 13)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from meterbot_contracts.readings import MeterType
from meterbot_contracts.window import SubmissionWindow
from telegram_gateway.i18n import load_catalogue
from telegram_gateway.notices.messages import reminder_notice, verification_notice
from telegram_gateway.notices.rules import (
    MeterFacts,
    ReminderDue,
    ReminderKind,
    ResidentFacts,
    VerificationDue,
    VerificationKind,
    all_due,
    reminder_due,
    reminder_kind_on,
    verification_due,
)
from telegram_gateway.notices.status import ExportedRow, export_notices
from telegram_gateway.readmodel import MeterView, PeriodReading
from telegram_gateway.replies import view_lines

pytestmark = pytest.mark.unit

MID_MONTH = SubmissionWindow.parse("15-25")
PERIOD = "2026-03"


def meter(meter_id: str = "M1", account: str = "100", **kw: object) -> MeterFacts:
    values: dict[str, object] = {"closed": False, "verified_until": date(2030, 1, 1), "handed_in": False}
    values.update(kw)
    return MeterFacts(meter_id, account, **values)  # type: ignore[arg-type]


def resident(*meters: MeterFacts, on: bool = True) -> ResidentFacts:
    return ResidentFacts(7, on, tuple(meters))


def due(
    r: ResidentFacts, day: date, sent: set[tuple[str, str]] | None = None, *, closed: bool = False
) -> ReminderDue | None:
    return reminder_due(
        r,
        today=day,
        period=PERIOD,
        window=MID_MONTH,
        days_before_close=2,
        period_closed=closed,
        sent=sent or set(),
    )


def test_window_opening_mid_month_reminds_on_its_first_day_not_before() -> None:
    r = resident(meter())
    assert due(r, date(2026, 3, 14)) is None
    first = due(r, date(2026, 3, 15))
    assert first is not None and first.kind is ReminderKind.OPEN and first.accounts == ("100",)
    assert reminder_kind_on(MID_MONTH, date(2026, 3, 22), 2) is ReminderKind.OPEN
    assert reminder_kind_on(MID_MONTH, date(2026, 3, 23), 2) is ReminderKind.CLOSING
    assert reminder_kind_on(MID_MONTH, date(2026, 3, 26), 2) is None


def test_once_per_period_and_kind() -> None:
    r = resident(meter())
    first = due(r, date(2026, 3, 15))
    assert first is not None
    assert due(r, date(2026, 3, 16), {first.fact}) is None  # the next round, the next day
    closing = due(r, date(2026, 3, 23), {first.fact})
    assert closing is not None and closing.kind is ReminderKind.CLOSING
    assert due(r, date(2026, 3, 24), {first.fact, closing.fact}) is None


def test_an_account_linked_after_the_first_reminder_gets_no_second_open_one_but_is_in_the_closing_one() -> (
    None
):
    before = resident(meter("M1", "100", handed_in=True))
    assert due(before, date(2026, 3, 15)) is None  # nothing missing yet
    r = resident(meter("M1", "100"))
    first = due(r, date(2026, 3, 15))
    assert first is not None
    linked_later = resident(meter("M1", "100", handed_in=True), meter("M2", "200"))
    assert due(linked_later, date(2026, 3, 18), {first.fact}) is None
    closing = due(linked_later, date(2026, 3, 24), {first.fact})
    assert closing is not None and [m.meter_id for m in closing.missing] == ["M2"]
    assert closing.accounts == ("200",)


def test_opt_out_closed_meter_expired_verification_closed_period_get_nothing() -> None:
    day = date(2026, 3, 15)
    assert due(resident(meter(), on=False), day) is None
    assert due(resident(meter(closed=True)), day) is None
    assert due(resident(meter(verified_until=date(2026, 3, 1))), day) is None
    assert due(resident(meter()), day, closed=True) is None
    mixed = due(resident(meter("M1", closed=True), meter("M2")), day)
    assert mixed is not None and [m.meter_id for m in mixed.missing] == ["M2"]


def test_verification_90_30_expired() -> None:
    until = date(2026, 6, 30)
    r = resident(meter(verified_until=until))
    assert verification_due(r, today=until - timedelta(days=91), sent=set()) == []
    at_90 = verification_due(r, today=until - timedelta(days=90), sent=set())
    assert [n.kind for n in at_90] == [VerificationKind.DAYS_90]
    assert verification_due(r, today=until - timedelta(days=60), sent={at_90[0].fact}) == []
    at_30 = verification_due(r, today=until - timedelta(days=30), sent={at_90[0].fact})
    assert [n.kind for n in at_30] == [VerificationKind.DAYS_30]
    assert verification_due(r, today=until, sent={at_90[0].fact, at_30[0].fact}) == []
    assert verification_due(r, today=until + timedelta(days=1), sent=set()) == []  # expired: refusal says it
    assert verification_due(resident(meter(verified_until=until), on=False), today=until, sent=set()) == []
    assert verification_due(resident(meter(verified_until=until, closed=True)), today=until, sent=set()) == []


def test_a_new_verification_date_starts_again() -> None:
    old, new = date(2026, 6, 30), date(2030, 6, 30)
    sent = {VerificationDue(7, VerificationKind.DAYS_30, meter(), old, 10).fact}
    later = verification_due(resident(meter(verified_until=new)), today=new - timedelta(days=30), sent=sent)
    assert [n.kind for n in later] == [VerificationKind.DAYS_30]


@given(st.integers(min_value=0, max_value=400), st.integers(min_value=-5, max_value=200))
def test_each_notice_at_most_once_whatever_the_days(start: int, days: int) -> None:
    """Walking day by day and recording what was sent: never the same fact twice, at most one of each kind."""
    until = date(2027, 1, 1) + timedelta(days=days)
    r = resident(meter(verified_until=until))
    sent: set[tuple[str, str]] = set()
    kinds: list[VerificationKind] = []
    day = until - timedelta(days=start)
    while day <= until + timedelta(days=3):
        for notice in verification_due(r, today=day, sent=sent):
            assert notice.fact not in sent
            sent.add(notice.fact)
            kinds.append(notice.kind)
        day += timedelta(days=1)
    assert len(kinds) == len(set(kinds)) <= 2


def test_all_due_and_texts_with_buttons() -> None:
    t = load_catalogue(params={"email": "abonent@example.org"}).texts("ru")
    r = resident(meter("M1", "100", verified_until=date(2026, 4, 10)), meter("M2", "200"))
    items = all_due(
        [r],
        today=date(2026, 3, 15),
        period=PERIOD,
        window=MID_MONTH,
        days_before_close=2,
        period_closed=False,
        sent={},
    )
    reminder = next(i for i in items if isinstance(i, ReminderDue))
    notice = reminder_notice(t, reminder, MID_MONTH)
    assert "25.03.2026" in notice.text and "Лицевой счет 100" in notice.text
    assert notice.keyboard is not None
    assert [row[0].text for row in notice.keyboard.inline_keyboard] == [
        "Ввести показания: 100",
        "Ввести показания: 200",
    ]
    assert notice.dedupe_key == "notice:reminder_open:2026-03:7"
    verify = next(i for i in items if isinstance(i, VerificationDue))
    assert verify.kind is VerificationKind.DAYS_30
    assert "10.04.2026" in verification_notice(t, verify).text


def test_period_exported_twice_is_one_message_per_resident() -> None:
    catalogue = load_catalogue(params={"email": "e"})
    rows = [
        ExportedRow(7, "ru", "100", "M1", MeterType.COLD_WATER, Decimal(251)),
        ExportedRow(7, "ru", "100", "M2", MeterType.HOT_WATER, Decimal(90)),
        ExportedRow(8, "en", "200", "M3", MeterType.GAS, Decimal(5)),
    ]
    first = export_notices(catalogue, PERIOD, rows)
    again = export_notices(catalogue, PERIOD, rows)
    assert [m.dedupe_key for m in first] == ["export:2026-03:7", "export:2026-03:8"]
    assert [m.dedupe_key for m in again] == [m.dedupe_key for m in first]  # the queue keeps one of each
    assert first[0].text.splitlines() == [
        "Показания за март 2026 переданы в расчёт:",
        "Лицевой счет 100:",
        "Холодная вода M1: 251",
        "Горячая вода M2: 90",
    ]
    assert first[1].text.startswith("Readings for March 2026 have been sent to billing:")


def test_a_busy_resident_is_reminded_in_a_later_round() -> None:
    busy = ResidentFacts(7, True, (meter(verified_until=date(2026, 3, 20)),), busy=True)
    assert due(busy, date(2026, 3, 15)) is None
    assert verification_due(busy, today=date(2026, 3, 15), sent=set()) == []
    quiet = ResidentFacts(7, True, busy.meters)
    assert due(quiet, date(2026, 3, 15)) is not None
    assert len(verification_due(quiet, today=date(2026, 3, 15), sent=set())) == 1


def test_the_view_says_each_readings_status() -> None:
    t = load_catalogue().texts("ru")
    cold = MeterView("M1", "100", MeterType.COLD_WATER, "", None, Decimal(250))
    at = datetime(2026, 3, 16, 9, tzinfo=UTC)
    readings = [PeriodReading(cold, Decimal(260), at), PeriodReading(cold, Decimal(270), at, "refused")]
    tz = ZoneInfo("Europe/Moscow")
    open_view = view_lines(t, "100", PERIOD, [cold], readings, {"M1": Decimal(250)}, tz)
    assert open_view[1].endswith(" — принято")
    assert open_view[2].endswith(" — не учтено: период закрыли раньше, чем показание поступило в расчёт")
    assert len(open_view) == 3  # the meter has a reading that counts: not listed as missing
    exported = view_lines(t, "100", PERIOD, [cold], readings, {"M1": Decimal(250)}, tz, exported=True)
    assert exported[1].endswith(" — передано в расчёт")
