"""The anomaly warning (issue 14 item 5): a soft check, never a refusal. A consumption above what is
expected for the meter is accepted only once the resident confirms it; the hard limit (max_delta)
stays as it is.

Expected is the lower of the limits that apply:
- K × the median monthly consumption over the meter's last 6 accepted periods (K a setting, 3 by
  default), once there are at least 3 such periods;
- the per-type norm (a setting, e.g. cold water 6.935 m³ per person a month) × the residents the
  registry gives for the apartment.
No limit applies (None): no warning."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from statistics import median

HISTORY_PERIODS = 6
MIN_PERIODS = 3


def anomaly_limit(
    history: Sequence[Decimal], *, k: Decimal, norm: Decimal | None = None, residents: int | None = None
) -> Decimal | None:
    """The consumption above which the resident is asked to confirm. `history`: the consumption of
    the meter's accepted periods before this one, oldest first."""
    limits: list[Decimal] = []
    recent = list(history[-HISTORY_PERIODS:])
    if len(recent) >= MIN_PERIODS:
        limits.append(k * median(recent))
    if norm is not None and residents is not None:
        limits.append(norm * residents)
    return min(limits) if limits else None


def is_anomalous(consumption: Decimal, limit: Decimal | None) -> bool:
    return limit is not None and consumption > limit
