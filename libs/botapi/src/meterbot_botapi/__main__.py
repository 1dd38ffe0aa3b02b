"""``python -m meterbot_botapi --port 8081``: serve the local Bot API until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal

from .server import BotApiServer
from .state import World
from .webchat import DEFAULT_ADMIN_ID, DEFAULT_TIME_ZONE


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m meterbot_botapi", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument(
        "--token",
        action="append",
        dest="tokens",
        metavar="TOKEN",
        help="accept only these bot tokens (repeatable; default: any <id>:<secret>)",
    )
    parser.add_argument(
        "--admin-chat",
        type=int,
        metavar="USER_ID",
        help="a user («Администратор») who has started every bot, so a bot may write to them before "
        "anyone opens the admin page (e.g. the bot's METERBOT_ADMIN_CHAT_ID)",
    )
    parser.add_argument("--no-webchat", action="store_true", help="do not serve the web chat page at /")
    parser.add_argument(
        "--time-zone",
        default=os.environ.get("METERBOT_PERIOD_TIME_ZONE", DEFAULT_TIME_ZONE),
        help="the time zone the web chat shows times in (default: METERBOT_PERIOD_TIME_ZONE, else "
        f"{DEFAULT_TIME_ZONE}: the billing time zone the bot's texts use)",
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    world = World(args.tokens, open_chats=[args.admin_chat] if args.admin_chat else [])
    if args.admin_chat:
        world.user(args.admin_chat, first_name="Администратор")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            _serve(
                args.host,
                args.port,
                world,
                webchat=not args.no_webchat,
                admin=args.admin_chat,
                time_zone=args.time_zone,
            )
        )


async def _serve(
    host: str,
    port: int,
    world: World,
    *,
    webchat: bool = True,
    admin: int | None = None,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> None:
    async with BotApiServer(host, port, world=world, webchat=webchat, time_zone=time_zone) as server:
        print(
            f"Local Telegram Bot API at {server.base_url}  (bots: {server.base_url}/bot<token>/<method>, "
            f"residents: {server.base_url}/_test/...)",
            flush=True,
        )
        if webchat:
            chat = server.chat_url
            print(
                f"Web chat: {chat}  (a new resident per browser tab; admin view: "
                f"{chat}admin?admin={admin or DEFAULT_ADMIN_ID})",
                flush=True,
            )
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await stop.wait()


if __name__ == "__main__":
    main()
