"""What a service prints at INFO is what an operator needs: aiokafka's self-healing StaleMetadata
fetch error and aiogram's line per Telegram update are not; real errors still are."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from aiokafka.errors import StaleMetadata
from meterbot_platform.logs import configure_logging

pytestmark = pytest.mark.unit


@pytest.fixture
def service_logging(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """A service's logging, writing to the captured stderr."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in ("aiokafka", "aiogram.event", "faststream")}
    configure_logging("readings", "INFO")
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


@pytest.mark.usefixtures("service_logging")
def test_stale_metadata_and_per_update_lines_stay_quiet_and_real_errors_show(
    capsys: pytest.CaptureFixture[str],
) -> None:
    fetcher = logging.getLogger("aiokafka.consumer.fetcher")
    fetcher.error(
        "Failed fetch messages from %s: %s", 0, StaleMetadata("Broker id 0 not in current metadata")
    )
    logging.getLogger("aiogram.event").info("Update id=%s is handled. Duration %d ms by bot id=%d", 1, 5, 7)
    try:
        raise StaleMetadata("Broker id 0 not in current metadata")
    except StaleMetadata:
        logging.getLogger("faststream.readings").exception("Kafka error occurred")
    fetcher.error("Failed fetch messages from %s: %s", 0, "connection refused")
    logging.getLogger("readings").info("readings started")

    lines = capsys.readouterr().err.splitlines()
    assert not [line for line in lines if "Stale" in line or "is handled" in line or "Kafka error" in line]
    assert any("connection refused" in line for line in lines)
    assert any("readings started" in line for line in lines)
