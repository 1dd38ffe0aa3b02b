"""deploy/k8s, what operators rely on: the topic plan applied (Job or Strimzi KafkaTopics), the scrape
relabelling that gives alerts and dashboard their labels, the alert rules shipped as a PrometheusRule,
NetworkPolicies, and the in-cluster Kafka/PostgreSQL of overlays/strimzi wired into the services."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
from deploy_testlib import DEPLOY, SERVICES, PromQL, load_yaml
from test_k8s import BASE, K8S, STRIMZI, _render, by_kind, config_map, container

SCRAPED_LABELS = {"job", "service"}  # what alerts.yml and the dashboard match `up` on


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("k8s_generate", K8S / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["base/prometheusrule.yaml", "overlays/strimzi/kafkatopics.yaml"])
def test_generated_manifests_are_up_to_date(name: str) -> None:
    assert (K8S / name).read_text(encoding="utf-8") == _generator().FILES[name](), (
        f"deploy/k8s/{name} is stale: run .venv/bin/python deploy/k8s/generate.py"
    )


def test_prometheus_rule_ships_the_alerts_compose_loads(kubectl: str) -> None:
    [rule] = by_kind(_render(BASE, kubectl), "PrometheusRule").values()
    assert rule["spec"]["groups"] == load_yaml(DEPLOY / "prometheus" / "alerts.yml")["groups"]


def relabel(labels: dict[str, str], rules: list[dict[str, Any]]) -> dict[str, str]:
    """Prometheus's `replace` relabelling (the only action used), as the operator configures it."""
    out = dict(labels)
    for rule in rules:
        assert rule.get("action", "replace") == "replace", rule
        value = rule.get("separator", ";").join(out.get(name, "") for name in rule.get("sourceLabels", []))
        match = re.fullmatch(rule.get("regex", "(.*)"), value)
        if match:
            out[rule["targetLabel"]] = match.expand(rule.get("replacement", "$1").replace("$", "\\"))
    return out


def test_scrape_relabelling_gives_alerts_their_labels(kubectl: str) -> None:
    objects = _render(BASE, kubectl)
    [monitor] = by_kind(objects, "ServiceMonitor").values()
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "http" and endpoint["path"] == "/metrics"
    assert endpoint["honorLabels"] is True  # the services' own `service` label on meterbot_* wins
    selected = {
        name: svc
        for name, svc in by_kind(objects, "Service").items()
        if monitor["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    }
    assert set(selected) == set(SERVICES)
    used = {
        (label, value)
        for rule in load_yaml(DEPLOY / "prometheus" / "alerts.yml")["groups"][1]["rules"]
        for label, _op, value in PromQL(rule["expr"]).matchers()
        if label in SCRAPED_LABELS
    }
    targets = []
    for name, svc in selected.items():
        meta = {
            f"__meta_kubernetes_service_label_{re.sub(r'[^a-zA-Z0-9_]', '_', k)}": v
            for k, v in svc["metadata"]["labels"].items()
        }
        # what the operator sets by default: job = the Service's name (not "meterbot")
        target = relabel({"job": name, **meta}, endpoint["relabelings"])
        assert target["job"] == "meterbot" and target["service"] == name
        targets.append(target)
    for label, value in used:  # every `up{...}` matcher of the alerts finds its target
        assert any(re.fullmatch(value, target[label]) for target in targets), (label, value)


def test_network_policies_cover_every_service_pod(kubectl: str) -> None:
    objects = _render(BASE, kubectl)
    policies = by_kind(objects, "NetworkPolicy")
    for name, deployment in by_kind(objects, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        applying = [
            p for p in policies.values() if p["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
        ]
        assert any({"Ingress", "Egress"} <= set(p["spec"]["policyTypes"]) for p in applying), name
        ingress = [rule for p in applying for rule in p["spec"].get("ingress", [])]
        assert ingress and all(peer.get("namespaceSelector") for rule in ingress for peer in rule["from"]), (
            f"{name}: only Prometheus's namespace may call in"
        )
        ports = {
            port["port"] for p in applying for rule in p["spec"].get("egress", []) for port in rule["ports"]
        }
        assert {53, 9092, 5432} <= ports, name
        assert (443 in ports) == (name == "telegram-gateway"), name


def test_base_applies_the_topic_plan_with_a_job_and_services_never_create_topics(kubectl: str) -> None:
    objects = _render(BASE, kubectl)
    data = config_map(objects)["data"]
    assert data["METERBOT_KAFKA_CREATE_TOPICS"] == "false"
    assert int(data["METERBOT_KAFKA_REPLICATION_FACTOR"]) >= 3
    job = by_kind(objects, "Job")["meterbot-topics"]
    [c] = job["spec"]["template"]["spec"]["containers"]
    assert c["command"] == ["python", "-m", "meterbot_platform.topic_plan", "apply"]
    assert c["envFrom"] == [{"configMapRef": {"name": config_map(objects)["metadata"]["name"]}}]
    assert c["securityContext"]["readOnlyRootFilesystem"] is True


def test_strimzi_overlay_runs_kafka_and_postgres_in_the_cluster(kubectl: str) -> None:
    from meterbot_platform.topic_plan import topic_plan

    objects = _render(STRIMZI, kubectl)
    assert "meterbot-topics" not in by_kind(objects, "Job"), "the topic operator owns the topics"
    topics = {t["spec"]["topicName"]: t["spec"] for t in by_kind(objects, "KafkaTopic").values()}
    assert set(topics) == {t.name for t in topic_plan()}
    [kafka] = by_kind(objects, "Kafka").values()
    [listener] = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] is True and listener["authentication"] == {"type": "scram-sha-512"}
    assert kafka["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
    pools = by_kind(objects, "KafkaNodePool")
    assert sum(p["spec"]["replicas"] for p in pools.values()) >= 3
    for spec in topics.values():
        assert spec["replicas"] <= sum(p["spec"]["replicas"] for p in pools.values())
    user = by_kind(objects, "KafkaUser")["meterbot-kafka-user"]
    assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
    data = config_map(objects)["data"]
    assert (
        data["METERBOT_KAFKA_BOOTSTRAP"] == f"{kafka['metadata']['name']}-kafka-bootstrap:{listener['port']}"
    )
    assert data["METERBOT_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert data["METERBOT_KAFKA_SASL_USERNAME"] == user["metadata"]["name"]
    [cluster] = by_kind(objects, "Cluster").values()
    assert cluster["spec"]["instances"] >= 2
    assert "ALTER ROLE meterbot CREATEDB" in cluster["spec"]["bootstrap"]["initdb"]["postInitSQL"]
    for name, deployment in by_kind(objects, "Deployment").items():
        c = container(deployment)
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        assert mounts[str(Path(data["METERBOT_KAFKA_SSL_CAFILE"]).parent)] == "kafka-ca", name
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        assert volumes["kafka-ca"]["secret"]["secretName"] == "meterbot-cluster-ca-cert"
    auth = by_kind(objects, "TriggerAuthentication")["meterbot-kafka"]["spec"]["secretTargetRef"]
    assert {ref["parameter"] for ref in auth} == {"sasl", "tls", "username", "password", "ca"}


def _mebibytes(quantity: str) -> float:
    units = {"Mi": 1.0, "Gi": 1024.0}
    return float(quantity[:-2]) * units[quantity[-2:]]


def test_requests_cover_the_measured_figures(kubectl: str) -> None:
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in (K8S / "RESOURCES.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| ") and line.split("|")[1].strip() in SERVICES
    ]
    assert {row[0] for row in rows} == set(SERVICES)
    deployments = by_kind(_render(BASE, kubectl), "Deployment")
    for name, _cpu, idle_rss, _load_cpu, peak_rss, *_ in rows:
        resources = container(deployments[name])["resources"]
        idle, peak = (float(v.split()[0]) for v in (idle_rss, peak_rss))
        assert _mebibytes(resources["requests"]["memory"]) >= idle, f"{name}: request below idle memory"
        assert _mebibytes(resources["limits"]["memory"]) >= 1.5 * peak, f"{name}: limit too close to peak"
