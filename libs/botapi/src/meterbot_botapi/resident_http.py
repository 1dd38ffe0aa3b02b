"""HTTP face of the resident side under ``/_test`` (see the package docstring for the endpoint list).

Bodies may be JSON, urlencoded or multipart; answers use the Bot API envelope
``{"ok": true, "result": ...}`` / ``{"ok": false, "error_code", "description"}``; a wait that times out
answers 408. ``{bot}`` is a bot id or a full token.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from .base import ApiError
from .media import image_size
from .params import Params, Upload
from .resident import ResidentApi
from .state import World

Endpoint = Callable[[web.Request, ResidentApi, Params], Awaitable[Any]]
_PROFILE_KEYS = ("first_name", "last_name", "username", "language_code", "phone_number")
_IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _wrap(world: World, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            params = await Params.from_request(request)
            api = ResidentApi(world, request.match_info.get("bot", "0"))
            result = await endpoint(request, api, params)
        except ApiError as e:
            return web.json_response(e.as_json(), status=e.error_code)
        except TimeoutError as e:
            return web.json_response(
                {"ok": False, "error_code": 408, "description": f"Request Timeout: {e}"}, status=408
            )
        if isinstance(result, web.StreamResponse):
            return result
        return web.json_response({"ok": True, "result": _jsonable(result)})

    return handler


def _path_int(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise ApiError.bad_request(f"{name} must be an integer") from None


def _timeout(p: Params, default: float, name: str = "timeout") -> float:
    try:
        return float(p.string(name) or default)
    except ValueError:
        raise ApiError.bad_request(f"{name} must be a number") from None


def _user_id(request: web.Request, api: ResidentApi, p: Params) -> int:
    """The acting user; an optional ``user`` object in the body creates/updates the profile."""
    user_id = _path_int(request, "user_id")
    profile = p.json_object("user") or {}
    api.user(user_id, **{k: v for k, v in profile.items() if k in _PROFILE_KEYS})
    return user_id


def _chat_id(request: web.Request) -> int:
    return _path_int(request, "chat_id")


async def list_bots(request: web.Request, api: ResidentApi, p: Params) -> Any:
    """All bots; ``?wait=S`` first waits up to S seconds for a bot to connect (call the Bot API)."""
    wait = _timeout(p, 0, "wait")
    if wait > 0 and not api.world.connected_bots():
        with contextlib.suppress(TimeoutError):
            await api.world.changes.wait_for(api.world.connected_bots, min(wait, 60.0))
    return [
        {
            **bot.user,
            "connected": bot.secret is not None,
            "webhook_url": bot.webhook.url if bot.webhook else "",
            "pending_update_count": len(bot.updates),
            "chats": sorted(bot.chats),
        }
        for bot in api.world.bots.values()
    ]


async def list_users(request: web.Request, api: ResidentApi, p: Params) -> Any:
    return sorted(api.world.users.values(), key=lambda user: user.id)


async def put_user(request: web.Request, api: ResidentApi, p: Params) -> Any:
    profile = {k: p.string(k) for k in _PROFILE_KEYS}
    return api.user(_path_int(request, "user_id"), **profile)


async def open_group(request: web.Request, api: ResidentApi, p: Params) -> Any:
    api.open_group(_path_int(request, "chat_id"), p.string("title") or "Group")
    return True


async def send_text(request: web.Request, api: ResidentApi, p: Params) -> Any:
    return await api.send_text(
        _user_id(request, api, p),
        p.string("text", required=True) or "",
        reply_to_message_id=p.integer("reply_to_message_id"),
    )


async def open_chat(request: web.Request, api: ResidentApi, p: Params) -> Any:
    return api.open_chat(_user_id(request, api, p))


async def share_contact(request: web.Request, api: ResidentApi, p: Params) -> Any:
    return await api.share_contact(
        _user_id(request, api, p),
        contact_user_id=p.integer("contact_user_id"),
        phone_number=p.string("phone_number"),
        first_name=p.string("first_name"),
        last_name=p.string("last_name"),
    )


async def block_bot(request: web.Request, api: ResidentApi, p: Params) -> Any:
    blocked = request.path.endswith("/block")
    return await api.block_bot(_user_id(request, api, p), blocked=blocked)


async def press_button(request: web.Request, api: ResidentApi, p: Params) -> Any:
    return await api.press_button(_user_id(request, api, p), p.string("text", required=True) or "")


async def press_inline(request: web.Request, api: ResidentApi, p: Params) -> Any:
    user_id = _user_id(request, api, p)
    return await api.press_inline(
        user_id, p.required_int("message_id"), p.string("data"), text=p.string("text")
    )


async def send_photo(request: web.Request, api: ResidentApi, p: Params) -> Any:
    upload = p.raw("photo")
    data = upload.data if isinstance(upload, Upload) else None
    return await api.send_photo(_user_id(request, api, p), data, caption=p.string("caption"))


async def send_document(request: web.Request, api: ResidentApi, p: Params) -> Any:
    upload = p.raw("document")
    if isinstance(upload, Upload):
        data, name, mime = upload.data, upload.filename or "file.bin", upload.content_type
    else:
        data, name, mime = (
            (p.string("content") or "hello\n").encode(),
            p.string("file_name") or "file.txt",
            None,
        )
    return await api.send_document(
        _user_id(request, api, p), data, file_name=name, mime_type=mime, caption=p.string("caption")
    )


async def send_sticker(request: web.Request, api: ResidentApi, p: Params) -> Any:
    return await api.send_sticker(_user_id(request, api, p), p.string("emoji") or "👍")


async def chat_messages(request: web.Request, api: ResidentApi, p: Params) -> Any:
    who = p.string("who") or "bot"
    if who not in ("bot", "user", "all"):
        raise ApiError.bad_request("who must be bot, user or all")
    after = p.integer("after", default=0) or 0
    return [m for m in api.messages(_chat_id(request), who=who) if m.message_id > after]


async def next_message(request: web.Request, api: ResidentApi, p: Params) -> Any:
    timeout = _timeout(p, 5)
    return await api.wait_for_bot_message(_chat_id(request), after=p.integer("after"), timeout=timeout)


async def chat_changes(request: web.Request, api: ResidentApi, p: Params) -> Any:
    chat_id, since = _chat_id(request), p.integer("since", default=0) or 0
    try:
        version = await api.wait_for_change(chat_id, since, timeout=_timeout(p, 25))
    except TimeoutError:
        version = api.chat_version(chat_id)
    return {"version": version, "messages": _jsonable(api.messages(chat_id, who="all"))}


async def callback_answers(request: web.Request, api: ResidentApi, p: Params) -> Any:
    return api.callback_answers()


async def callback_answer(request: web.Request, api: ResidentApi, p: Params) -> Any:
    timeout = _timeout(p, 5)
    return await api.wait_for_callback_answer(request.match_info["query_id"], timeout)


async def file_bytes(request: web.Request, api: ResidentApi, p: Params) -> Any:
    data = api.file_bytes(request.match_info["file_id"])
    return web.Response(body=data, content_type=_mime_type(api, request.match_info["file_id"], data))


def _mime_type(api: ResidentApi, file_id: str, data: bytes) -> str:
    """The document's MIME type, an image's own type (so a browser shows it), else octet-stream."""
    stored = api.bot.files[file_id]
    if stored.mime_type:
        return stored.mime_type
    sniffed = image_size(data)
    return _IMAGE_TYPES[sniffed[0]] if sniffed else "application/octet-stream"


async def reset(request: web.Request, api: ResidentApi, p: Params) -> Any:
    api.world.reset()
    return True


def add_resident_routes(app: web.Application, world: World) -> None:
    """Mount the /_test endpoints on ``app``."""
    user = "/_test/bots/{bot}/users/{user_id}"
    chat = "/_test/bots/{bot}/chats/{chat_id}"
    table: list[tuple[str, str, Endpoint]] = [
        ("GET", "/_test/bots", list_bots),
        ("GET", "/_test/users", list_users),
        ("PUT", "/_test/users/{user_id}", put_user),
        ("POST", f"{user}/text", send_text),
        ("POST", f"{user}/open", open_chat),
        ("POST", f"{user}/contact", share_contact),
        ("POST", f"{user}/button", press_button),
        ("POST", f"{user}/block", block_bot),
        ("POST", f"{user}/unblock", block_bot),
        ("POST", f"{user}/callback", press_inline),
        ("POST", f"{user}/photo", send_photo),
        ("POST", f"{user}/document", send_document),
        ("POST", f"{user}/sticker", send_sticker),
        ("PUT", "/_test/bots/{bot}/groups/{chat_id}", open_group),
        ("GET", f"{chat}/messages", chat_messages),
        ("GET", f"{chat}/next", next_message),
        ("GET", f"{chat}/changes", chat_changes),
        ("GET", "/_test/bots/{bot}/callback_answers", callback_answers),
        ("GET", "/_test/bots/{bot}/callback_answers/{query_id}", callback_answer),
        ("GET", "/_test/bots/{bot}/files/{file_id}", file_bytes),
        ("POST", "/_test/reset", reset),
    ]
    for http_method, path, endpoint in table:
        app.router.add_route(http_method, path, _wrap(world, endpoint))
