"""What a newcomer sees from `meterbot up`: a first line at once, a line per service as it becomes
ready, and nothing that is not worth reading (no platformdirs warning, no harmless ERROR, no line
per Telegram update)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SERVICES = ("identity", "accounts", "readings", "billing-export", "telegram-gateway")
LOCAL_BOT = "7000000001"  # the bot `meterbot up` runs on its local Bot API server


def _post(url: str, body: dict[str, object]) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200


def _talk_to_the_bot(chat_url: str) -> None:
    """A resident sends /start through the local Bot API server and gets the bot's answer."""
    user = 4242
    _post(f"{chat_url}_test/bots/{LOCAL_BOT}/users/{user}/text", {"text": "/start"})
    with urllib.request.urlopen(
        f"{chat_url}_test/bots/{LOCAL_BOT}/chats/{user}/next?timeout=60", timeout=70
    ) as r:
        assert json.load(r)["ok"]


def test_up_says_what_it_does_and_nothing_else(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERBOT_") and k != "XDG_RUNTIME_DIR"}
    env["METERBOT_HOME"] = str(tmp_path)
    out, err = open(tmp_path / "up.out", "wb"), open(tmp_path / "up.err", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "meterbot", "up", "--port-base", "0"], env=env, stdout=out, stderr=err
    )
    try:
        while not (tmp_path / "stack.json").exists():
            assert proc.poll() is None, (tmp_path / "up.err").read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        state = json.loads((tmp_path / "stack.json").read_text())
        _talk_to_the_bot(state["extras"]["chat_url"])
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        out.close()
        err.close()
    lines = (tmp_path / "up.err").read_text(errors="replace").splitlines()
    print("\n".join(lines))
    assert "starting meterbot" in lines[0]
    for service in SERVICES:
        assert any(f"{service} ready after" in line for line in lines), service
    assert not [line for line in lines if "Warning" in line or " ERROR " in line or "Traceback" in line]
    assert not [line for line in lines if "is handled" in line or "is not handled" in line]
