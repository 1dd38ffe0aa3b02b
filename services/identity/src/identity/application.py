"""Commands from the gateway on the resident's stream (`resident-{chat_id}`): load -> decide -> append,
one transaction each with the inbox claim.

- PhoneShared -> ResidentRegistered | ResidentContactUpdated (each followed by ResidentContactRecorded:
  the contact sealed under the resident's key) | ResidentRegistrationRefused(foreign_contact), whose
  card is not stored at all (it is someone else's data).
- LanguagePreferenceSet -> ResidentLanguageChanged (nothing when unchanged).
- ResidentErasureRequested -> ResidentErased and the resident's key deleted in the same transaction
  (nothing to append for a chat that is not registered; a stray key is deleted all the same).
The gateway answers PhoneShared from the event carrying its correlation id; the other two need no
answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import asyncpg
from meterbot_contracts import Envelope, Message
from meterbot_contracts.all import default_registry
from meterbot_contracts.identity import (
    LanguagePreferenceSet,
    PhoneShared,
    ResidentContactRecorded,
    ResidentContactUpdated,
    ResidentErased,
    ResidentErasureRequested,
    ResidentRegistered,
    ResidentRegistrationRefused,
)
from meterbot_platform.application import (
    StreamBook,
    StreamKind,
    answering_handler,
    as_messages,
    caused_by,
    load_stream,
)
from meterbot_platform.consumer import Handler
from meterbot_platform.eventstore import EventStore

from identity import SERVICE
from identity.crypto import ResidentKeys, seal
from identity.domain import ResidentCommand, ResidentEvent, ResidentState, decide, fold
from identity.metrics import ERASURES, REGISTRATIONS

CONSUMER = "identity:commands"
STREAM_PREFIX = "resident-"


def resident_stream(chat_id: int) -> str:
    return f"{STREAM_PREFIX}{chat_id}"


def resident_state(messages: Iterable[Message], state: ResidentState | None = None) -> ResidentState:
    """The aggregate's state (the sealed contacts do not change it)."""
    return fold(
        cast(list[ResidentEvent], [m for m in messages if not isinstance(m, ResidentContactRecorded)]),
        state,
    )


def _evolve(state: ResidentState, message: Message, _: datetime) -> ResidentState:
    if isinstance(message, ResidentContactRecorded):
        return state  # the sealed contact does not change the aggregate
    return resident_state([message], state)


# bump the schema when ResidentState changes shape: older snapshots are then ignored (replayed)
RESIDENT = StreamKind(STREAM_PREFIX, ResidentState, _evolve, snapshot_schema="identity.ResidentState/1")


async def load_resident(
    conn: asyncpg.Connection, store: EventStore, chat_id: int
) -> tuple[ResidentState, list[Message], int]:
    """State, the stream's messages and its version (0: nothing recorded for this chat yet)."""
    events, version = await load_stream(conn, store, resident_stream(chat_id))
    messages = as_messages(events, default_registry)
    return resident_state(messages), messages, version


@dataclass(frozen=True)
class Deps:
    store: EventStore
    keys: ResidentKeys = field(default_factory=ResidentKeys)


async def handle_command(
    conn: asyncpg.Connection, deps: Deps, envelope: Envelope, command: ResidentCommand
) -> list[Message]:
    """Decide on the resident's stream (loaded from its snapshot) and append; the messages appended
    (may be none)."""
    residents = StreamBook(conn, deps.store, default_registry)
    await residents.load(RESIDENT, [command.chat_id])
    decision = decide(residents.get(RESIDENT, command.chat_id), command)
    messages: list[Message] = list(decision.events)
    if decision.pii is not None:
        messages.append(seal(await deps.keys.get_or_create(conn, command.chat_id), decision.pii))
    if isinstance(command, ResidentErasureRequested):
        await deps.keys.shred(conn, command.chat_id)
    residents.record(RESIDENT, command.chat_id, caused_by(envelope, messages), messages)
    await residents.flush()
    return messages


def _count(messages: list[Message]) -> str:
    """Metrics for committed messages; the outcome label of meterbot_commands_handled_total."""
    for message in messages:
        match message:
            case ResidentRegistered():
                REGISTRATIONS.labels(SERVICE, "registered").inc()
            case ResidentContactUpdated():
                REGISTRATIONS.labels(SERVICE, "contact_updated").inc()
            case ResidentRegistrationRefused():
                REGISTRATIONS.labels(SERVICE, message.reason).inc()
                return "rejected"
            case ResidentErased():
                ERASURES.labels(SERVICE).inc()
    return "accepted"


def command_handlers(pool: asyncpg.Pool, deps: Deps) -> Mapping[type[Message], Handler]:
    """One message at a time: the resident's key is written in the same transaction."""
    handle = answering_handler(
        pool,
        CONSUMER,
        lambda conn, envelope, command: handle_command(conn, deps, envelope, command),
        _count,
    )
    return {PhoneShared: handle, LanguagePreferenceSet: handle, ResidentErasureRequested: handle}
