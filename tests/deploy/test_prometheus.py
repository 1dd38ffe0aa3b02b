"""deploy/prometheus: the scrape configuration, the alert rules and their promtool unit tests."""

from __future__ import annotations

import re
from typing import Any

import pytest
from deploy_testlib import (
    DEPLOY,
    METRICS,
    REPO,
    SERVICES,
    TARGET_LABELS,
    PromQL,
    allowed_metric_names,
    check_run,
    contract_metric,
    load_yaml,
)

pytestmark = pytest.mark.deploy

PROM = DEPLOY / "prometheus"
REQUIRED_ALERTS = (
    "ServiceDown",
    "OutboxLagGrowing",
    "EventHorizonHeld",
    "ConsumerLagHigh",
    "DeadLetterQueueNotEmpty",
    "ReadingRejectionRateSpike",
    "NoReadingsAcceptedInWindow",
    "ReplyLatencyP99High",
)
SEVERITIES = {"critical", "warning", "info"}


def rules() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(PROM / "alerts.yml")["groups"] for rule in group["rules"]]


def alerts() -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for rule in rules() if "alert" in rule}


# ------------------------------------------------------------------------------------- promtool


def test_promtool_check_config(promtool: str) -> None:
    out = check_run([promtool, "check", "config", "prometheus.yml"], cwd=PROM)
    assert "SUCCESS" in out


def test_promtool_check_rules(promtool: str) -> None:
    out = check_run([promtool, "check", "rules", "alerts.yml"], cwd=PROM)
    assert "SUCCESS" in out


def test_promtool_test_rules(promtool: str) -> None:
    out = check_run([promtool, "test", "rules", "alerts_test.yml"], cwd=PROM)
    assert "SUCCESS" in out


# ---------------------------------------------------------------------------------- alerts.yml


@pytest.mark.parametrize("name", REQUIRED_ALERTS)
def test_alert_has_severity_summary_description_and_runbook(name: str) -> None:
    rule = alerts().get(name)
    assert rule is not None, f"alert {name} is missing from alerts.yml"
    assert rule.get("labels", {}).get("severity") in SEVERITIES
    annotations = rule.get("annotations", {})
    assert annotations.get("summary"), f"{name}: no summary"
    assert "Runbook" in annotations.get("description", ""), f"{name}: description has no runbook hint"
    runbook = annotations.get("runbook", "")
    path, _, anchor = runbook.partition("#")
    assert path == "deploy/prometheus/RUNBOOK.md" and anchor == name.lower(), runbook
    headings = re.findall(r"^## (\S+)", (PROM / "RUNBOOK.md").read_text(encoding="utf-8"), re.MULTILINE)
    assert name in headings, f"RUNBOOK.md has no section '## {name}'"


def test_service_down_waits_two_minutes() -> None:
    rule = alerts()["ServiceDown"]
    assert rule["for"] == "2m"
    assert re.search(r"\bup\b.*==\s*0", rule["expr"])


def test_reply_latency_alert_is_p99_over_one_second_for_ten_minutes() -> None:
    rule = alerts()["ReplyLatencyP99High"]
    assert rule["for"] == "10m"
    assert "histogram_quantile(0.99" in rule["expr"].replace(" ", "")
    assert re.search(r"\)\s*>\s*1\s*$", rule["expr"].strip())


def test_no_readings_alert_uses_two_hours_of_moscow_daytime() -> None:
    rule = alerts()["NoReadingsAcceptedInWindow"]
    assert "[2h]" in rule["expr"]
    recording = {r["record"]: r["expr"] for r in rules() if "record" in r}
    daytime = recording["meterbot:readings_expected:moscow_daytime"]
    assert "time() + 3 * 3600" in daytime  # Europe/Moscow is UTC+3 all year


def test_rules_use_only_contract_metrics_and_labels() -> None:
    allowed = allowed_metric_names()
    recorded = {r["record"] for r in rules() if "record" in r}
    for rule in rules():
        expr = PromQL(rule["expr"])
        used = expr.metric_names()
        unknown = used - allowed - recorded
        assert not unknown, f"{rule.get('alert') or rule.get('record')}: unknown metrics {sorted(unknown)}"
        labels = set(TARGET_LABELS) | {"le"}
        for metric in used:
            base = contract_metric(metric)
            if base:
                labels |= METRICS[base][1]
        assert expr.label_names() <= labels, (rule.get("alert"), expr.label_names() - labels)


def test_service_label_values_are_service_names() -> None:
    for rule in rules():
        for name, op, value in PromQL(rule["expr"]).matchers():
            if name == "service":
                values = value.split("|") if op == "=~" else [value]
                assert set(values) <= set(SERVICES), (rule.get("alert"), value)


# ----------------------------------------------------------------------------- alerts_test.yml


@pytest.mark.parametrize("name", REQUIRED_ALERTS)
def test_each_alert_is_tested_firing_and_not_firing(name: str) -> None:
    tests = load_yaml(PROM / "alerts_test.yml")
    assert tests["rule_files"] == ["alerts.yml"]
    cases = [
        case
        for test in tests["tests"]
        for case in test.get("alert_rule_test", [])
        if case["alertname"] == name
    ]
    assert any(case.get("exp_alerts") for case in cases), f"no test where {name} fires"
    assert any(not case.get("exp_alerts") for case in cases), f"no test where {name} stays quiet"


# ------------------------------------------------------------------------------ prometheus.yml


def test_scrapes_the_five_services_by_compose_dns_name(compose: dict[str, Any]) -> None:
    config = load_yaml(PROM / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    job = jobs["meterbot"]
    assert job.get("honor_labels") is True  # the services' own `service` label wins
    targets = {
        target: static["labels"]["service"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    assert targets == {f"{service}:8080": service for service in SERVICES}
    assert set(SERVICES) <= set(compose["services"])
    assert config["rule_files"] == ["alerts.yml"]


def emitted_dlq_reasons() -> set[str]:
    """The `x-dlq-reason` values the code can emit: the literal reasons given to Unreadable /
    DeadLetter / park() anywhere in libs/ and services/."""
    pattern = re.compile(r"""(?:Unreadable|DeadLetter|park)\((?:record,\s*)?["']([a-z_]+)["']""")
    reasons: set[str] = set()
    for root in (REPO / "libs", REPO / "services"):
        for path in root.glob("*/src/**/*.py"):
            reasons |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return reasons


def test_runbook_names_exactly_the_dlq_reasons_the_code_emits() -> None:
    reasons = emitted_dlq_reasons()
    assert {"invalid_envelope", "handler_error"} <= reasons, reasons  # the search still finds them
    runbook = (PROM / "RUNBOOK.md").read_text(encoding="utf-8")
    section = runbook.split("## DeadLetterQueueNotEmpty", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\s*- `([a-z_]+)`:", section, re.MULTILINE))  # one bullet per reason
    assert named == reasons, f"runbook names {sorted(named)}, the code emits {sorted(reasons)}"
