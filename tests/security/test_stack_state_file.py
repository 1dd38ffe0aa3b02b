"""The stack's state file holds the embedded PostgreSQL's password (in its DSN): only its owner may
read it (issue 18, item 7)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from meterbot.local_secrets import stack_secrets_env, surname_key
from meterbot.state import StackState

pytestmark = pytest.mark.integration


def test_the_state_file_is_written_with_mode_0600(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METERBOT_HOME", str(tmp_path))
    (tmp_path / "stack.tmp").write_text("left by a crash")
    (tmp_path / "stack.tmp").chmod(0o644)
    path = StackState("postgresql://postgres:pw@127.0.0.1:5432/postgres", "127.0.0.1:9092", False, 1).write()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "pw@" in path.read_text()


def test_meterbot_up_makes_its_surname_key_once_0600_and_keeps_it(tmp_path: Path) -> None:
    made = stack_secrets_env(tmp_path, {})
    key = made["METERBOT_SURNAME_KEY"]
    assert len(key) >= 32 and made["METERBOT_SURNAME_KEY_ID"] == "local"
    assert stat.S_IMODE((tmp_path / "surname.key").stat().st_mode) == 0o600
    assert stack_secrets_env(tmp_path, {})["METERBOT_SURNAME_KEY"] == key  # digests stay matchable
    (tmp_path / "surname.key").chmod(0o644)
    assert surname_key(tmp_path) == key
    assert stat.S_IMODE((tmp_path / "surname.key").stat().st_mode) == 0o600


def test_an_operators_surname_key_wins_and_no_file_is_made(tmp_path: Path) -> None:
    assert stack_secrets_env(tmp_path, {"METERBOT_SURNAME_KEY": "k" * 40}) == {}
    assert not (tmp_path / "surname.key").exists()
