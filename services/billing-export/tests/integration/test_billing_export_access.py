"""The export API is not for whoever reaches the port (issue 18, item 7): bound beyond loopback the
service refuses to start without METERBOT_BILLING_EXPORT_TOKEN; without a token only this machine may
call it; with it every call needs it as a bearer token. The guard is served by a real aiohttp server
on every interface and called over loopback and over the machine's own non-loopback address (a peer
that is not local, as far as the server can tell)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import aiohttp
import pytest
from aiohttp import web
from billing_export.access import ExportApiExposed, export_token, guarded, listens_on_loopback
from meterbot_localstack import free_port
from pydantic import SecretStr

pytestmark = pytest.mark.integration


def own_address() -> str | None:
    """This machine's address on its default route (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))  # no packet is sent: it only picks the route
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


async def closed(request: web.Request) -> web.Response:
    return web.json_response({"closed_now": True})


async def serve(token: SecretStr | None) -> tuple[web.AppRunner, int]:
    app = web.Application()
    app.add_routes([web.post("/exports/{period}/close", guarded(closed, token))])
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "0.0.0.0", port).start()
    return runner, port


async def status(host: str, port: int, headers: dict[str, str] | None = None) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"http://{host}:{port}/exports/2026-11/close", headers=headers or {}) as response,
    ):
        return response.status


@pytest.fixture
def remote_host() -> str:
    address = own_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to call from")
    return address


async def test_without_a_token_only_this_machine_may_close_a_period(remote_host: str) -> None:
    runner, port = await serve(None)
    try:
        assert await status("127.0.0.1", port) == 200
        assert await status(remote_host, port) == 403
    finally:
        await runner.cleanup()


async def test_with_a_token_every_call_needs_it(remote_host: str) -> None:
    runner, port = await serve(SecretStr("export-token-0123456789"))
    try:
        for host in ("127.0.0.1", remote_host):
            assert await status(host, port) == 401
            assert await status(host, port, {"Authorization": "Bearer wrong"}) == 401
            assert (
                await status(host, port, {"Authorization": "Bearer ключ".encode().decode("latin-1")}) == 401
            )
            assert await status(host, port, {"Authorization": "Bearer export-token-0123456789"}) == 200
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.0.1", "::1", "localhost"])
def test_a_loopback_listener_needs_no_token(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("METERBOT_BILLING_EXPORT_TOKEN", raising=False)
    assert listens_on_loopback(host) and export_token(host) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "10.0.0.5", "billing.example", "::ffff:127.0.0.1"])
def test_a_listener_beyond_loopback_requires_the_token(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("METERBOT_BILLING_EXPORT_TOKEN", raising=False)
    with pytest.raises(ExportApiExposed, match="METERBOT_BILLING_EXPORT_TOKEN is not set"):
        export_token(host)
    monkeypatch.setenv("METERBOT_BILLING_EXPORT_TOKEN", "export-token-0123456789")
    token = export_token(host)
    assert token is not None and token.get_secret_value() == "export-token-0123456789"


def test_a_short_token_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METERBOT_BILLING_EXPORT_TOKEN", "SECRETBIT")
    with pytest.raises(ExportApiExposed, match="too short") as refused:
        export_token("127.0.0.1")
    assert "SECRETBIT" not in str(refused.value)


def test_billing_export_alone_on_every_interface_refuses_to_start_without_a_token() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERBOT_")}
    # Nothing listens here: had it gone on, it would have waited (and retried) on PostgreSQL.
    env["METERBOT_POSTGRES_DSN"] = "postgresql://nobody:x@127.0.0.1:9/none"
    done = subprocess.run(
        [sys.executable, "-m", "billing_export"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert "listens on 0.0.0.0" in done.stderr and "refuses to start" in done.stderr
