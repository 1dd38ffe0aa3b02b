"""Issue 14 item 6, the readings side: a photo is attached to the reading that counts this period,
or refused with its reason (nothing to attach to, too large, not linked, period closed)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from meterbot_contracts.readings import (
    MeterRegistered,
    MeterType,
    ReadingAccepted,
    ReadingPhotoAttached,
    ReadingPhotoRefused,
    ReadingPhotoSubmitted,
)
from readings.domain import MeterEvent, ReadingPolicy, fold
from readings.domain.photo import decide_photo

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)  # period 2026-12
REGISTERED = MeterRegistered(
    meter_id="M1",
    account_number="A1",
    meter_type=MeterType.GAS,
    serial_number="SN",
    verified_until=None,
    last_value=Decimal(10),
    last_value_date=date(2026, 11, 30),
)
READING = ReadingAccepted(
    reading_id=uuid4(),
    chat_id=7,
    account_number="A1",
    meter_id="M1",
    meter_type=MeterType.GAS,
    value=Decimal(12),
    previous_value=Decimal(10),
    period="2026-12",
    submitted_at=NOW,
)
PHOTO = ReadingPhotoSubmitted(
    chat_id=7,
    account_number="A1",
    meter_id="M1",
    file_id="AgACAgIAAxkBAAI",
    sha256=hashlib.sha256(b"jpeg bytes").hexdigest(),
    size=10,
)


def decide(
    *events: MeterEvent,
    photo: ReadingPhotoSubmitted = PHOTO,
    linked: bool = True,
    closed: frozenset[str] = frozenset(),
) -> ReadingPhotoAttached | ReadingPhotoRefused:
    [answer] = decide_photo(
        fold([REGISTERED, *events]),
        photo,
        now=NOW,
        chat_linked=linked,
        policy=ReadingPolicy(),
        closed_periods=closed,
    )
    return answer


def test_attached_to_the_reading_that_counts() -> None:
    attached = decide(READING)
    assert isinstance(attached, ReadingPhotoAttached)
    assert (attached.reading_id, attached.sha256, attached.file_id) == (
        READING.reading_id,
        PHOTO.sha256,
        PHOTO.file_id,
    )


@pytest.mark.parametrize(
    ("events", "linked", "closed", "reason"),
    [
        ((), True, frozenset(), "nothing_to_attach_to"),
        ((READING,), False, frozenset(), "not_linked"),
        ((READING,), True, frozenset({"2026-12"}), "period_closed"),
    ],
)
def test_refused_with_its_reason(
    events: tuple[MeterEvent, ...], linked: bool, closed: frozenset[str], reason: str
) -> None:
    refused = decide(*events, linked=linked, closed=closed)
    assert isinstance(refused, ReadingPhotoRefused)
    assert refused.reason == reason


def test_too_large_is_refused() -> None:
    refused = decide(READING, photo=PHOTO.model_copy(update={"size": 20 * 1024 * 1024}))
    assert isinstance(refused, ReadingPhotoRefused)
    assert refused.reason == "too_large"
