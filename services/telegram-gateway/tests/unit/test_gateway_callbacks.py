"""Callback payloads round-trip; references fit Telegram's 64 bytes whatever the registry ids are."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram_gateway.bot.callbacks import (
    AccountAction,
    AccountCb,
    ConfirmCb,
    Destructive,
    MeterCb,
    WithdrawCb,
    ref_for,
    ref_matches,
)

pytestmark = pytest.mark.unit

ids = st.text(min_size=1, max_size=64)


@pytest.mark.parametrize("action", list(AccountAction))
def test_account_callback_round_trip(action: AccountAction) -> None:
    data = AccountCb(action=action, ref="1234567890")
    assert AccountCb.unpack(data.pack()) == data


@given(ids)
def test_meter_refs_round_trip_and_fit(meter_id: str) -> None:
    for cls in (MeterCb, WithdrawCb):
        packed = cls(ref=ref_for(meter_id)).pack()
        assert len(packed.encode()) <= 64
        assert ref_matches(cls.unpack(packed).ref, meter_id)


@given(ids, st.sampled_from(list(Destructive)), st.booleans())
def test_confirm_buttons_round_trip_and_fit(value: str, action: Destructive, yes: bool) -> None:
    packed = ConfirmCb(action=action, ref=ref_for(value), yes=yes).pack()
    assert len(packed.encode()) <= 64
    unpacked = ConfirmCb.unpack(packed)
    assert (unpacked.action, unpacked.yes) == (action, yes) and ref_matches(unpacked.ref, value)


@given(ids, ids)
def test_a_ref_matches_only_its_own_id(a: str, b: str) -> None:
    assert ref_matches(ref_for(a), b) == (a == b)


def test_plain_ids_stay_readable() -> None:
    assert ref_for("M-1001") == "M-1001"
    assert ref_for("a:b").startswith("#")


def test_foreign_payloads_do_not_unpack() -> None:
    with pytest.raises((TypeError, ValueError)):
        AccountCb.unpack("acc:bogus")
    with pytest.raises((TypeError, ValueError)):
        AccountCb.unpack("acc:nope:123")
