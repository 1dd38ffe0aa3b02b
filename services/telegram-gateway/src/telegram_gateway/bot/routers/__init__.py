"""Feature routers, in the one order that matters: the admin chat's own handling first (that chat is
for admin work only); commands and menu buttons work in any state, so they come before the
state-specific routers; the global fallback comes last. A new feature router goes before `accounts`
if it has menu buttons or commands, and before `fallback` in any case."""

from __future__ import annotations

from aiogram import Router

from telegram_gateway.bot.routers import (
    accounts,
    admin,
    admin_tools,
    archive,
    erasure,
    fallback,
    help_info,
    info,
    main_menu,
    photos,
    readings,
    registration,
    reminders,
)
from telegram_gateway.i18n import Catalogue


def get_routers(catalogue: Catalogue, admin_chat_id: int | None) -> list[Router]:
    """Fresh routers (a Router can join one dispatcher only, and tests start several)."""
    return [
        admin_tools.router(admin_chat_id),  # issue 15: before the admin chat's catch-all
        photos.admin_router(admin_chat_id),  # issue 14: /photo, like the admin tools
        admin.admin_chat_router(admin_chat_id),
        registration.router(),
        help_info.router(catalogue),
        reminders.router(catalogue),
        erasure.entry_router(catalogue),
        info.router(catalogue),  # issue 15: /begin, /go_back, /language before the unknown-command answer
        main_menu.router(catalogue),
        erasure.router(catalogue),
        admin.router(catalogue),
        accounts.router(catalogue),
        readings.router(),
        archive.router(),
        photos.router(),  # issue 14: photo evidence, after readings' states
        fallback.router(),
    ]
