"""Import every contract module so the default registry knows all message types."""

from meterbot_contracts import accounts, billing, gateway, identity, readings  # noqa: F401
from meterbot_contracts.registry import default_registry

__all__ = ["default_registry"]
