"""FSM states. Each has a valid-input handler and a fallback in its feature router."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class AddAccount(StatesGroup):
    number = State()  # waiting for the account number (digits)
    surname = State()  # data: number; waiting for the owner's surname


class EnterReading(StatesGroup):
    value = State()  # data: account, meter_id, label; waiting for the meter value
    confirm = State()  # data: + raw, check, rollover; waiting for Да / Нет to readings' question


class WriteAdmin(StatesGroup):
    text = State()  # waiting for the text to pass on to the admin chat


class Confirm(StatesGroup):
    asked = State()  # data: action, ref; waiting for «Да» / «Нет» under the question


class EraseData(StatesGroup):
    confirm = State()  # «Удалить мои данные» asked; waiting for Да / Нет


class AttachPhoto(StatesGroup):
    photo = State()  # data: account, meter_id, label; waiting for a photo of the meter (issue 14)
