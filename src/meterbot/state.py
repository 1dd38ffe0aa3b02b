"""Where a running `meterbot up` stack says what it runs, so CLI commands started from another
terminal on the same machine find it with no settings (DESIGN §7)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("METERBOT_HOME", Path.home() / ".meterbot")).expanduser()


@dataclass
class StackState:
    postgres_dsn: str
    kafka_bootstrap: str
    kafka_idempotent: bool
    supervisor_pid: int
    services: dict[str, dict[str, int | str]] = field(default_factory=dict)  # name -> pid, port, url
    extras: dict[str, str] = field(default_factory=dict)

    def write(self) -> Path:
        path = home() / "stack.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        # 0600: the PostgreSQL DSN in it carries the password
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(json.dumps(asdict(self), indent=2))
        tmp.replace(path)
        return path


def read_running() -> StackState | None:
    """The state of a live stack on this machine, or None."""
    path = home() / "stack.json"
    try:
        data = json.loads(path.read_text())
        state = StackState(**data)
        os.kill(state.supervisor_pid, 0)
    except (OSError, ValueError, TypeError):
        return None
    return state


def clear() -> None:
    (home() / "stack.json").unlink(missing_ok=True)


def settings_env() -> dict[str, str]:
    """METERBOT_* settings for a CLI command: explicit settings win, then a running stack."""
    env: dict[str, str] = {}
    state = read_running()
    if state:
        env = {
            "METERBOT_POSTGRES_DSN": state.postgres_dsn,
            "METERBOT_KAFKA_BOOTSTRAP": state.kafka_bootstrap,
            "METERBOT_KAFKA_IDEMPOTENT": str(state.kafka_idempotent).lower(),
        }
    env.update({k: v for k, v in os.environ.items() if k.startswith("METERBOT_")})
    return env
