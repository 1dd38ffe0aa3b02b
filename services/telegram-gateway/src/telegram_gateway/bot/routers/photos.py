"""Photo evidence (issue 14 item 6). «Прикрепить фото» under an accepted reading puts the chat in
AttachPhoto.photo for that meter; the photo sent then is downloaded through the Bot API (at most
METERBOT_PHOTO_MAX_BYTES), kept in the gateway's database under its SHA-256 (storage/photos.py says
why there) and sent to readings as ReadingPhotoSubmitted, which attaches it to the meter's reading
that counts this period or says why not (the responder tells the resident). A photo with nothing
offered to attach it to gets a clear answer. In the admin chat, /photo <reading id> sends the kept
photo back; elsewhere the command is refused like the other admin tools."""

from __future__ import annotations

import logging
import uuid

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from meterbot_contracts.readings import ReadingPhotoSubmitted

from telegram_gateway.bot.callbacks import PhotoCb
from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.filters import owned_meter, registered
from telegram_gateway.bot.info_context import Info
from telegram_gateway.bot.keyboards import meter_label
from telegram_gateway.bot.photo_download import PhotoTooLarge, download_photo
from telegram_gateway.bot.requests import request
from telegram_gateway.bot.routers.admin_tools import refused
from telegram_gateway.bot.routers.readings import meter_not_owned
from telegram_gateway.bot.states import AttachPhoto
from telegram_gateway.commands import Sent
from telegram_gateway.photo_replies import megabytes
from telegram_gateway.readmodel import MeterView
from telegram_gateway.storage.admin_log import telegram_actor
from telegram_gateway.storage.pending import ReplyContext
from telegram_gateway.storage.photos import PhotoStore

log = logging.getLogger(__name__)


async def offer_taken(
    query: CallbackQuery, *, bot: Bot, state: FSMContext, turn: Turn, meter: MeterView
) -> None:
    """«Прикрепить фото» (of this chat's meter): wait for the photo."""
    await query.answer()
    label = meter_label(turn.t, meter.meter_type, meter.meter_id)
    await state.set_state(AttachPhoto.photo)
    await state.set_data({"account": meter.account_number, "meter_id": meter.meter_id, "label": label})
    await bot.send_message(turn.chat_id, turn.t("photo.send_now", meter=label))


async def take_photo(  # noqa: PLR0917  (the handler's dependencies, injected by aiogram)
    message: Message, bot: Bot, state: FSMContext, turn: Turn, deps: Deps, photos: PhotoStore
) -> Sent | None:
    assert message.photo  # the F.photo filter
    biggest = message.photo[-1]  # Telegram lists the sizes smallest first
    try:
        data = await download_photo(bot, biggest.file_id, biggest.file_size, photos.max_bytes)
    except PhotoTooLarge:  # the chat still waits: a smaller photo may follow
        await message.answer(turn.t("photo.refused_too_large", limit=megabytes(photos.max_bytes)))
        return None
    except (TelegramAPIError, OSError, FileNotFoundError):
        log.exception("a photo could not be downloaded")
        await message.answer(turn.t("photo.download_failed"))
        return None
    data_of = await state.get_data()
    await state.clear()
    sha256 = await photos.keep(data)
    command = ReadingPhotoSubmitted(
        chat_id=turn.chat_id,
        account_number=data_of["account"],
        meter_id=data_of["meter_id"],
        file_id=biggest.file_id,
        sha256=sha256,
        size=len(data),
    )
    context = ReplyContext(
        account_number=data_of["account"],
        meter_id=data_of["meter_id"],
        label=data_of["label"],
        photo_sha256=sha256,
    )
    return await request(bot, turn, deps, command, context)


async def photo_expected(message: Message, turn: Turn, state: FSMContext) -> None:
    """Anything but a photo while one is awaited (a file, a sticker, text)."""
    data = await state.get_data()
    await message.answer(turn.t("photo.send_photo_only", meter=data.get("label", "")))


async def stray_photo(message: Message, turn: Turn) -> None:
    """A photo with no «Прикрепить фото» pressed before it: nothing to attach it to."""
    await message.answer(turn.t("photo.nothing_offered"))


async def fetch(  # noqa: PLR0917  (the handler's dependencies, injected by aiogram)
    message: Message, command: CommandObject, bot: Bot, deps: Deps, info: Info, photos: PhotoStore
) -> None:
    """/photo <reading id> in the admin chat: the photo attached to that reading, as it was kept."""
    t = deps.catalogue.texts(None)
    try:
        reading_id = uuid.UUID((command.args or "").strip())
    except ValueError:
        await message.answer(t("photo.admin_usage"))
        return
    actor = telegram_actor(message.from_user.id if message.from_user else None)
    await info.log.record(actor, "photo", str(reading_id))
    stored = await photos.of_reading(reading_id)
    if stored is None:
        await message.answer(t("photo.admin_none", reading=reading_id))
        return
    await bot.send_photo(
        message.chat.id,
        BufferedInputFile(stored.data, filename=f"{reading_id}.jpg"),
        caption=t("photo.admin_caption", reading=reading_id, meter=stored.meter_id, sha256=stored.sha256),
    )


def admin_router(admin_chat_id: int | None) -> Router:
    """Before the admin chat's catch-all (like admin_tools): /photo there, refused elsewhere."""
    r = Router(name=f"{__name__}.admin")
    if admin_chat_id is not None:
        r.message.register(fetch, Command("photo", ignore_case=True), F.chat.id == admin_chat_id)
    r.message.register(refused, Command("photo", ignore_case=True))
    return r


def router() -> Router:
    """After readings (its states answer a photo their own way), before the global fallback."""
    r = Router(name=__name__)
    r.message.filter(registered)
    r.callback_query.filter(registered)
    r.callback_query.register(offer_taken, PhotoCb.filter(), owned_meter)
    r.callback_query.register(meter_not_owned, PhotoCb.filter())
    r.message.register(take_photo, AttachPhoto.photo, F.photo)
    r.message.register(photo_expected, AttachPhoto.photo)
    r.message.register(stray_photo, F.photo)
    return r
