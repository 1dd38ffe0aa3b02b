"""identity: residents known by their Telegram chat. Events carry no phone or name (PII stays
encrypted inside the identity store, so erasing a resident's key erases it everywhere)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from meterbot_contracts.registry import Message, contract


@contract
class PhoneShared(Message):
    """Command: a resident pressed «Отправить мой номер» (or sent any contact card)."""

    TYPE = "PhoneShared"
    chat_id: int
    user_id: int = Field(description="Telegram id of the sender")
    contact_user_id: int | None = Field(description="user_id inside the contact card; None if absent")
    phone: str = Field(min_length=1, max_length=32)
    first_name: str = Field(default="", max_length=256)
    last_name: str | None = Field(default=None, max_length=256)
    language: str | None = Field(default=None, max_length=16)


@contract
class LanguagePreferenceSet(Message):
    TYPE = "LanguagePreferenceSet"
    chat_id: int
    language: str = Field(min_length=2, max_length=16)


@contract
class ResidentErasureRequested(Message):
    """Command: «forget me». Personal data becomes unreadable; readings stay valid for billing."""

    TYPE = "ResidentErasureRequested"
    chat_id: int


@contract
class ResidentRegistered(Message):
    TYPE = "ResidentRegistered"
    chat_id: int
    user_id: int
    language: str | None = None


@contract
class ResidentContactUpdated(Message):
    """A registered resident shared their number again: same resident, no duplicate."""

    TYPE = "ResidentContactUpdated"
    chat_id: int


@contract
class ResidentRegistrationRefused(Message):
    TYPE = "ResidentRegistrationRefused"
    chat_id: int
    reason: Literal["foreign_contact", "erased"]


@contract
class ResidentLanguageChanged(Message):
    TYPE = "ResidentLanguageChanged"
    chat_id: int
    language: str


@contract
class ResidentErased(Message):
    TYPE = "ResidentErased"
    chat_id: int


@contract
class ResidentContactRecorded(Message):
    """The contact a resident shared (phone, names), sealed with AES-256-GCM under the resident's own
    key. Erasure deletes the key: this event, in the store and on Kafka alike, becomes unreadable."""

    TYPE = "ResidentContactRecorded"
    chat_id: int
    key_id: UUID = Field(description="which key of the resident sealed it")
    nonce: str = Field(description="base64, 12 bytes")
    ciphertext: str = Field(description="base64, AES-GCM ciphertext with its tag")
