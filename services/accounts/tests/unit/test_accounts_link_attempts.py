"""Per-chat lockout: 5 wrong tries within a sliding 24 h window lock further attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from accounts.domain import LinkAttemptPolicy, LinkAttempts
from accounts.domain.link_attempts import decide, evolve, fold, fold_account, lockout_until
from hypothesis import given
from hypothesis import strategies as st
from meterbot_contracts.accounts import AccountLinkRefused, AccountLinkRequested

pytestmark = pytest.mark.unit

POLICY = LinkAttemptPolicy()
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
REQUEST = AccountLinkRequested(chat_id=1, account_number="A1", surname="Иванов")


def refused(reason: str = "wrong_pair") -> AccountLinkRefused:
    return AccountLinkRefused(chat_id=1, account_number="A1", reason=reason)


def failures_at(*times: datetime) -> LinkAttempts:
    return fold([(refused(), t) for t in times])


def test_four_wrong_tries_leave_one_attempt() -> None:
    state = failures_at(*(T0 + timedelta(minutes=i) for i in range(4)))
    now = T0 + timedelta(minutes=5)
    assert decide(state, REQUEST, now=now, policy=POLICY) == []
    assert state.after_failure(now=now, policy=POLICY) == (0, T0 + DAY)


def test_fifth_wrong_try_locks_until_oldest_plus_24h() -> None:
    state = failures_at(*(T0 + timedelta(hours=i) for i in range(5)))
    [event] = decide(state, REQUEST, now=T0 + timedelta(hours=6), policy=POLICY)
    assert (event.reason, event.locked_until, event.attempts_left) == ("locked_out", T0 + DAY, 0)


def test_unknown_account_counts_and_locked_out_does_not() -> None:
    state = fold([(refused("unknown_account"), T0)] * 5)
    assert state.locked_until(now=T0, policy=POLICY) == T0 + DAY
    state = fold([(refused("locked_out"), T0)] * 10)
    assert state.locked_until(now=T0, policy=POLICY) is None


def test_window_slides_one_failure_at_a_time() -> None:
    # failures at T0, T0+1h, ..., T0+4h: locked; at T0+24h the first leaves, one try is allowed
    state = failures_at(*(T0 + timedelta(hours=i) for i in range(5)))
    assert state.locked_until(now=T0 + DAY - timedelta(seconds=1), policy=POLICY) == T0 + DAY
    assert state.locked_until(now=T0 + DAY, policy=POLICY) is None
    # a wrong try then locks again until the second failure leaves the window
    state = evolve(state, refused(), at=T0 + DAY)
    assert state.locked_until(now=T0 + DAY, policy=POLICY) == T0 + timedelta(hours=25)


def test_evolve_drops_failures_that_left_the_window() -> None:
    state = failures_at(T0, T0 + timedelta(hours=1), T0 + 2 * DAY)
    assert state.failures == (T0 + 2 * DAY,)


offsets = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=23, minutes=59))


@given(
    spread=st.lists(offsets, min_size=5, max_size=5),
    after=st.timedeltas(min_value=-timedelta(minutes=5), max_value=timedelta(minutes=5)),
)
def test_lock_ends_exactly_when_the_oldest_failure_is_24h_old(
    spread: list[timedelta], after: timedelta
) -> None:
    # given 5 failures within 24 h of the first one
    times = [T0, *(T0 + d for d in spread[1:])]
    state = failures_at(*times)
    last = max(times)
    oldest_end = min(times) + DAY
    now = max(oldest_end + after, last)
    # then a try is refused strictly before oldest + 24h and allowed from then on
    [*events] = decide(state, REQUEST, now=now, policy=POLICY)
    if now < oldest_end:
        assert [e.locked_until for e in events] == [oldest_end]
    else:
        assert events == []


@given(
    count=st.integers(min_value=0, max_value=4),
    gap=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(hours=5)),
)
def test_attempts_left_counts_down_to_zero(count: int, gap: timedelta) -> None:
    state = failures_at(*(T0 + i * gap for i in range(count)))
    now = T0 + count * gap
    left, until = state.after_failure(now=now, policy=POLICY)
    assert left == 4 - count
    assert (until is not None) == (left == 0)


def test_policy_is_a_setting() -> None:
    policy = LinkAttemptPolicy(max_failures=2, window=timedelta(hours=1))
    state = failures_at(T0, T0 + timedelta(minutes=1))
    assert state.locked_until(now=T0 + timedelta(minutes=2), policy=policy) == T0 + timedelta(hours=1)


# Per account number: wrong pairs from any chat count against the account (issue 18, item 6).
ACCOUNT_POLICY = LinkAttemptPolicy(max_failures=10)


def wrong_pairs_on_account(times: list[datetime], *, chats: int) -> LinkAttempts:
    """The account's state after wrong pairs at `times`, made by `chats` different chats in turn."""
    return fold_account(
        [
            (AccountLinkRefused(chat_id=i % chats, account_number="A1", reason="wrong_pair"), t)
            for i, t in enumerate(times)
        ],
        ACCOUNT_POLICY,
    )


def test_a_new_chat_does_not_start_fresh_against_a_guessed_account() -> None:
    # given 10 wrong pairs on account A1 from 10 different chats (each chat far from its own limit)
    account = wrong_pairs_on_account([T0 + timedelta(minutes=i) for i in range(10)], chats=10)
    # when a brand new chat tries A1
    [event] = decide(
        LinkAttempts(),
        REQUEST,
        now=T0 + timedelta(hours=1),
        policy=POLICY,
        account=account,
        account_policy=ACCOUNT_POLICY,
    )
    # then it is locked out until the oldest of those leaves the window
    assert (event.reason, event.locked_until) == ("locked_out", T0 + DAY)


def test_unknown_account_and_locked_out_refusals_do_not_count_against_an_account() -> None:
    refusals = [
        (AccountLinkRefused(chat_id=i, account_number="A1", reason=reason), T0)
        for i, reason in enumerate(["unknown_account", "locked_out"] * 10)
    ]
    assert fold_account(refusals, ACCOUNT_POLICY).failures == ()


@given(
    offsets=st.lists(st.integers(min_value=0, max_value=48 * 60), max_size=30),
    chats=st.integers(min_value=1, max_value=30),
    now_offset=st.integers(min_value=0, max_value=72 * 60),
)
def test_account_lockout_holds_exactly_when_the_window_has_max_wrong_pairs_whatever_the_chats(
    offsets: list[int], chats: int, now_offset: int
) -> None:
    times = sorted(T0 + timedelta(minutes=m) for m in offsets)
    now = T0 + timedelta(minutes=now_offset)
    account = wrong_pairs_on_account([t for t in times if t <= now], chats=chats)
    in_window = [t for t in times if now - DAY < t <= now]
    refused = decide(
        LinkAttempts(), REQUEST, now=now, policy=POLICY, account=account, account_policy=ACCOUNT_POLICY
    )
    # the number of chats never matters; only how many wrong pairs the window holds
    assert bool(refused) == (len(in_window) >= ACCOUNT_POLICY.max_failures)
    if refused:
        assert refused[0].locked_until == in_window[-ACCOUNT_POLICY.max_failures] + DAY
        assert refused[0].locked_until > now


@given(
    chat_failures=st.integers(min_value=0, max_value=8),
    account_failures=st.integers(min_value=0, max_value=14),
)
def test_the_later_of_chat_and_account_lockouts_wins(chat_failures: int, account_failures: int) -> None:
    now = T0 + timedelta(hours=2)
    chat = LinkAttempts(failures=tuple(T0 + timedelta(minutes=i) for i in range(chat_failures)))
    account = LinkAttempts(failures=tuple(T0 + timedelta(minutes=30 + i) for i in range(account_failures)))
    until = lockout_until(chat, account, now=now, policy=POLICY, account_policy=ACCOUNT_POLICY)
    expected = [
        u
        for u in (
            chat.locked_until(now=now, policy=POLICY),
            account.locked_until(now=now, policy=ACCOUNT_POLICY),
        )
        if u is not None
    ]
    assert until == (max(expected) if expected else None)
    assert (until is not None) == (chat_failures >= 5 or account_failures >= 10)
