"""What every meterbot service stands on: settings, event store, outbox, inbox, projections,
dead-letter handling, broker wiring, health/metrics HTTP and the service runtime."""
