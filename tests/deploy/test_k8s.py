"""deploy/k8s: the kustomize base and every overlay render, validate strictly against the Kubernetes
OpenAPI schemas (offline, from the kubernetes-validate package) and, for custom resources, against the
CRD schemas under deploy/k8s/crds, and follow the deployment rules."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from crd_schemas import crd_documents, crd_problems, has_crd
from deploy_testlib import (
    COMMAND_EVENT_PARTITIONS,
    DEPLOY,
    REPO,
    REQUIRED_SECRETS,
    SCALED_SERVICES,
    SERVICES,
    SETTINGS,
    check_run,
    load_yaml,
    load_yaml_all,
)

pytestmark = pytest.mark.deploy

K8S = DEPLOY / "k8s"
BASE = K8S / "base"
OVERLAY = K8S / "overlays" / "external"
STRIMZI = K8S / "overlays" / "strimzi"
OVERLAYS = sorted(
    p.parent.relative_to(K8S).as_posix() for p in (K8S / "overlays").glob("*/kustomization.yaml")
)
# Cluster versions the manifests must be valid for: an older supported one and the newest the package knows.
KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")
SECRET = "meterbot-secrets"
ROTATION_SECRETS = ("METERBOT_SURNAME_KEY_ID", "METERBOT_SURNAME_PREVIOUS_KEYS")
CONFIG = "meterbot-config"


@cache
def _render(path: Path, kubectl: str) -> tuple[dict[str, Any], ...]:
    return tuple(load_yaml_all(check_run([kubectl, "kustomize", str(path.relative_to(REPO))])))


@pytest.fixture(scope="module", params=["base", *OVERLAYS])
def rendered(request: pytest.FixtureRequest, kubectl: str) -> tuple[dict[str, Any], ...]:
    return _render(K8S / request.param, kubectl)


@pytest.fixture(scope="module")
def base(kubectl: str) -> tuple[dict[str, Any], ...]:
    return _render(BASE, kubectl)


@pytest.fixture(scope="module")
def overlay(kubectl: str) -> tuple[dict[str, Any], ...]:
    return _render(OVERLAY, kubectl)


@pytest.fixture(scope="module")
def strimzi(kubectl: str) -> tuple[dict[str, Any], ...]:
    return _render(STRIMZI, kubectl)


def by_kind(objects: tuple[dict[str, Any], ...], kind: str) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def config_map(objects: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    [cm] = [
        obj for obj in objects if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].startswith(CONFIG)
    ]
    return cm


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    [c] = deployment["spec"]["template"]["spec"]["containers"]
    return dict(c)


# ----------------------------------------------------------------------------- schema validation


def kubernetes_validate() -> Any:
    try:
        import kubernetes_validate as kv
    except ImportError:  # pragma: no cover - depends on the environment
        pytest.fail(
            "kubernetes-validate is not installed: add `kubernetes-validate` to the dev dependency group "
            "(it ships the Kubernetes JSON schemas, so validation needs no network)",
            pytrace=False,
        )
    return kv


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_rendered_objects_match_kubernetes_schemas(
    rendered: tuple[dict[str, Any], ...], version: str
) -> None:
    kv = kubernetes_validate()
    assert (
        len(rendered) >= 1 + 1 + 5 * 2 + 4 * 2
    )  # namespace, configmap, 5 x (deploy, svc), 4 x (scaler, pdb)
    problems = []
    for obj in rendered:
        if has_crd(obj):  # a custom resource: its CRD's schema (deploy/k8s/crds), strictly
            problems += crd_problems(obj)
            continue
        try:
            kv.validate(obj, version, strict=True)  # strict: unknown fields are errors too
        except kv.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            problems.append(f"{obj['kind']}/{obj['metadata']['name']}: {path}: {e.message}")
        except kv.SchemaNotFoundError as e:
            problems.append(f"{obj['kind']}/{obj['metadata']['name']}: {e.message}")
    assert not problems, "\n".join(problems)


def test_secret_example_matches_schema_and_is_not_rendered(base: tuple[dict[str, Any], ...]) -> None:
    kv = kubernetes_validate()
    example = load_yaml(BASE / "secret.example.yaml")
    kv.validate(example, KUBERNETES_VERSIONS[-1], strict=True)
    assert example["metadata"]["name"] == SECRET
    assert set(example["stringData"]) == {
        "METERBOT_POSTGRES_DSN",
        "METERBOT_TELEGRAM_TOKEN",
        *REQUIRED_SECRETS,
    }
    assert "secret.example.yaml" not in load_yaml(BASE / "kustomization.yaml")["resources"]
    assert not [obj for obj in base if obj["kind"] == "Secret"], "no Secret may be committed in the base"


def test_every_overlay_is_tested() -> None:
    assert {"external", "strimzi"} <= {o.removeprefix("overlays/") for o in OVERLAYS}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_vendored_crds_are_valid_crds(version: str) -> None:
    kv = kubernetes_validate()
    crds = crd_documents()
    kinds = {(c["spec"]["group"], c["spec"]["names"]["kind"]) for c in crds}
    assert {
        ("kafka.strimzi.io", "Kafka"), ("kafka.strimzi.io", "KafkaTopic"), ("postgresql.cnpg.io", "Cluster"),
        ("monitoring.coreos.com", "ServiceMonitor"), ("monitoring.coreos.com", "PrometheusRule"),
        ("keda.sh", "ScaledObject"),
    } <= kinds  # fmt: skip
    for crd in crds:
        kv.validate(crd, version, strict=True)


def test_crd_validation_catches_a_mistake(strimzi: tuple[dict[str, Any], ...]) -> None:
    [topic, *_] = [obj for obj in strimzi if obj["kind"] == "KafkaTopic"]
    assert crd_problems(topic) == []
    assert crd_problems({**topic, "spec": {**topic["spec"], "partition": 6}})  # misspelt field
    assert crd_problems({**topic, "spec": {**topic["spec"], "partitions": "6"}})  # wrong type
    [scaler, *_] = [obj for obj in strimzi if obj["kind"] == "ScaledObject"]
    trigger = {
        **scaler["spec"]["triggers"][0],
        "metadata": {"lagThreshold": 100},
    }  # metadata values are strings
    assert crd_problems({**scaler, "spec": {**scaler["spec"], "triggers": [trigger]}})


def test_validation_catches_a_mistake() -> None:
    # guard: a misspelt field must fail strict validation (the schemas really are applied)
    kv = kubernetes_validate()
    bad = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"ports": [{"name": "http", "port": 8080, "targetPortt": "http"}]},
    }
    with pytest.raises(kv.ValidationError):
        kv.validate(bad, KUBERNETES_VERSIONS[-1], strict=True)


# ------------------------------------------------------------------------------- deployment rules


def test_everything_is_in_the_meterbot_namespace(rendered: tuple[dict[str, Any], ...]) -> None:
    namespaces = by_kind(rendered, "Namespace")
    assert list(namespaces) == ["meterbot"]
    for obj in rendered:
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == "meterbot", obj["metadata"]["name"]


def test_configmap_holds_non_secret_settings(rendered: tuple[dict[str, Any], ...]) -> None:
    data = config_map(rendered)["data"]
    for setting in SETTINGS:
        if setting != "METERBOT_POSTGRES_DSN":
            assert setting in data, setting
    assert data["METERBOT_KAFKA_IDEMPOTENT"] == "true"
    assert data["METERBOT_HTTP_PORT"] == "8080"
    assert "METERBOT_POSTGRES_DSN" not in data and "METERBOT_TELEGRAM_TOKEN" not in data


@pytest.mark.parametrize("service", SERVICES)
def test_deployment(rendered: tuple[dict[str, Any], ...], service: str) -> None:
    deployment = by_kind(rendered, "Deployment")[service]
    pod = deployment["spec"]["template"]
    c = container(deployment)
    assert c["image"].startswith(f"ghcr.io/meterbot/{service}:")
    assert c["envFrom"] == [{"configMapRef": {"name": config_map(rendered)["metadata"]["name"]}}]
    secrets = {
        env["name"]: env["valueFrom"]["secretKeyRef"]
        for env in c.get("env", [])
        if "secretKeyRef" in env.get("valueFrom", {})
    }
    expected = {"METERBOT_POSTGRES_DSN", "METERBOT_KAFKA_SASL_PASSWORD"} | (
        {"METERBOT_TELEGRAM_TOKEN"} if service == "telegram-gateway" else set()
    )
    expected |= {name for name, owner in REQUIRED_SECRETS.items() if owner == service}
    expected |= set(ROTATION_SECRETS) if service == "accounts" else set()
    assert set(secrets) == expected
    assert c["env"][0]["name"] == "METERBOT_POSTGRES_DSN"  # overlays/strimzi patches env[0]
    in_cluster_postgres = any(obj["kind"] == "Cluster" for obj in rendered)
    for name, ref in secrets.items():
        if name == "METERBOT_KAFKA_SASL_PASSWORD":  # the Kafka user's Secret; absent for plaintext
            assert ref == {"name": "meterbot-kafka-user", "key": "password", "optional": True}
        elif name in ROTATION_SECRETS:  # set only while a surname key is rotated
            assert ref == {"name": SECRET, "key": name, "optional": True}
        elif name == "METERBOT_POSTGRES_DSN" and in_cluster_postgres:  # CloudNativePG's app Secret
            assert ref == {"name": "meterbot-pg-app", "key": "uri"}
        else:
            assert ref == {"name": SECRET, "key": name}
    assert not [env for env in c.get("env", []) if "value" in env and "TOKEN" in env["name"]]
    # probes and port
    assert c["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    # resources
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(c["resources"][kind]), kind
    # non-root, read-only root filesystem
    pod_security = pod["spec"]["securityContext"]
    assert pod_security["runAsNonRoot"] is True and pod_security["runAsUser"] != 0
    security = c["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]
    # scraping
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "8080"
    assert annotations["prometheus.io/path"] == "/metrics"
    labels = pod["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == service
    assert labels["app.kubernetes.io/part-of"] == "meterbot"


@pytest.mark.parametrize("service", SERVICES)
def test_service(rendered: tuple[dict[str, Any], ...], service: str) -> None:
    svc = by_kind(rendered, "Service")[service]
    assert svc["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]
    assert svc["spec"]["selector"] == {"app.kubernetes.io/name": service}


@pytest.mark.parametrize("service", SCALED_SERVICES)
def test_scaled_services_scale_on_consumer_lag_up_to_partition_count(
    rendered: tuple[dict[str, Any], ...], service: str
) -> None:
    from meterbot_platform.topic_plan import topic_plan

    assert not by_kind(rendered, "HorizontalPodAutoscaler"), "KEDA makes the HPA; no CPU-based one"
    scaler = by_kind(rendered, "ScaledObject")[service]
    spec = scaler["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": service}
    partitions = int(config_map(rendered)["data"]["METERBOT_KAFKA_PARTITIONS"])
    assert spec["maxReplicaCount"] == partitions == COMMAND_EVENT_PARTITIONS
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
    plan = {t.name: t for t in topic_plan(partitions)}
    assert spec["triggers"]
    for trigger in spec["triggers"]:
        meta = trigger["metadata"]
        assert trigger["type"] == "kafka"
        assert plan[meta["topic"]].partitions == partitions  # never beyond the partition count ...
        assert meta["allowIdleConsumers"] == "false"  # ... KEDA itself stops there too
        assert meta["consumerGroup"].split(".")[0] == service
        assert meta["bootstrapServersFromEnv"] == "METERBOT_KAFKA_BOOTSTRAP"
        assert int(meta["lagThreshold"]) > 0
        assert trigger["authenticationRef"] == {"name": "meterbot-kafka"}
    assert "meterbot-kafka" in by_kind(rendered, "TriggerAuthentication")
    assert "replicas" not in by_kind(rendered, "Deployment")[service]["spec"], "the scaler owns the count"
    pdb = by_kind(rendered, "PodDisruptionBudget")[service]
    assert pdb["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": service}}
    text = (BASE / f"{service}.yaml").read_text(encoding="utf-8")
    assert "partition" in text, "say why maxReplicaCount is 6"


def test_gateway_runs_exactly_one_poller(rendered: tuple[dict[str, Any], ...]) -> None:
    gateway = by_kind(rendered, "Deployment")["telegram-gateway"]
    assert gateway["spec"]["replicas"] == 1
    assert gateway["spec"]["strategy"]["type"] == "Recreate"  # never two pollers during a rollout
    assert "telegram-gateway" not in by_kind(rendered, "ScaledObject")
    assert "webhook" in (BASE / "telegram-gateway.yaml").read_text(encoding="utf-8")


def test_base_uses_latest_placeholder_images(base: tuple[dict[str, Any], ...]) -> None:
    for service in SERVICES:
        assert (
            container(by_kind(base, "Deployment")[service])["image"] == f"ghcr.io/meterbot/{service}:latest"
        )


def test_overlay_points_at_external_kafka_and_pins_images(
    base: tuple[dict[str, Any], ...], overlay: tuple[dict[str, Any], ...]
) -> None:
    base_data, overlay_data = config_map(base)["data"], config_map(overlay)["data"]
    assert overlay_data["METERBOT_KAFKA_BOOTSTRAP"] != base_data["METERBOT_KAFKA_BOOTSTRAP"]
    assert {k: v for k, v in overlay_data.items() if k != "METERBOT_KAFKA_BOOTSTRAP"} == {
        k: v for k, v in base_data.items() if k != "METERBOT_KAFKA_BOOTSTRAP"
    }
    # the generated name changes with the content, so the Deployments roll
    assert config_map(overlay)["metadata"]["name"] != config_map(base)["metadata"]["name"]
    for service in SERVICES:
        image = container(by_kind(overlay, "Deployment")[service])["image"]
        assert image.startswith(f"ghcr.io/meterbot/{service}:")
        assert not image.endswith(":latest"), image
