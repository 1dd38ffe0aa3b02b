"""Account aggregate: registry import, link/unlink, refusals with lockout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from accounts.domain import (
    AccountState,
    LinkAttemptPolicy,
    LinkAttempts,
    SurnameKeyring,
    decide_link,
    decide_registration,
    decide_unlink,
    evolve,
    fold,
    surname_digest,
)
from accounts.domain.link_attempts import evolve as evolve_attempts
from accounts.domain.link_attempts import fold as fold_attempts
from meterbot_contracts.accounts import (
    AccountLinked,
    AccountLinkRefused,
    AccountLinkRequested,
    AccountRegistered,
    AccountUnlinked,
    AccountUnlinkRequested,
)
from meterbot_contracts.billing import RegistryRecord

pytestmark = pytest.mark.unit

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
POLICY = LinkAttemptPolicy()
KEYRING = SurnameKeyring("k1", b"a-secret-key-for-the-unit-tests-0123")
RECORD = RegistryRecord(account_number="1001", surname="Мамин-Сибиряк", address="ул. Ленина, 1, кв. 5")


def registered() -> AccountState:
    return fold(decide_registration(AccountState(), RECORD, keyring=KEYRING))


def link(
    state: AccountState, surname: str, *, chat: int = 7, attempts: LinkAttempts | None = None
) -> AccountLinked | AccountLinkRefused:
    [event] = decide_link(
        state,
        AccountLinkRequested(chat_id=chat, account_number="1001", surname=surname),
        attempts=attempts or LinkAttempts(),
        now=NOW,
        policy=POLICY,
        keyring=KEYRING,
    )
    return event


def test_registration_carries_the_digest_never_the_surname() -> None:
    [event] = decide_registration(AccountState(), RECORD, keyring=KEYRING)
    assert event == AccountRegistered(
        account_number="1001", surname_digest=KEYRING.digest("маминсибиряк"), address=RECORD.address
    )
    assert "Мамин" not in event.model_dump_json()


def test_reimport_is_idempotent_by_content_and_a_change_registers_again() -> None:
    state = registered()
    assert decide_registration(state, RECORD, keyring=KEYRING) == []
    assert (
        decide_registration(state, RECORD.model_copy(update={"surname": "МАМИН СИБИРЯК"}), keyring=KEYRING)
        == []
    )
    [moved] = decide_registration(
        state, RECORD.model_copy(update={"address": "ул. Мира, 2"}), keyring=KEYRING
    )
    assert evolve(state, moved).address == "ул. Мира, 2"


def test_right_pair_links_with_the_address() -> None:
    assert link(registered(), "маминсибиряк") == AccountLinked(
        chat_id=7, account_number="1001", address=RECORD.address
    )


def test_family_chats_link_the_same_account_and_relinking_is_idempotent() -> None:
    state = registered()
    state = evolve(state, link(state, "Мамин-Сибиряк", chat=7))
    state = evolve(state, link(state, "мамин сибиряк", chat=8))
    assert state.linked_chats == {7, 8}
    again = link(state, "маминсибиряк", chat=7)
    assert isinstance(again, AccountLinked)
    assert evolve(state, again) == state


def test_wrong_pair_reports_attempts_left() -> None:
    event = link(registered(), "Иванов")
    assert isinstance(event, AccountLinkRefused)
    assert (event.reason, event.attempts_left, event.locked_until) == ("wrong_pair", 4, None)


def test_unknown_account_is_refused_and_counts_as_a_try() -> None:
    event = link(AccountState(), "Иванов")
    assert isinstance(event, AccountLinkRefused)
    assert (event.reason, event.attempts_left) == ("unknown_account", 4)


def test_fifth_wrong_try_says_until_when_and_the_sixth_is_locked_even_with_the_right_pair() -> None:
    # given 4 wrong tries from this chat on other accounts in the last hour
    attempts = fold_attempts(
        [
            (
                AccountLinkRefused(chat_id=7, account_number=f"9{i}", reason="wrong_pair"),
                NOW - timedelta(minutes=i),
            )
            for i in range(1, 5)
        ]
    )
    # when the fifth is wrong as well
    fifth = link(registered(), "Иванов", attempts=attempts)
    assert isinstance(fifth, AccountLinkRefused)
    oldest = NOW - timedelta(minutes=4)
    assert (fifth.attempts_left, fifth.locked_until) == (0, oldest + timedelta(hours=24))
    # then even the right pair is refused as locked_out while the lock lasts
    attempts = evolve_attempts(attempts, fifth, at=NOW)
    sixth = link(registered(), "Мамин-Сибиряк", attempts=attempts)
    assert isinstance(sixth, AccountLinkRefused)
    assert (sixth.reason, sixth.locked_until) == ("locked_out", oldest + timedelta(hours=24))


def test_lockout_is_per_chat() -> None:
    locked = LinkAttempts(failures=tuple(NOW - timedelta(minutes=i) for i in range(5)))
    assert isinstance(link(registered(), "Мамин-Сибиряк", chat=7, attempts=locked), AccountLinkRefused)
    assert isinstance(link(registered(), "Мамин-Сибиряк", chat=8), AccountLinked)


def test_unlink_linked_chat_and_ignore_a_chat_that_is_not_linked() -> None:
    state = fold(
        [
            *decide_registration(AccountState(), RECORD, keyring=KEYRING),
            AccountLinked(chat_id=7, account_number="1001", address=""),
        ]
    )
    [event] = decide_unlink(state, AccountUnlinkRequested(chat_id=7, account_number="1001"))
    assert event == AccountUnlinked(chat_id=7, account_number="1001")
    state = evolve(state, event)
    assert state.linked_chats == frozenset()
    assert decide_unlink(state, AccountUnlinkRequested(chat_id=7, account_number="1001")) == []


def test_a_wrong_pair_reports_the_smaller_budget_and_the_account_lock_it_starts() -> None:
    # given 9 wrong pairs on the account from other chats, and none from this one
    account = LinkAttempts(failures=tuple(NOW - timedelta(minutes=i) for i in range(1, 10)))
    [event] = decide_link(
        registered(),
        AccountLinkRequested(chat_id=7, account_number="1001", surname="Иванов"),
        attempts=LinkAttempts(),
        now=NOW,
        policy=POLICY,
        keyring=KEYRING,
        account_attempts=account,
    )
    assert isinstance(event, AccountLinkRefused)
    assert (event.attempts_left, event.locked_until) == (0, NOW - timedelta(minutes=9) + timedelta(hours=24))


def test_a_reimport_migrates_an_unkeyed_digest_and_a_rotated_key_to_the_current_key() -> None:
    """Issue 18, hole 2: digests from before keys (plain SHA-256) and under a previous key still link;
    the next registry import replaces them with the current key's, after which they are not needed."""
    rotated = SurnameKeyring("k2", b"the-next-key-for-the-unit-tests-0123", previous={"k1": KEYRING.key})
    for old_digest in (surname_digest("маминсибиряк"), KEYRING.digest("маминсибиряк")):
        old = evolve(
            AccountState(),
            AccountRegistered(account_number="1001", surname_digest=old_digest, address=RECORD.address),
        )
        [kept] = decide_link(
            old,
            AccountLinkRequested(chat_id=7, account_number="1001", surname="Мамин-Сибиряк"),
            attempts=LinkAttempts(),
            now=NOW,
            policy=POLICY,
            keyring=rotated,
        )
        assert isinstance(kept, AccountLinked)
        [migrated] = decide_registration(old, RECORD, keyring=rotated)
        assert migrated.surname_digest == rotated.digest("маминсибиряк")
        strict = SurnameKeyring("k2", rotated.key, accept_unkeyed=False)  # previous key dropped too
        assert decide_registration(evolve(old, migrated), RECORD, keyring=strict) == []
        [linked] = decide_link(
            evolve(old, migrated),
            AccountLinkRequested(chat_id=7, account_number="1001", surname="Мамин-Сибиряк"),
            attempts=LinkAttempts(),
            now=NOW,
            policy=POLICY,
            keyring=strict,
        )
        assert isinstance(linked, AccountLinked)
