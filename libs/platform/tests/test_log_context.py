"""JSON log lines written while a message is handled carry its correlation and causation ids."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import pytest
from meterbot_platform.logs import JsonFormatter, message_context

pytestmark = pytest.mark.unit


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter("readings"))
        self.lines: list[dict[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    log = logging.getLogger("test.log_context")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield handler
    log.removeHandler(handler)


def test_every_line_inside_the_context_carries_the_ids(lines: Lines) -> None:
    log = logging.getLogger("test.log_context")
    log.info("before")
    with message_context("corr-1", "cause-1", "msg-1"):
        log.info("handling")
        logging.getLogger("test.log_context.deeper").warning("deeper")
    log.info("after")
    before, handling, deeper, after = lines.lines
    assert "correlation_id" not in before and "correlation_id" not in after
    for line in (handling, deeper):
        assert (line["correlation_id"], line["causation_id"], line["message_id"]) == (
            "corr-1",
            "cause-1",
            "msg-1",
        )


async def test_concurrent_messages_keep_their_own_ids(lines: Lines) -> None:
    log = logging.getLogger("test.log_context")

    async def handle(n: int) -> None:
        with message_context(f"corr-{n}", f"cause-{n}"):
            await asyncio.sleep(0)  # the other handler runs in between
            log.info("handled %d", n)

    await asyncio.gather(*(handle(n) for n in range(5)))
    for line in lines.lines:
        n = line["msg"].split()[-1]
        assert (line["correlation_id"], line["causation_id"]) == (f"corr-{n}", f"cause-{n}")
