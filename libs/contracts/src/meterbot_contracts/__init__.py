"""Contracts shared by every meterbot service: the envelope, topic names and versioned messages.

A change to a published message is a new version (a new class with VERSION + 1), never an edit.
"""

from meterbot_contracts.envelope import Envelope, new_envelope
from meterbot_contracts.registry import (
    Message,
    MessageRegistry,
    UnknownMessageType,
    default_registry,
)

__all__ = [
    "Envelope",
    "Message",
    "MessageRegistry",
    "UnknownMessageType",
    "default_registry",
    "new_envelope",
]
