"""Feature routers, in the one order that matters: commands and menu buttons work in any state, so
they come before the state-specific routers; the global fallback comes last."""

from __future__ import annotations

from aiogram import Router

from telegram_gateway.bot.routers import (
    accounts,
    admin,
    fallback,
    help_info,
    main_menu,
    readings,
    registration,
)
from telegram_gateway.i18n import Catalogue


def get_routers(catalogue: Catalogue, admin_chat_id: int | None) -> list[Router]:
    """Fresh routers (a Router can join one dispatcher only, and tests start several)."""
    return [
        registration.router(),
        help_info.router(catalogue),
        main_menu.router(catalogue),
        admin.router(catalogue, admin_chat_id),
        accounts.router(catalogue),
        readings.router(),
        fallback.router(),
    ]
