"""Resident aggregate: registration by own contact card, language, erasure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from identity.domain import ResidentPII, ResidentState, decide, evolve, fold, normalize_phone
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

pytestmark = pytest.mark.unit

CHAT = 5001


def shared(
    *, contact_user_id: int | None = CHAT, phone: str = "79161234567", language: str | None = "ru"
) -> PhoneShared:
    return PhoneShared(
        chat_id=CHAT,
        user_id=CHAT,
        contact_user_id=contact_user_id,
        phone=phone,
        first_name="Иван",
        last_name="Петров",
        language=language,
    )


def registered() -> ResidentState:
    return fold(decide(ResidentState(), shared()).events)


def test_first_own_contact_registers_and_returns_pii_separately() -> None:
    decision = decide(ResidentState(), shared())
    assert decision.events == [ResidentRegistered(chat_id=CHAT, user_id=CHAT, language="ru")]
    assert decision.pii == ResidentPII(
        chat_id=CHAT, user_id=CHAT, phone="+79161234567", first_name="Иван", last_name="Петров"
    )
    # the events carry no phone or name
    dumped = decision.events[0].model_dump_json()
    assert "7916" not in dumped and "Иван" not in dumped


@pytest.mark.parametrize("contact_user_id", [None, CHAT + 1])
def test_someone_elses_card_is_refused_without_pii(contact_user_id: int | None) -> None:
    decision = decide(ResidentState(), shared(contact_user_id=contact_user_id))
    assert decision.events == [ResidentRegistrationRefused(chat_id=CHAT, reason="foreign_contact")]
    assert decision.pii is None


def test_sharing_again_updates_the_contact_without_a_second_registration() -> None:
    decision = decide(registered(), shared(phone="+7 916 000-00-00"))
    assert decision.events == [ResidentContactUpdated(chat_id=CHAT)]
    assert decision.pii is not None and decision.pii.phone == "+79160000000"


def test_a_foreign_card_from_a_registered_resident_is_refused_too() -> None:
    [event] = decide(registered(), shared(contact_user_id=1)).events
    assert event == ResidentRegistrationRefused(chat_id=CHAT, reason="foreign_contact")


def test_an_erased_resident_can_register_again_as_new() -> None:
    state = fold(decide(registered(), ResidentErasureRequested(chat_id=CHAT)).events, registered())
    assert state.status == "erased" and state.language is None
    decision = decide(state, shared())
    assert decision.events == [ResidentRegistered(chat_id=CHAT, user_id=CHAT, language="ru")]
    assert decision.pii is not None


def test_erasure_of_a_registered_resident_and_nothing_to_erase_otherwise() -> None:
    assert decide(registered(), ResidentErasureRequested(chat_id=CHAT)).events == [
        ResidentErased(chat_id=CHAT)
    ]
    erased = evolve(registered(), ResidentErased(chat_id=CHAT))
    assert decide(erased, ResidentErasureRequested(chat_id=CHAT)).events == []
    assert decide(ResidentState(), ResidentErasureRequested(chat_id=CHAT)).events == []


def test_language_change_and_no_event_when_unchanged() -> None:
    state = registered()
    assert decide(state, LanguagePreferenceSet(chat_id=CHAT, language="ru")).events == []
    [event] = decide(state, LanguagePreferenceSet(chat_id=CHAT, language="en")).events
    assert event == ResidentLanguageChanged(chat_id=CHAT, language="en")
    assert evolve(state, event).language == "en"


def test_language_chosen_before_registration_is_kept() -> None:
    state = fold([ResidentLanguageChanged(chat_id=CHAT, language="en")])
    [event] = decide(state, shared(language="ru")).events
    assert isinstance(event, ResidentRegistered)
    assert event.language == "en"
    assert evolve(state, event).language == "en"


@given(
    st.text(alphabet="0123456789 +-()", min_size=1, max_size=20).filter(lambda s: any(c.isdigit() for c in s))
)
def test_phone_normalisation_keeps_digits_only_after_a_plus(phone: str) -> None:
    normal = normalize_phone(phone)
    assert normal.startswith("+") and normal[1:].isdigit()
    assert normalize_phone(normal) == normal
