"""billing-export: accepted readings for billing, on the public topic and as period exports."""

SERVICE = "billing-export"
