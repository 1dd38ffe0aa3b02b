"""identity domain: the resident aggregate and the PII value it hands to the application (no I/O)."""

from identity.domain.resident import (
    ResidentCommand,
    ResidentDecision,
    ResidentEvent,
    ResidentPII,
    ResidentState,
    ResidentStatus,
    decide,
    evolve,
    fold,
    is_own_contact,
    normalize_phone,
)

__all__ = [
    "ResidentCommand",
    "ResidentDecision",
    "ResidentEvent",
    "ResidentPII",
    "ResidentState",
    "ResidentStatus",
    "decide",
    "evolve",
    "fold",
    "is_own_contact",
    "normalize_phone",
]
