"""The information pages and admin answers as pure functions of texts and data (no I/O)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from telegram_gateway.i18n import Texts
from telegram_gateway.readmodel.info import AccountCard, BalanceView, MissingRow, Stats

STALE_AFTER_DAYS = 45  # seed 004 / issue 15: an older balance may be out of date
MISSING_CSV_HEADER = ("account_number", "address", "meter_id", "meter_type", "linked_chats")
_SYMBOLS = {"RUB": "₽"}


def balance_is_stale(as_of: date, today: date) -> bool:
    return (today - as_of).days > STALE_AFTER_DAYS


def money(t: Texts, amount: Decimal, currency: str) -> str:
    """1 520,30 ₽ in Russian, 1,520.30 RUB in English."""
    grouped = f"{amount:,.2f}"
    if t.locale == "ru":
        return grouped.replace(",", " ").replace(".", ",") + " " + _SYMBOLS.get(currency, currency)
    return f"{grouped} {currency}"


def day(t: Texts, value: date) -> str:
    return value.strftime("%d.%m.%Y") if t.locale == "ru" else value.isoformat()


def balance_text(t: Texts, number: str, view: BalanceView | None, today: date) -> str:
    if view is None:
        return t("balance.unknown", number=number)
    key = "balance.overpaid" if view.amount_due < 0 else "balance.due"
    lines = [
        t(key, number=number, amount=money(t, abs(view.amount_due), view.currency), as_of=day(t, view.as_of))
    ]
    if view.due_date is not None and view.amount_due > 0:
        lines.append(t("balance.due_date", due=day(t, view.due_date)))
    if balance_is_stale(view.as_of, today):
        lines.append(t("balance.stale", days=STALE_AFTER_DAYS))
    return "\n".join(lines)


def stats_text(t: Texts, stats: Stats, period: str) -> str:
    statuses = ", ".join(f"{status}: {n}" for status, n in stats.readings_by_status.items()) or "0"
    return t(
        "admin_tools.stats",
        period=period,
        residents=stats.residents,
        accounts=stats.linked_accounts,
        readings=statuses,
    )


def missing_csv(rows: Sequence[MissingRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MISSING_CSV_HEADER)
    for r in rows:
        writer.writerow((r.account_number, r.address, r.meter_id, r.meter_type, r.linked_chats))
    return out.getvalue().encode()


def card_text(t: Texts, card: AccountCard, balance: BalanceView | None, today: date) -> str:
    meters = "\n".join(
        t(
            "admin_tools.find_meter",
            meter_id=m.meter_id,
            meter_type=t(f"meter.{m.meter_type}"),
            value=m.value,
            period=m.period,
        )
        if m.value is not None
        else t("admin_tools.find_meter_none", meter_id=m.meter_id, meter_type=t(f"meter.{m.meter_type}"))
        for m in card.meters
    )
    text = t(
        "admin_tools.find",
        number=card.account_number,
        address=card.address or "-",
        chats=card.linked_chats,
        meters=meters or t("admin_tools.find_no_meters"),
    )
    return text + "\n" + balance_text(t, card.account_number, balance, today)
