"""billing-export's own Prometheus metrics (no personal data in labels)."""

from __future__ import annotations

from prometheus_client import Counter

LATE_READINGS = Counter(
    "meterbot_billing_late_readings_total",
    "Reading events for a period that was already closed: not billed, refused (LateReadingRefused)",
    ["service", "type"],
)
BILLING_READINGS = Counter(
    "meterbot_billing_readings_recorded_total",
    "BillingReading events recorded for the public topic, by status",
    ["service", "status"],
)
PERIODS_CLOSED = Counter("meterbot_billing_periods_closed_total", "Periods closed (exported)", ["service"])
EXPORTED_ROWS = Counter(
    "meterbot_billing_export_rows_total", "Rows streamed in period exports, by format", ["service", "format"]
)
