# The shared fixtures (real PostgreSQL and broker) for every test tree in the workspace.
from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["meterbot_testing.fixtures"]

_UNIT_MARK = "pytestmark = pytest.mark.unit"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """`-m unit` (make test-unit) does not even import a test module of another tier: every module
    says its tier in one line (pytestmark), and importing the integration and e2e ones (browsers,
    brokers, the whole gateway) cost most of the unit run's time."""
    if config.getoption("markexpr") != "unit":
        return None
    name = collection_path.name
    if collection_path.suffix != ".py" or not name.startswith("test_"):
        return None
    return _UNIT_MARK not in collection_path.read_text(encoding="utf-8")
