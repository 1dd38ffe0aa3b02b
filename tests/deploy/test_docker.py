"""deploy/docker/Dockerfile and .dockerignore, read statically (no Docker daemon needed)."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib

import pytest
from deploy_testlib import DEPLOY, PACKAGES, REPO, SERVICES

pytestmark = pytest.mark.deploy

DOCKERFILE = DEPLOY / "docker" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def stages() -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for ins in instructions():
        if ins[0] == "FROM":
            out.append([])
        if out:
            out[-1].append(ins)
    return out


def test_multi_stage_on_python_311_slim() -> None:
    args = dict(a.split("=", 1) for i, a in instructions() if i == "ARG" and "=" in a)
    # an exact version (3.11.<patch>, Debian release named) or a digest, never a moving tag
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", args["PYTHON_IMAGE"]), args
    froms = [rest for i, rest in instructions() if i == "FROM"]
    assert len(froms) == 2
    assert all(f.startswith("${PYTHON_IMAGE}") for f in froms)


def test_build_stage_installs_uv_from_pypi_and_syncs_frozen() -> None:
    build = stages()[0]
    runs = " ".join(rest for i, rest in build if i == "RUN")
    assert ("ARG", "SERVICE") in build
    assert re.search(r"pip install [^;&]*\buv==", runs), "uv comes from PyPI with pip, pinned"
    syncs = re.findall(r"uv sync ([^;&]*)", runs)
    assert syncs, "no uv sync"
    for sync in syncs:
        assert "--frozen" in sync and "--no-dev" in sync and '--package "${SERVICE}"' in sync, sync
    copies = [rest for i, rest in build if i == "COPY"]
    assert "pyproject.toml uv.lock ./" in copies  # dependencies layer from the lock only


def test_runtime_stage_is_non_root_with_healthcheck_and_python_m() -> None:
    runtime = stages()[-1]
    [user] = [rest for i, rest in runtime if i == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "numeric non-root user (Kubernetes runAsNonRoot checks it)"
    [health] = [rest for i, rest in runtime if i == "HEALTHCHECK"]
    cmd = json.loads(health[health.index("CMD") + 3 :].strip())
    assert cmd[:2] == ["python", "-c"] and "/healthz" in cmd[2] and "urllib.request" in cmd[2]
    [cmd_line] = [rest for i, rest in runtime if i == "CMD"]
    cmd = json.loads(cmd_line)
    assert cmd[:2] == ["/bin/sh", "-c"]
    assert cmd[2].startswith("exec python -m ")
    assert ("EXPOSE", "8080") in runtime


@pytest.mark.parametrize("service", SERVICES)
def test_service_argument_names_a_workspace_package(service: str) -> None:
    # SERVICE is both the uv package (--package) and, with - -> _, the module run by `python -m`.
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(rf"\b{re.escape(service)}\b", text.split("RUN case", 1)[1].split("esac", 1)[0])
    project = tomllib.loads((REPO / "services" / service / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == service
    assert (REPO / "services" / service / "src" / PACKAGES[service] / "__init__.py").exists()
    lock = (REPO / "uv.lock").read_text(encoding="utf-8")
    assert f'name = "{service}"' in lock


def dockerignore() -> list[str]:
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    result = False
    for line in dockerignore():
        negate = line.startswith("!")
        pattern = line.lstrip("!").rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(
            fnmatch.fnmatch(p, pattern) or fnmatch.fnmatch(p, pattern.removeprefix("**/")) for p in prefixes
        ):
            result = not negate
    return result


def test_dockerignore_keeps_the_workspace_and_drops_the_rest() -> None:
    for needed in (
        "pyproject.toml",
        "uv.lock",
        "libs/platform/pyproject.toml",
        "services/readings/src/readings/__init__.py",
    ):
        assert not ignored(needed), needed
    for dropped in (
        ".git/HEAD",
        ".venv/bin/python",
        "libs/platform/src/x/__pycache__/a.pyc",
        ".env",
        "tests/deploy",
    ):
        assert ignored(dropped), dropped
