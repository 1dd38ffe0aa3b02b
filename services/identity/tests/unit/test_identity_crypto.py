"""Sealing a resident's contact: it opens only with the resident's own key, for its own chat."""

from __future__ import annotations

import base64
import dataclasses

import pytest
from identity.crypto import ContactUnreadable, new_key, seal, unseal
from identity.domain import ResidentPII
from meterbot_contracts import new_envelope
from meterbot_contracts.all import default_registry
from meterbot_contracts.identity import ResidentContactRecorded

pytestmark = pytest.mark.unit

PII = ResidentPII(chat_id=7, user_id=7, phone="+79161234567", first_name="Анна", last_name=None)


def test_a_sealed_contact_opens_with_its_key_and_hides_the_phone() -> None:
    key = new_key(7)
    sealed = seal(key, PII)
    assert unseal(key, sealed) == PII
    assert sealed.key_id == key.key_id
    assert "79161234567" not in sealed.model_dump_json() and "Анна" not in sealed.model_dump_json()
    assert len(base64.b64decode(sealed.nonce)) == 12


def test_two_seals_of_one_contact_differ() -> None:
    key = new_key(7)
    assert seal(key, PII).ciphertext != seal(key, PII).ciphertext


def test_without_the_key_or_with_another_it_does_not_open() -> None:
    sealed = seal(new_key(7), PII)
    with pytest.raises(ContactUnreadable):
        unseal(None, sealed)  # shredded
    with pytest.raises(ContactUnreadable):
        unseal(new_key(7), sealed)  # a new key after re-registration


def test_a_contact_moved_to_another_chat_or_tampered_with_does_not_open() -> None:
    key = new_key(7)
    sealed = seal(key, PII)
    with pytest.raises(ContactUnreadable):
        unseal(dataclasses.replace(key, chat_id=8), sealed.model_copy(update={"chat_id": 8}))
    flipped = bytearray(base64.b64decode(sealed.ciphertext))
    flipped[0] ^= 1
    with pytest.raises(ContactUnreadable):
        unseal(key, sealed.model_copy(update={"ciphertext": base64.b64encode(bytes(flipped)).decode()}))


def test_a_key_never_shows_in_its_repr() -> None:
    key = new_key(7)
    assert key.key.hex() not in repr(key) and str(key.key_id) in repr(key)


def test_the_event_travels_in_an_envelope_and_parses_back() -> None:
    sealed = seal(new_key(7), PII)
    envelope = new_envelope(sealed)
    assert (envelope.type, envelope.version) == ("ResidentContactRecorded", 1)
    assert default_registry.parse(envelope) == sealed
    assert isinstance(default_registry.parse(envelope), ResidentContactRecorded)
