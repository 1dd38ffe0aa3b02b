"""reply_markup validation (as strict as Telegram on the common mistakes) and keyboard lookups."""

from __future__ import annotations

from typing import Any

from .base import JSON, ApiError
from .records import ChatState

_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "web_app",
    "copy_text",
)
_MARKUP_KINDS = ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply")


def validate_markup(markup: Any, *, inline_only: bool = False) -> JSON | None:
    """Check a reply_markup object the way the Bot API does; return it unchanged."""
    if markup is None:
        return None
    if not isinstance(markup, dict) or sum(kind in markup for kind in _MARKUP_KINDS) != 1:
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
    if inline_only and "inline_keyboard" not in markup:
        raise ApiError.bad_request("inline keyboard expected")
    if "inline_keyboard" in markup:
        for button in _buttons(markup["inline_keyboard"], "inline keyboard"):
            _check_inline_button(button)
    elif "keyboard" in markup:
        for button in _buttons(markup["keyboard"], "keyboard"):
            if isinstance(button, str):
                continue
            if not isinstance(button, dict) or not isinstance(button.get("text"), str) or not button["text"]:
                raise ApiError.bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )
    elif markup.get("remove_keyboard", True) is not True or markup.get("force_reply", True) is not True:
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _buttons(rows: Any, what: str) -> list[Any]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError.bad_request(f"can't parse {what}: field must be an Array of Arrays")
    return [button for row in rows for button in row]


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str) or not button["text"]:
        raise ApiError.bad_request("can't parse inline keyboard button: Text must be non-empty")
    actions = [key for key in _INLINE_ACTIONS if key in button]
    if not actions:
        raise ApiError.bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise ApiError.bad_request("can't parse inline keyboard button: exactly one action field is allowed")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
            raise ApiError.bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not str(button["url"]).startswith(("http://", "https://", "tg://")):
        raise ApiError.bad_request(f"inline keyboard button URL '{button['url']}' is invalid: Wrong HTTP URL")


def button_text(button: Any) -> str:
    return button if isinstance(button, str) else str(button.get("text", ""))


def keyboard_texts(markup: JSON | None) -> list[list[str]]:
    """Button captions by row, for any keyboard kind (empty for none/remove/force_reply)."""
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [[button_text(button) for button in row] for row in rows]


def current_reply_keyboard(chat: ChatState) -> JSON | None:
    """The reply keyboard the user currently sees: the latest one the bot sent, unless removed since."""
    for msg in reversed(chat.messages.values()):
        if not msg.from_bot or not msg.reply_markup:
            continue
        if "keyboard" in msg.reply_markup:
            return msg.reply_markup
        if "remove_keyboard" in msg.reply_markup:
            return None
    return None


def find_reply_button(keyboard: JSON, text: str) -> JSON | None:
    for row in keyboard["keyboard"]:
        for button in row:
            if button_text(button) == text:
                return {"text": button} if isinstance(button, str) else button
    return None


def find_inline_button(markup: JSON | None, *, data: str | None, text: str | None) -> JSON | None:
    if not markup or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            if (data is None or button.get("callback_data") == data) and (
                text is None or button["text"] == text
            ):
                return dict(button)
    return None
