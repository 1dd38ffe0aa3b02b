"""Method parameters from query string, JSON, urlencoded or multipart bodies, with Bot API coercions.

Form encodings carry every value as a string (aiogram JSON-encodes nested objects and numbers), so the
typed getters accept both native JSON values and their string forms.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .base import JSON, ApiError


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart body."""

    filename: str
    content_type: str | None
    data: bytes


class Params:
    """Typed, Telegram-flavoured access to one request's parameters."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise ApiError.bad_request("can't parse JSON request body") from None
                if not isinstance(body, dict):
                    raise ApiError.bad_request("request body must be a JSON object")
                values.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        values[key] = Upload(value.filename, value.content_type, value.file.read())
                    else:
                        values[key] = value
        return cls(values)

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def string(self, name: str, *, required: bool = False, empty_message: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise ApiError.bad_request(empty_message or f"{name} is empty")
            return None
        if isinstance(value, Upload):
            raise ApiError.bad_request(f"{name} must be a string")
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, *, required: bool = False, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise ApiError.bad_request(
                    f"{name} is empty" if name != "message_id" else "message identifier is not specified"
                )
            return default
        if isinstance(value, bool):
            raise ApiError.bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError.bad_request(f"invalid {name} specified") from None

    def required_int(self, name: str) -> int:
        value = self.integer(name, required=True)
        assert value is not None
        return value

    def boolean(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def json(self, name: str) -> Any:
        """A JSON-serialized parameter (reply_markup, commands, ...), or None when absent."""
        value = self.values.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError.bad_request(f"can't parse {name} JSON object") from None
        return value

    def json_object(self, name: str) -> JSON | None:
        value = self.json(name)
        if value is not None and not isinstance(value, dict):
            raise ApiError.bad_request(f"{name} must be a JSON object")
        return value

    def chat_id(self, name: str = "chat_id") -> int:
        """A numeric chat id; ``@username`` chats do not exist in this server."""
        value = self.values.get(name)
        if value is None or value == "":
            raise ApiError.bad_request("chat_id is empty")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError.bad_request("chat not found") from None
