"""`meterbot registry import` without a broker: argument parsing, dry run, settings, progress line."""

from __future__ import annotations

import argparse
import io
import json
import os
from pathlib import Path

import pytest

from meterbot.commands import publishing, registry
from meterbot.registry_csv import REGISTRY_HEADER

pytestmark = pytest.mark.unit

HEADER = ",".join(REGISTRY_HEADER)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="meterbot")
    registry.register(p.add_subparsers(dest="command", required=True))
    return p


def test_the_subcommand_parses_and_a_dry_run_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        f"{HEADER}\n1001,Иванов,ул. Ленина 1,m-1,gas,S1,,10,\n1002,Петров,,m-2,steam,,,,\n", "utf-8"
    )
    args = parser().parse_args(["registry", "import", str(path), "--dry-run"])
    assert (args.file, args.dry_run) == (path, True)
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "line 3: meter_type 'steam' is not one of" in out
    assert "held back (not imported, a row of theirs is bad): 1002" in out
    assert "would publish 1 account with 1 meter" in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(["registry", "import"])
    assert exit_.value.code == 2
    assert "FILE" in capsys.readouterr().err.upper()


def test_kafka_settings_come_from_a_running_stack_unless_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("METERBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("METERBOT_HOME", str(tmp_path))
    (tmp_path / "stack.json").write_text(
        json.dumps(
            {
                "postgres_dsn": "postgresql://x",
                "kafka_bootstrap": "127.0.0.1:19092",
                "kafka_idempotent": False,
                "supervisor_pid": os.getpid(),
            }
        )
    )
    settings = publishing.kafka_settings()
    assert (settings.kafka_bootstrap, settings.kafka_idempotent) == ("127.0.0.1:19092", False)
    monkeypatch.setenv("METERBOT_KAFKA_BOOTSTRAP", "kafka:9092")
    assert publishing.kafka_settings().kafka_bootstrap == "kafka:9092"


def test_the_progress_line_redraws_in_place_and_ends_the_line() -> None:
    stream = io.StringIO()
    bar = registry.Progress(stream, "publishing", 200, enabled=True)
    bar.advance(50)
    bar.finish()
    assert stream.getvalue().startswith("\rpublishing [#######")
    assert stream.getvalue().endswith("100% 200/200\n")
    quiet = io.StringIO()
    registry.Progress(quiet, "reading", 10, enabled=False).advance(10)
    assert quiet.getvalue() == ""


def test_with_no_stack_and_no_broker_setting_it_says_to_start_the_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [n for n in os.environ if n.startswith("METERBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("METERBOT_HOME", str(tmp_path))  # no stack.json there
    path = tmp_path / "r.csv"
    path.write_text(f"{HEADER}\n1001,Иванов,,,,,,,\n", "utf-8")
    args = parser().parse_args(["registry", "import", str(path)])
    assert args.func(args) == 3
    err = capsys.readouterr().err
    assert "no running stack; start it with `meterbot up`" in err
    assert "Error" not in err  # no raw Kafka error


def test_every_row_error_is_found_before_anything_is_published(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows accounts and readings would disagree on (a NUL) and accounts no resident could link are
    refused up front, with their lines; the dry run shows what a real run would publish."""
    path = tmp_path / "r.csv"
    path.write_text(
        f"{HEADER}\n1001,Иванов,ул. Ленина 1,m-1,gas,S\x001,,10,\nЛС-7,Петров,,,,,,,\n1003,Сидоров,,,,,,,\n",
        "utf-8",
    )
    args = parser().parse_args(["registry", "import", str(path), "--dry-run"])
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "line 2: serial_number contains the control character U+0000" in out
    assert "line 3: account_number 'ЛС-7' is not digits only" in out
    assert "would publish 1 account with 0 meters" in out
