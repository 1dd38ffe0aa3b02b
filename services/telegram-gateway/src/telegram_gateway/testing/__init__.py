"""Test helpers for the gateway, reusable by whole-stack e2e tests: a harness that runs the real
gateway wiring in-process, a double of the domain services over Kafka, and a resident driver for
the local Bot API server (meterbot_botapi, a test-only dependency)."""

from telegram_gateway.testing.harness import GatewayHarness, fresh_database
from telegram_gateway.testing.resident import ResidentDriver, ResidentFactory
from telegram_gateway.testing.services import Command, ServiceDouble

__all__ = [
    "Command",
    "GatewayHarness",
    "ResidentDriver",
    "ResidentFactory",
    "ServiceDouble",
    "fresh_database",
]
