"""Structured logging: JSON lines for machines, a short console format for people."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


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
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
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
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RetriedByKafkaClient())
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
