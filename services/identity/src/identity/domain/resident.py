"""Resident aggregate (stream per chat). Events carry no phone or name: a successful registration also
returns the personal data as a separate `ResidentPII` value, which the application stores encrypted
(the crypto is not the domain's job).

- PhoneShared: the card must be the sender's own (contact_user_id == user_id; None counts as foreign,
  DESIGN §5), else ResidentRegistrationRefused(foreign_contact). First time -> ResidentRegistered; a
  registered resident sharing again -> ResidentContactUpdated (same resident, fresh PII).
- An erased resident may register again: it is a new registration (ResidentRegistered), because
  erasure forgets the person, it does not ban the chat. So the contract's `erased` refusal is not used.
- LanguagePreferenceSet -> ResidentLanguageChanged, nothing if unchanged. Allowed in any state (the
  language may be chosen before the phone is shared).
- ResidentErasureRequested -> ResidentErased for a registered resident; nothing for a chat that is not
  registered (never was, or already erased): there is no personal data to forget."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, TypeAlias

from meterbot_contracts.identity import (
    LanguagePreferenceSet,
    PhoneShared,
    ResidentContactUpdated,
    ResidentErased,
    ResidentErasureRequested,
    ResidentLanguageChanged,
    ResidentRegistered,
    ResidentRegistrationRefused,
)
from pydantic import BaseModel, ConfigDict

ResidentCommand: TypeAlias = PhoneShared | LanguagePreferenceSet | ResidentErasureRequested
ResidentEvent: TypeAlias = (
    ResidentRegistered
    | ResidentContactUpdated
    | ResidentRegistrationRefused
    | ResidentLanguageChanged
    | ResidentErased
)
ResidentStatus = Literal["new", "registered", "erased"]


class ResidentPII(BaseModel):
    """Personal data of a resident, to be stored encrypted under the resident's key."""

    model_config = ConfigDict(frozen=True)

    chat_id: int
    user_id: int
    phone: str
    first_name: str = ""
    last_name: str | None = None


class ResidentState(BaseModel):
    model_config = ConfigDict(frozen=True)

    chat_id: int | None = None
    status: ResidentStatus = "new"
    user_id: int | None = None
    language: str | None = None


class ResidentDecision(BaseModel):
    """The events to append and, after a successful PhoneShared, the PII to store."""

    model_config = ConfigDict(frozen=True)

    events: list[ResidentEvent]
    pii: ResidentPII | None = None


def normalize_phone(phone: str) -> str:
    """Telegram sends digits with or without '+': keep digits, with a leading '+' ("+79161234567")."""
    digits = "".join(c for c in phone if c in "0123456789")
    return f"+{digits}" if digits else phone.strip()


def is_own_contact(command: PhoneShared) -> bool:
    return command.contact_user_id is not None and command.contact_user_id == command.user_id


def _phone_shared(state: ResidentState, command: PhoneShared) -> ResidentDecision:
    if not is_own_contact(command):
        refusal = ResidentRegistrationRefused(chat_id=command.chat_id, reason="foreign_contact")
        return ResidentDecision(events=[refusal])
    pii = ResidentPII(
        chat_id=command.chat_id,
        user_id=command.user_id,
        phone=normalize_phone(command.phone),
        first_name=command.first_name,
        last_name=command.last_name,
    )
    if state.status == "registered":
        return ResidentDecision(events=[ResidentContactUpdated(chat_id=command.chat_id)], pii=pii)
    language = state.language or command.language  # a preference set before registering wins
    registered = ResidentRegistered(chat_id=command.chat_id, user_id=command.user_id, language=language)
    return ResidentDecision(events=[registered], pii=pii)


def decide(state: ResidentState, command: ResidentCommand) -> ResidentDecision:
    if isinstance(command, PhoneShared):
        return _phone_shared(state, command)
    if isinstance(command, LanguagePreferenceSet):
        if command.language == state.language:
            return ResidentDecision(events=[])
        return ResidentDecision(
            events=[ResidentLanguageChanged(chat_id=command.chat_id, language=command.language)]
        )
    if state.status != "registered":
        return ResidentDecision(events=[])
    return ResidentDecision(events=[ResidentErased(chat_id=command.chat_id)])


def evolve(state: ResidentState, event: ResidentEvent) -> ResidentState:
    if isinstance(event, ResidentRegistered):
        language = event.language if event.language is not None else state.language
        return ResidentState(
            chat_id=event.chat_id, status="registered", user_id=event.user_id, language=language
        )
    if isinstance(event, ResidentLanguageChanged):
        return state.model_copy(update={"chat_id": event.chat_id, "language": event.language})
    if isinstance(event, ResidentErased):
        return ResidentState(chat_id=event.chat_id, status="erased")
    return state


def fold(events: Iterable[ResidentEvent], state: ResidentState | None = None) -> ResidentState:
    current = state if state is not None else ResidentState()
    for event in events:
        current = evolve(current, event)
    return current
