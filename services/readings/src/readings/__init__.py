"""readings: meters from the billing registry and the readings residents hand in."""

SERVICE = "readings"
