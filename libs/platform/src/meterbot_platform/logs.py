"""Structured logging: JSON lines for machines, a short console format for people."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from meterbot_platform.redaction import RedactPersonalData

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


# The ids of the message being handled: set by the consumer around each message (message_context),
# so every line logged while handling it, at any depth, can be traced to the resident's request.
_MESSAGE: ContextVar[dict[str, str] | None] = ContextVar("meterbot_message", default=None)


@contextmanager
def message_context(
    correlation_id: object, causation_id: object, message_id: object = None
) -> Iterator[None]:
    """Log lines inside the block carry these ids (asyncio tasks started inside inherit them)."""
    ids = {"correlation_id": str(correlation_id), "causation_id": str(causation_id)}
    if message_id is not None:
        ids["message_id"] = str(message_id)
    token = _MESSAGE.set(ids)
    try:
        yield
    finally:
        _MESSAGE.reset(token)


def message_ids() -> dict[str, str]:
    """The ids of the message being handled here, if any."""
    return dict(_MESSAGE.get() or {})


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "msg": record.getMessage(),
            **message_ids(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_text:  # formatted (and redacted) by the filter
            entry["exc"] = record.exc_text
        elif record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RetriedByKafkaClient(logging.Filter):
    """aiokafka logs at ERROR a fetch that hit stale broker metadata (a broker that just started or
    moved a partition), and FastStream logs the same error of a poll, then both refresh the metadata
    and retry by themselves: nothing to act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        if logging.getLogger().level <= logging.DEBUG:
            return True
        error = record.exc_info[1] if record.exc_info else None
        if type(error).__name__ == "StaleMetadata":  # FastStream's "Kafka error occurred"
            return False
        return not (record.name.startswith("aiokafka") and "StaleMetadata" in record.getMessage())


def configure_logging(service: str, level: str = "INFO", fmt: str = "console") -> None:
    """One handler on the root logger, behind the personal data filter (meterbot_platform.redaction)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RetriedByKafkaClient())
    handler.addFilter(RedactPersonalData())
    if fmt == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # FastStream logs every message at INFO; keep that for debugging only.
    logging.getLogger("faststream").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    # aiogram logs every Telegram update at INFO ("Update id=... is handled"); metrics count them.
    logging.getLogger("aiogram.event").setLevel(max(logging.WARNING, root.level))
