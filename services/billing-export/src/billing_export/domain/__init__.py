"""billing-export domain: the per-period export view, closing a period, mapping to BillingReading."""

from billing_export.domain.period_export import (
    ExportEvent,
    PeriodExport,
    ReadingEvent,
    accepted_to_billing,
    decide_close,
    decide_late,
    evolve,
    fold,
    is_late,
    to_billing,
    withdrawn_to_billing,
)

__all__ = [
    "ExportEvent",
    "PeriodExport",
    "ReadingEvent",
    "accepted_to_billing",
    "decide_close",
    "decide_late",
    "evolve",
    "fold",
    "is_late",
    "to_billing",
    "withdrawn_to_billing",
]
