"""Issue 18: outside `meterbot up` (compose, k8s, a process started by hand) accounts must not run
without METERBOT_SURNAME_KEY: it exits at once, before connecting to anything, and says why."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration  # a real process (no servers needed)


def test_accounts_process_refuses_to_start_without_a_surname_key() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERBOT_")}
    # Nothing listens here: had it gone on, it would have waited (and retried) on PostgreSQL.
    env["METERBOT_POSTGRES_DSN"] = "postgresql://nobody:x@127.0.0.1:9/none"
    done = subprocess.run(
        [sys.executable, "-m", "accounts"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert "METERBOT_SURNAME_KEY is not set: accounts refuses to start" in done.stderr
    assert "Traceback" not in done.stderr
