"""deploy/grafana: provisioning and the dashboard (valid JSON, contract metrics only, valid PromQL)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from deploy_testlib import (
    DEPLOY,
    FASTSTREAM_LABELS,
    LINK_OUTCOMES,
    METRICS,
    OUTCOMES,
    REJECT_REASONS,
    SERVICES,
    TARGET_LABELS,
    PromQL,
    allowed_metric_names,
    check_run,
    contract_metric,
    load_yaml,
    walk,
)

pytestmark = pytest.mark.deploy

GRAFANA = DEPLOY / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
# Grafana's variables, replaced by a valid value before promtool parses an expression.
VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "1m",
    "$__range": "1h",
    "${service}": ".*",
    "$service": ".*",
}


def load_dashboard(path: Path) -> dict[str, Any]:
    dashboard: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return dashboard


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for panel in dashboard["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))  # collapsed rows keep their panels inside
    return out


def queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, PromQL) for every panel target and every query variable."""
    out = [
        (f"panel {panel.get('title')!r} target {target.get('refId')}", target["expr"])
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
    ]
    for var in dashboard.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            m = re.fullmatch(r"label_values\((.*),\s*([a-zA-Z_]\w*)\)", query.strip())
            assert m, f"variable {var['name']}: unsupported query {query!r}"
            out.append((f"variable {var['name']}", m.group(1)))
    return out


def substitute(expr: str) -> str:
    for var, value in VARIABLES.items():
        expr = expr.replace(var, value)
    assert "$" not in expr, f"unknown Grafana variable in {expr!r}"
    return expr


def test_there_is_a_dashboard() -> None:
    assert [p.name for p in DASHBOARDS] == ["meterbot.json"]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_is_well_formed(path: Path) -> None:
    dashboard = load_dashboard(path)
    assert dashboard["uid"] and dashboard["title"]
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    for panel in panels(dashboard):
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel.get("targets"), f"panel {panel['title']!r} has no query"
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
    variables = {var["name"]: var for var in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_uses_only_contract_metrics(path: Path) -> None:
    allowed = allowed_metric_names()
    problems = []
    for where, expr in queries(load_dashboard(path)):
        query = PromQL(expr)
        names = query.metric_names()
        if not names:
            problems.append(f"{where}: no metric in {expr!r}")
        for name in names:
            if name not in allowed and not name.startswith("faststream_"):
                problems.append(f"{where}: {name} is not a meterbot contract metric, faststream_* or up")
        labels = set(TARGET_LABELS) | {"le"}
        for name in names:
            base = contract_metric(name)
            labels |= METRICS[base][1] if base else FASTSTREAM_LABELS
        if unknown := query.label_names() - labels:
            problems.append(f"{where}: unknown labels {sorted(unknown)} in {expr!r}")
        for label, op, value in query.matchers():
            if op in ("=", "!=") and label in ("outcome", "reason", "service"):
                known = OUTCOMES | LINK_OUTCOMES if label == "outcome" else set()
                known |= REJECT_REASONS if label == "reason" else set()
                known |= set(SERVICES) if label == "service" else set()
                if value not in known:
                    problems.append(f"{where}: {label}={value!r} is not a contract value")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_queries_are_valid_promql(path: Path, promtool: str, tmp_path: Path) -> None:
    # promtool has no "parse this expression" command: check them as recording rules instead.
    found = queries(load_dashboard(path))
    group = {
        "name": "dashboard",
        "rules": [
            {"record": f"dashboard:query_{i}", "expr": substitute(expr)}
            for i, (_where, expr) in enumerate(found)
        ],
    }
    rules = tmp_path / "dashboard_rules.json"  # JSON is YAML
    rules.write_text(json.dumps({"groups": [group]}), encoding="utf-8")
    out = check_run([promtool, "check", "rules", str(rules)])
    assert f"{len(found)} rules found" in out


def test_dashboard_covers_the_required_views() -> None:
    dashboard = load_dashboard(GRAFANA / "dashboards" / "meterbot.json")
    exprs = " ".join(expr for _where, expr in queries(dashboard))
    for needed in (
        "faststream_received_messages_total",  # RED: rate
        "faststream_received_processed_messages_total",  # RED: errors
        "faststream_received_processed_messages_duration_seconds_bucket",  # RED: duration
        "meterbot_commands_handled_total",
        "meterbot_handler_duration_seconds_bucket",
        "meterbot_readings_accepted_total",
        "meterbot_readings_rejected_total",
        "meterbot_outbox_unpublished_events",
        "meterbot_outbox_oldest_unpublished_age_seconds",
        "meterbot_consumer_lag_messages",
        "meterbot_projection_lag_events",
        "meterbot_dlq_messages_total",
        "meterbot_reply_latency_seconds_bucket",
    ):
        assert needed in exprs, f"the dashboard does not show {needed}"
    assert "histogram_quantile(0.5," in exprs and "histogram_quantile(0.99," in exprs
    assert "sum by (reason) (increase(meterbot_readings_rejected_total[1h]))" in exprs


# ---------------------------------------------------------------------------------- provisioning


def test_datasource_points_at_compose_prometheus(compose: dict[str, Any]) -> None:
    config = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")
    [datasource] = config["datasources"]
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    assert "prometheus" in compose["services"]


def test_dashboard_provider_reads_the_mounted_folder(compose: dict[str, Any]) -> None:
    config = load_yaml(GRAFANA / "provisioning" / "dashboards" / "meterbot.yml")
    [provider] = config["providers"]
    path = provider["options"]["path"]
    mounts = {}
    for volume in compose["services"]["grafana"]["volumes"]:
        source, target, *_ = volume.split(":")
        mounts[target] = source
    assert mounts.get(path) == "./deploy/grafana/dashboards"
    assert mounts.get("/etc/grafana/provisioning") == "./deploy/grafana/provisioning"
    for dashboard in DASHBOARDS:
        for node in walk(load_dashboard(dashboard)):
            if isinstance(node, dict) and node.get("type") == "prometheus" and "uid" in node:
                assert node["uid"] == "${datasource}"


def test_all_services_never_matches_prometheus_self_scrape(promtool: str, tmp_path: Path) -> None:
    # "All" is what a fresh dashboard shows: it must select the five services and nothing else (a `.*`
    # also matches Prometheus's own `up{job="prometheus"}`, which has no service label).
    dashboard = load_dashboard(GRAFANA / "dashboards" / "meterbot.json")
    [variable] = [var for var in dashboard["templating"]["list"] if var["name"] == "service"]
    all_value = variable["allValue"]
    assert all(re.fullmatch(all_value, service) for service in SERVICES)
    assert not re.fullmatch(all_value, ""), "All matches series without a service label"
    [expr] = [
        target["expr"]
        for panel in panels(dashboard)
        if panel.get("title") == "Services up"
        for target in panel["targets"]
    ]
    tests = {
        "tests": [
            {
                "interval": "15s",
                "input_series": [
                    {"series": 'up{job="prometheus", instance="localhost:9090"}', "values": "1x4"},
                    {
                        "series": 'up{job="meterbot", instance="identity:8080", service="identity"}',
                        "values": "1x4",
                    },
                ],
                "promql_expr_test": [
                    {
                        "expr": expr.replace("$service", all_value),
                        "eval_time": "1m",
                        "exp_samples": [{"labels": '{service="identity"}', "value": 1}],
                    }
                ],
            }
        ]
    }
    path = tmp_path / "all_test.json"
    path.write_text(json.dumps(tests), encoding="utf-8")
    assert "SUCCESS" in check_run([promtool, "test", "rules", str(path)])
