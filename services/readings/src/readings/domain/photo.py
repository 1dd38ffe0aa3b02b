"""Photo evidence (issue 14 item 6): a photo is attached to the reading that counts for the meter in
the current period. Refused, in this order: not_linked, too_large (above the policy's limit),
nothing_to_attach_to (no such reading: unknown meter, another account's meter, or nothing handed in
this period), period_closed. Attaching changes no state: the event on the meter's stream is the record."""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime

from meterbot_contracts.readings import (
    Period,
    PhotoRefusalReason,
    ReadingPhotoAttached,
    ReadingPhotoRefused,
    ReadingPhotoSubmitted,
)

from readings.domain.meter import MeterState
from readings.domain.period import period_of
from readings.domain.policy import ReadingPolicy

DEFAULT_PHOTO_MAX_BYTES = 10 * 1024 * 1024  # Telegram's own limit for a photo


def decide_photo(
    state: MeterState,
    command: ReadingPhotoSubmitted,
    *,
    now: datetime,
    chat_linked: bool,
    policy: ReadingPolicy,
    closed_periods: Set[Period] = frozenset(),
    max_bytes: int = DEFAULT_PHOTO_MAX_BYTES,
) -> list[ReadingPhotoAttached | ReadingPhotoRefused]:
    period = period_of(now, policy.time_zone)
    current = state.reading_in(period)
    reason: PhotoRefusalReason | None = None
    if not chat_linked:
        reason = "not_linked"
    elif command.size > max_bytes:
        reason = "too_large"
    elif state.info is None or state.info.account_number != command.account_number or current is None:
        reason = "nothing_to_attach_to"
    elif period in closed_periods:
        reason = "period_closed"
    if reason is not None or current is None:
        return [
            ReadingPhotoRefused(
                chat_id=command.chat_id,
                account_number=command.account_number,
                meter_id=command.meter_id,
                reason=reason or "nothing_to_attach_to",
            )
        ]
    return [
        ReadingPhotoAttached(
            reading_id=current.reading_id,
            chat_id=command.chat_id,
            account_number=command.account_number,
            meter_id=command.meter_id,
            period=period,
            file_id=command.file_id,
            sha256=command.sha256,
            size=command.size,
        )
    ]
