"""«Баланс» on an account, «Дополнительно» (seed 002 §3.2.5: Абонент, Новости, Компания, Версия
бота, Вопросы, Руководство, В начало, and the news push switch), /begin and /go_back from anywhere
(seed 001), /language. Every page leaves any input (the state is cleared first)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from telegram_gateway.bot.callbacks import AccountAction, AccountCb
from telegram_gateway.bot.context import Deps, Turn
from telegram_gateway.bot.filters import owned_account, registered
from telegram_gateway.bot.info_context import Info
from telegram_gateway.bot.info_texts import balance_text, day
from telegram_gateway.bot.keyboards import contact_keyboard, main_menu, more_menu, work_menu
from telegram_gateway.i18n import Catalogue
from telegram_gateway.readmodel import LinkedAccount

NEWS_SHOWN = 5
LANGUAGES = {"ru": "Русский", "en": "English"}


class LanguageCb(CallbackData, prefix="lng"):
    locale: str


async def balance(
    query: CallbackQuery, *, bot: Bot, turn: Turn, deps: Deps, info: Info, account: LinkedAccount
) -> None:
    await query.answer()
    view = await info.queries.balance(turn.chat_id, account.number)
    await bot.send_message(turn.chat_id, balance_text(turn.t, account.number, view, deps.today()))


async def balance_not_owned(query: CallbackQuery, bot: Bot, turn: Turn) -> None:
    await query.answer()
    await bot.send_message(turn.chat_id, turn.t("account.not_owned"))


async def more(message: Message, state: FSMContext, turn: Turn, info: Info) -> None:
    await state.clear()
    subscribed = await info.queries.is_subscribed(turn.chat_id)
    await message.answer(turn.t("info.more"), reply_markup=more_menu(turn.t, subscribed=subscribed))


async def subscriber(message: Message, state: FSMContext, turn: Turn, deps: Deps, info: Info) -> None:
    await state.clear()
    accounts = await deps.read_model.accounts(turn.chat_id)
    if not accounts:
        await message.answer(turn.t("info.subscriber_none"))
        return
    pages = []
    for account in accounts:
        last = await info.queries.last_reading_at(account.number)
        pages.append(
            turn.t(
                "info.subscriber",
                number=account.number,
                address=account.address or "—",
                owner=await info.queries.owner_masked(account.number) or turn.t("info.subscriber_no_owner"),
                meters=await info.queries.open_meters_count(account.number),
                last=day(turn.t, last.astimezone(deps.tz).date())
                if last
                else turn.t("info.subscriber_no_reading"),
            )
        )
    await message.answer("\n\n".join(pages))


async def news(message: Message, state: FSMContext, turn: Turn, deps: Deps, info: Info) -> None:
    await state.clear()
    items = await info.log.latest_news(NEWS_SHOWN)
    if not items:
        await message.answer(turn.t("info.news_none"))
        return
    shown = [
        turn.t("info.news_item", date=day(turn.t, i.published_at.astimezone(deps.tz).date()), text=i.text)
        for i in items
    ]
    await message.answer("\n\n".join(shown)[:4096])


async def company(message: Message, state: FSMContext, turn: Turn, info: Info) -> None:
    await state.clear()
    await message.answer(turn.t("info.company", **info.pages.company_of(turn.t.locale)))


async def version(message: Message, state: FSMContext, turn: Turn, info: Info) -> None:
    await state.clear()
    await message.answer(turn.t("info.version", version=info.pages.version))


async def faq(message: Message, state: FSMContext, turn: Turn, info: Info) -> None:
    await state.clear()
    await message.answer(info.pages.faq_of(turn.t.locale)[:4096])


async def manual(message: Message, state: FSMContext, turn: Turn, info: Info) -> None:
    await state.clear()
    await message.answer(turn.t("info.manual", url=info.pages.manual_url))


async def news_on(message: Message, state: FSMContext, turn: Turn, info: Info) -> None:
    await state.clear()
    await info.queries.subscribe(turn.chat_id, True)
    await message.answer(turn.t("info.news_subscribed"), reply_markup=more_menu(turn.t, subscribed=True))


async def news_off(message: Message, state: FSMContext, turn: Turn, info: Info) -> None:
    await state.clear()
    await info.queries.subscribe(turn.chat_id, False)
    await message.answer(turn.t("info.news_unsubscribed"), reply_markup=more_menu(turn.t, subscribed=False))


async def home(message: Message, state: FSMContext, turn: Turn, deps: Deps) -> None:
    """«В начало» and /begin: the main menu from anywhere (registration first if not registered)."""
    await state.clear()
    if not await registered(message, turn, deps):
        await message.answer(turn.t("registration.required"), reply_markup=contact_keyboard(turn.t))
        return
    await message.answer(turn.t("info.home"), reply_markup=main_menu(turn.t))


async def go_back(message: Message, state: FSMContext, turn: Turn, deps: Deps) -> None:
    """/go_back: out of an input, back to the menu it started from («Начать работу»); from a
    menu, to the main menu."""
    in_input = await state.get_state() is not None
    await state.clear()
    if not await registered(message, turn, deps):
        await message.answer(turn.t("registration.required"), reply_markup=contact_keyboard(turn.t))
        return
    await message.answer(
        turn.t("info.back"), reply_markup=work_menu(turn.t) if in_input else main_menu(turn.t)
    )


async def ask_language(message: Message, turn: Turn) -> None:
    buttons = [
        [InlineKeyboardButton(text=name, callback_data=LanguageCb(locale=code).pack())]
        for code, name in LANGUAGES.items()
    ]
    await message.answer(
        turn.t("language.choose"), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
    )


async def set_language(
    query: CallbackQuery, *, callback_data: LanguageCb, bot: Bot, turn: Turn, deps: Deps, info: Info
) -> None:
    await query.answer()
    if callback_data.locale not in deps.catalogue.locales:
        return
    await info.queries.choose_locale(turn.chat_id, callback_data.locale)
    t = deps.catalogue.texts(callback_data.locale)
    markup = main_menu(t) if await registered(query, turn, deps) else contact_keyboard(t)
    await bot.send_message(turn.chat_id, t("language.set"), reply_markup=markup)


def router(catalogue: Catalogue) -> Router:
    r = Router(name=__name__)

    def button(key: str):  # type: ignore[no-untyped-def]
        return F.text.in_(catalogue.labels(key))

    r.message.register(home, Command("begin", ignore_case=True))
    r.message.register(go_back, Command("go_back", ignore_case=True))
    r.message.register(ask_language, Command("language", ignore_case=True))
    r.callback_query.register(set_language, LanguageCb.filter())
    r.message.register(home, button("info.btn_home"))
    r.callback_query.register(
        balance, AccountCb.filter(F.action == AccountAction.BALANCE), registered, owned_account
    )
    r.callback_query.register(balance_not_owned, AccountCb.filter(F.action == AccountAction.BALANCE))
    for key, handler in (
        ("info.btn_more", more),
        ("info.btn_subscriber", subscriber),
        ("info.btn_news", news),
        ("info.btn_company", company),
        ("info.btn_version", version),
        ("info.btn_faq", faq),
        ("info.btn_manual", manual),
        ("info.btn_news_on", news_on),
        ("info.btn_news_off", news_off),
    ):
        r.message.register(handler, button(key), registered)
    return r
