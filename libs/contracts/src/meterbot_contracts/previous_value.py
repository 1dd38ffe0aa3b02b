"""The value a meter's next reading is checked against, and shown to the resident in the prompt.

One rule for readings (which checks) and the gateway (which shows): both call `previous_value`
with what they know of the meter, so the prompt can never show another number than the one the
check uses.

- the last accepted reading of an EARLIER period than the one being submitted, so a second reading
  in the same open period replaces the first and is checked against the same previous value;
- unless the registry's last_value is at least as recent (its last_value_date falls in the same or a
  later period than that reading, or there is no such reading): billing is the source of truth for
  what it has already booked. A registry value without a date loses to any reading of ours."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from meterbot_contracts.period import Period, period_of_date


def last_earlier_reading(
    readings: Iterable[tuple[Period, Decimal]], period: Period
) -> tuple[Period, Decimal] | None:
    """The (period, value) of the latest accepted reading of a period before `period`."""
    earlier = [r for r in readings if r[0] < period]
    return max(earlier, key=lambda r: r[0]) if earlier else None


def previous_value(
    last_earlier: tuple[Period, Decimal] | None,
    registry_value: Decimal | None,
    registry_date: date | None,
    initial_value: Decimal | None = None,
) -> Decimal | None:
    """The previous value from the last earlier accepted reading (see `last_earlier_reading`) and
    the registry's last value and its date (see the module docstring). A new meter that replaced
    another (issue 14) starts from the registry's `initial_value` while there is no last value."""
    if registry_value is None:
        registry_value = initial_value
    if last_earlier is None:
        return registry_value
    ours_period, ours_value = last_earlier
    registry_is_newer = registry_date is not None and period_of_date(registry_date) >= ours_period
    if registry_value is not None and registry_is_newer:
        return registry_value
    return ours_value
