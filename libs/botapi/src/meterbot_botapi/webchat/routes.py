"""Serve the web chat's static files (package data next to this module) from the aiohttp app.

``GET /``, ``/chat`` and ``/admin`` answer ``index.html`` (the script tells the views apart by path);
``GET /webchat/{name}`` serves ``app.js`` and ``style.css``. Files are read on each request and sent with
``Cache-Control: no-cache``, so an edited page shows on reload. Paths inside the page are relative, so it
also works behind a reverse proxy under a prefix. The page shows times in ``time_zone`` (the billing
time zone the bot's texts use), not the browser's.
"""

from __future__ import annotations

import html
from importlib import resources

from aiohttp import web

DEFAULT_ADMIN_ID = 1000
DEFAULT_TIME_ZONE = "Europe/Moscow"
TIME_ZONE: web.AppKey[str] = web.AppKey("webchat_time_zone", str)
_ZONE_META = '<meta name="time-zone" content="Europe/Moscow">'
_STATIC = resources.files(__package__)
_TYPES = {"index.html": "text/html", "app.js": "text/javascript", "style.css": "text/css"}
_PAGES = ("/", "/chat", "/admin")


def _file(name: str) -> web.Response:
    body = _STATIC.joinpath(name).read_bytes()
    return web.Response(
        body=body, content_type=_TYPES[name], charset="utf-8", headers={"Cache-Control": "no-cache"}
    )


async def page(request: web.Request) -> web.Response:
    zone = request.app.get(TIME_ZONE, DEFAULT_TIME_ZONE)
    body = _STATIC.joinpath("index.html").read_text(encoding="utf-8")
    body = body.replace(_ZONE_META, f'<meta name="time-zone" content="{html.escape(zone, quote=True)}">')
    return web.Response(
        text=body, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-cache"}
    )


async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in _TYPES or name == "index.html":
        raise web.HTTPNotFound(text="not found")
    return _file(name)


def add_webchat_routes(app: web.Application, time_zone: str = DEFAULT_TIME_ZONE) -> None:
    """Mount the page (``/``, ``/chat``, ``/admin``) and its assets (``/webchat/...``) on ``app``."""
    app[TIME_ZONE] = time_zone
    for path in _PAGES:
        app.router.add_get(path, page)
    app.router.add_get("/webchat/{name}", asset)
