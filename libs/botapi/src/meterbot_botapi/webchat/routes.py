"""Serve the web chat's static files (package data next to this module) from the aiohttp app.

``GET /``, ``/chat`` and ``/admin`` answer ``index.html`` (the script tells the views apart by path);
``GET /webchat/{name}`` serves ``app.js`` and ``style.css``. Files are read on each request and sent with
``Cache-Control: no-cache``, so an edited page shows on reload. Paths inside the page are relative, so it
also works behind a reverse proxy under a prefix.
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

DEFAULT_ADMIN_ID = 1000
_STATIC = resources.files(__package__)
_TYPES = {"index.html": "text/html", "app.js": "text/javascript", "style.css": "text/css"}
_PAGES = ("/", "/chat", "/admin")


def _file(name: str) -> web.Response:
    body = _STATIC.joinpath(name).read_bytes()
    return web.Response(
        body=body, content_type=_TYPES[name], charset="utf-8", headers={"Cache-Control": "no-cache"}
    )


async def page(request: web.Request) -> web.Response:
    return _file("index.html")


async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in _TYPES or name == "index.html":
        raise web.HTTPNotFound(text="not found")
    return _file(name)


def add_webchat_routes(app: web.Application) -> None:
    """Mount the page (``/``, ``/chat``, ``/admin``) and its assets (``/webchat/...``) on ``app``."""
    for path in _PAGES:
        app.router.add_get(path, page)
    app.router.add_get("/webchat/{name}", asset)
