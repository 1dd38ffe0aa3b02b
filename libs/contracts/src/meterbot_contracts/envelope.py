"""The JSON envelope every message on every topic travels in (fixed: DESIGN §3)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    message_id: UUID
    type: str = Field(min_length=1)
    version: int = Field(ge=1)
    occurred_at: AwareDatetime
    correlation_id: str = Field(min_length=1)
    causation_id: str | None = None
    payload: dict[str, Any]

    @field_serializer("occurred_at")
    def _rfc3339_utc(self, value: datetime) -> str:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)


def new_envelope(
    message: Any,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    message_id: UUID | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    """Wrap a contract message (see registry.Message) in a fresh envelope."""
    mid = message_id or uuid4()
    return Envelope(
        message_id=mid,
        type=message.TYPE,
        version=message.VERSION,
        occurred_at=occurred_at or datetime.now(UTC),
        correlation_id=correlation_id or str(mid),
        causation_id=causation_id,
        payload=message.model_dump(mode="json"),
    )
