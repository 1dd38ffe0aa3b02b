"""Strict validation of custom resources against the CRD schemas under deploy/k8s/crds (offline).

kubernetes-validate knows only built-in kinds. A CRD's openAPIV3Schema is a JSON Schema dialect; strict
here means what `kubectl apply --validate=strict` means: a field the schema does not declare is an error
(unless the object says x-kubernetes-preserve-unknown-fields)."""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

import jsonschema
from deploy_testlib import DEPLOY, load_yaml_all

CRDS = DEPLOY / "k8s" / "crds"
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
OBJECT_META = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "maxLength": 253, "pattern": DNS_SUBDOMAIN.pattern},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def crd_documents() -> list[dict[str, Any]]:
    return [doc for path in sorted(CRDS.glob("*.yaml")) for doc in load_yaml_all(path.read_text("utf-8"))]


def _strict(schema: Any) -> Any:
    """The CRD schema as plain JSON Schema, closed wherever Kubernetes would prune unknown fields."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items() if not k.startswith("x-kubernetes-")}
    if schema.get("x-kubernetes-int-or-string"):
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
        out.setdefault("additionalProperties", False)
    return out


@cache
def _validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    found = {}
    for crd in crd_documents():
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = _strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
            schema["properties"]["metadata"] = OBJECT_META
            schema["properties"]["apiVersion"] = {"const": f"{group}/{version['name']}"}
            schema["properties"]["kind"] = {"const": kind}
            schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
            cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
            cls.check_schema(schema)
            found[(f"{group}/{version['name']}", kind)] = cls(schema)
    return found


def has_crd(obj: dict[str, Any]) -> bool:
    return (obj["apiVersion"], obj["kind"]) in _validators()


def crd_problems(obj: dict[str, Any]) -> list[str]:
    validator = _validators()[(obj["apiVersion"], obj["kind"])]
    return [
        f"{obj['kind']}/{obj['metadata'].get('name')}: {'.'.join(map(str, e.path))}: {e.message}"
        for e in validator.iter_errors(obj)
    ]
