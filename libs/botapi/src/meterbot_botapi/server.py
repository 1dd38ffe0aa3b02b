"""Run the server inside the current event loop: ``async with BotApiServer() as server: ...``."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any

from aiohttp import web

from .app import create_app
from .conversation import Resident
from .flood import FloodLimit
from .resident import ResidentApi
from .state import World
from .webchat import DEFAULT_TIME_ZONE


class BotApiServer:
    """A local Telegram Bot API over real HTTP; ``port=0`` picks a free port (see ``base_url``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        world: World | None = None,
        tokens: Iterable[str] | None = None,
        webchat: bool = True,
        time_zone: str = DEFAULT_TIME_ZONE,
        flood: FloodLimit | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.world = world if world is not None else World(tokens)
        self.flood = flood  # Telegram-like 429s with retry_after (flood.py); None: no limit
        self.app = create_app(self.world, webchat=webchat, time_zone=time_zone, flood=flood)
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        """E.g. ``http://127.0.0.1:40123`` -- give it to aiogram's ``TelegramAPIServer.from_base``."""
        if self._runner is None:
            raise RuntimeError("server is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def chat_url(self) -> str:
        """The web chat page (a browser on this machine can open it; a wildcard host becomes loopback)."""
        if self._runner is None:
            raise RuntimeError("server is not started")
        host = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(self.host, self.host)
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    def api_url(self, token: str, method: str) -> str:
        return f"{self.base_url}/bot{token}/{method}"

    async def start(self) -> None:
        # handler_cancellation: a client that hangs up (a stopped poller) ends its long poll at once.
        self._runner = web.AppRunner(self.app, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def residents(self, bot: int | str) -> ResidentApi:
        """The resident side for a bot (id or token)."""
        return ResidentApi(self.world, bot)

    def resident(self, bot: int | str, user_id: int, **profile: Any) -> Resident:
        """One user of that bot; ``profile`` sets first_name, language_code, phone_number, ..."""
        return ResidentApi(self.world, bot).resident(user_id, **profile)
