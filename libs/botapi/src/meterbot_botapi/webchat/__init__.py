"""The web chat: a plain page on the local Bot API server where a person chats with a bot.

``/`` and ``/chat``: a made-up resident per browser tab (kept in sessionStorage; ``?user=ID`` picks one,
``?name=`` names them, ``?bot=ID`` picks the bot when several have connected). ``/admin``: the same chat
as the user ``?admin=ID`` (default 1000), whose chat is opened for the bot, with «Ответить» under the
bot's messages to send a Telegram reply. The page uses only the ``/_test`` resident API, so it works
with any bot that talks to this server; see ``routes.py`` for the HTTP side.
"""

from .routes import DEFAULT_ADMIN_ID, DEFAULT_TIME_ZONE, add_webchat_routes

__all__ = ["DEFAULT_ADMIN_ID", "DEFAULT_TIME_ZONE", "add_webchat_routes"]
