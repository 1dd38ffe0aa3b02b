"""The stack's state file holds the embedded PostgreSQL's password (in its DSN): only its owner may
read it (issue 18, item 7)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from meterbot.state import StackState

pytestmark = pytest.mark.integration


def test_the_state_file_is_written_with_mode_0600(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METERBOT_HOME", str(tmp_path))
    (tmp_path / "stack.tmp").write_text("left by a crash")
    (tmp_path / "stack.tmp").chmod(0o644)
    path = StackState("postgresql://postgres:pw@127.0.0.1:5432/postgres", "127.0.0.1:9092", False, 1).write()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "pw@" in path.read_text()
