"""`meterbot up` as a user runs it: every service answers /healthz; Ctrl-C leaves no process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

SERVICES = {"identity", "accounts", "readings", "billing-export", "telegram-gateway"}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie has exited; only its parent's wait() is missing
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[1][0] != "Z"


def _wait_for_state(home: Path, proc: subprocess.Popen[bytes], timeout: float = 120) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    path = home / "stack.json"
    while not path.exists():
        assert proc.poll() is None, f"meterbot up exited early with {proc.returncode}"
        assert time.monotonic() < deadline, "stack did not come up in time"
        time.sleep(0.2)
    state: dict[str, Any] = json.loads(path.read_text())
    return state


def test_up_runs_five_healthy_services_and_ctrl_c_leaves_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERBOT_")}
    env["METERBOT_HOME"] = str(tmp_path)
    log = open(tmp_path / "up.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "meterbot", "up", "--port-base", "0"],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        state = _wait_for_state(tmp_path, proc)
        assert set(state["services"]) == SERVICES
        for name, info in state["services"].items():
            with urllib.request.urlopen(f"{info['url']}/healthz", timeout=5) as resp:
                assert resp.status == 200, name
        pids = [int(i["pid"]) for i in state["services"].values()]
        pids += [int(state["extras"][k]) for k in ("postgres_pid", "broker_pid", "bot_api_pid")]
        assert all(_alive(p) for p in pids)
        # no METERBOT_TELEGRAM_TOKEN: the local Bot API server answers for the gateway
        with urllib.request.urlopen(f"{state['extras']['chat_url']}_test/bots", timeout=5) as resp:
            assert resp.status == 200

        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends: to the whole foreground group
        assert proc.wait(timeout=60) == 0
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [p for p in pids if _alive(p)] == []
        assert not (tmp_path / "stack.json").exists()
        # in order: the services stop while the broker and PostgreSQL are still there
        stopping = (tmp_path / "up.log").read_text(errors="replace").split("stopping (SIGINT)", 1)[1]
        assert [line for line in stopping.splitlines() if " ERROR " in line] == []
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
        print((tmp_path / "up.log").read_text(errors="replace")[-3000:])
