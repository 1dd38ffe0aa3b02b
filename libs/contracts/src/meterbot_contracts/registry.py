"""Versioned message types and the registry that turns an envelope back into one."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from meterbot_contracts.envelope import Envelope


class Message(BaseModel):
    """A command or event payload. Subclasses set TYPE and VERSION; instances are immutable."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1


class UnknownMessageType(LookupError):
    """No contract is registered for an envelope's (type, version)."""


M = TypeVar("M", bound=type[Message])


class MessageRegistry:
    def __init__(self) -> None:
        self._types: dict[tuple[str, int], type[Message]] = {}

    def register(self, cls: M) -> M:
        key = (cls.TYPE, cls.VERSION)
        if key in self._types and self._types[key] is not cls:
            raise ValueError(f"{key} is registered twice")
        self._types[key] = cls
        return cls

    def lookup(self, type_: str, version: int) -> type[Message]:
        try:
            return self._types[(type_, version)]
        except KeyError:
            raise UnknownMessageType(f"unknown message type {type_!r} version {version}") from None

    def parse(self, envelope: Envelope) -> Message:
        """The typed payload; raises UnknownMessageType or pydantic.ValidationError."""
        return self.lookup(envelope.type, envelope.version).model_validate(envelope.payload)

    def parse_data(self, type_: str, version: int, data: dict[str, Any]) -> Message:
        return self.lookup(type_, version).model_validate(data)

    def known(self) -> list[tuple[str, int]]:
        return sorted(self._types)


default_registry = MessageRegistry()
contract = default_registry.register
