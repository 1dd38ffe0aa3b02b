"""A local, in-memory Telegram Bot API server over real HTTP, for end-to-end tests and trying the bot.

Bots talk to it exactly as to Telegram::

    async with BotApiServer(host="127.0.0.1", port=0) as server:
        session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
        bot = Bot("123456:secret", session=session)

``POST/GET {base}/bot{token}/{method}`` takes query, JSON, urlencoded or multipart parameters and answers
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": 400, "description": "Bad Request: ..."}``.
Any ``<bot_id>:<secret>`` token creates its bot on first use (a second secret for the same id is 401);
unknown methods are 404. Implemented (``table.METHODS``): what the gateway and the chat page use,
getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo, sendMessage (plain text: no parse
modes), editMessageText, editMessageReplyMarkup, deleteMessage, answerCallbackQuery, setMyCommands,
getMyCommands. Residents may send photos and documents; the bot sends none.
Flood control is opt-in: ``BotApiServer(flood=FloodLimit(per_bot=30, chat_interval=1.0))`` answers
sends over Telegram's limits 429 with ``parameters.retry_after``, as Telegram does (see flood.py).

The resident side acts as users: in Python ``server.resident(bot, user_id, first_name=...)`` (a
:class:`Resident`) or ``server.residents(bot)`` (a :class:`ResidentApi`); over HTTP (``{bot}`` = bot id or
token; an optional ``"user": {first_name, last_name, username, language_code, phone_number}`` in an action
body creates/updates the acting user)::

    GET  /_test/bots                                   bots (connected = has called the Bot API), webhook,
                                                       chats; ?wait=S waits for a first connected bot
    GET  /_test/users                                  all user profiles
    PUT  /_test/users/{user_id}                        create/update a user profile
    PUT  /_test/bots/{bot}/groups/{chat_id}            {title}  a group (negative id) the bot can post to
    POST /_test/bots/{bot}/users/{user_id}/text        {text, reply_to_message_id?}  -> Message
    POST /_test/bots/{bot}/users/{user_id}/open        the user "started the bot": it may write first
    POST /_test/bots/{bot}/users/{user_id}/contact     {contact_user_id?, phone_number?, first_name?, ...}
    POST /_test/bots/{bot}/users/{user_id}/button      {text}  press a reply-keyboard button
    POST /_test/bots/{bot}/users/{user_id}/callback    {message_id, data? | text?} -> CallbackQuery
    POST /_test/bots/{bot}/users/{user_id}/photo       multipart "photo" (or none: a tiny PNG), caption?
    POST /_test/bots/{bot}/users/{user_id}/document    multipart "document" or {file_name, content}, caption?
    POST /_test/bots/{bot}/users/{user_id}/sticker     {emoji?}
    POST /_test/bots/{bot}/users/{user_id}/block       (and /unblock) -> the my_chat_member update
    GET  /_test/bots/{bot}/chats/{chat_id}/messages    ?who=bot|user|all&after=ID  -> [ChatMessage]
    GET  /_test/bots/{bot}/chats/{chat_id}/next        ?after=ID&timeout=S  next bot message (408 on timeout)
    GET  /_test/bots/{bot}/chats/{chat_id}/changes     ?since=VERSION&timeout=S  -> {version, messages}
    GET  /_test/bots/{bot}/callback_answers            all answerCallbackQuery calls
    GET  /_test/bots/{bot}/callback_answers/{query_id} ?timeout=S  wait for one answer
    GET  /_test/bots/{bot}/files/{file_id}             an uploaded file (image/document MIME type)
    POST /_test/reset                                  forget all bots and users

A web chat for people is served at ``/`` (and ``/chat``): a made-up resident per browser tab talking to
the bot; ``/admin?admin=ID`` is the admin's chat with «Ответить» (see :mod:`meterbot_botapi.webchat`;
``create_app(webchat=False)`` / ``BotApiServer(webchat=False)`` leave it out).

Standalone: ``python -m meterbot_botapi --port 8081 [--host H] [--token T ...] [--no-webchat]``; it
prints the Bot API address and the chat page's.
"""

from .app import create_app
from .base import ApiError
from .conversation import Resident
from .flood import FloodLimit
from .media import tiny_png
from .records import UserProfile
from .resident import ResidentApi
from .server import BotApiServer
from .state import World
from .views import CallbackAnswer, ChatMessage

__all__ = [
    "ApiError",
    "BotApiServer",
    "CallbackAnswer",
    "ChatMessage",
    "FloodLimit",
    "Resident",
    "ResidentApi",
    "UserProfile",
    "World",
    "create_app",
    "tiny_png",
]
