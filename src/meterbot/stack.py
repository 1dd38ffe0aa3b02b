"""`meterbot up`: the whole stack on one machine, each service its own process.

Embedded PostgreSQL unless METERBOT_POSTGRES_DSN is set; the local tansu broker unless
METERBOT_KAFKA_BOOTSTRAP is set. Ctrl-C / SIGTERM stops services first, then the broker, then the
database, and leaves no process behind (children also die with this process if it is killed)."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from meterbot_contracts.topics import ALL_TOPICS_WITH_DLQ
from meterbot_localstack import LocalBroker, LocalPostgres, free_port
from meterbot_localstack.ports import die_with_parent, wait_for_port
from meterbot_platform.broker import ensure_topics

from meterbot import readiness, state

log = logging.getLogger("meterbot.up")


@dataclass(frozen=True)
class ServiceProcess:
    name: str
    module: str


LOCAL_BOT_TOKEN = "7000000001:local-meterbot-bot"  # accepted by the local Bot API server only
LOCAL_ADMIN_CHAT_ID = 1000

SERVICES = (
    ServiceProcess("identity", "identity"),
    ServiceProcess("accounts", "accounts"),
    ServiceProcess("readings", "readings"),
    ServiceProcess("billing-export", "billing_export"),
    ServiceProcess("telegram-gateway", "telegram_gateway"),
)


class Stack:
    def __init__(self, home: Path, port_base: int = 8100) -> None:
        self.home = home
        self.port_base = port_base
        self.postgres: LocalPostgres | None = None
        self.broker: LocalBroker | None = None
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}
        self._stopping = False
        self.local_chat: dict[str, str] = {}
        self.bot_api: subprocess.Popen[bytes] | None = None

    # -- infrastructure ----------------------------------------------------------------------
    def _start_infrastructure(self) -> tuple[str, str, bool]:
        dsn = os.environ.get("METERBOT_POSTGRES_DSN")
        if not dsn:
            self.postgres = LocalPostgres(self.home / "pgdata", log_file=self.home / "postgres.log")
            dsn = self.postgres.start()
            log.info("embedded PostgreSQL %s (data in %s)", dsn, self.postgres.data_dir)
        bootstrap = os.environ.get("METERBOT_KAFKA_BOOTSTRAP")
        if bootstrap:
            idempotent = os.environ.get("METERBOT_KAFKA_IDEMPOTENT", "true").lower() == "true"
        else:
            self.broker = LocalBroker(log_file=self.home / "broker.log")
            bootstrap, idempotent = self.broker.start(), False  # tansu: no idempotent producer
            log.info("local Kafka-protocol broker (tansu) at %s", bootstrap)
        partitions = int(os.environ.get("METERBOT_KAFKA_PARTITIONS", "3"))
        asyncio.run(ensure_topics(bootstrap, ALL_TOPICS_WITH_DLQ, partitions=partitions))
        return dsn, bootstrap, idempotent

    # -- services ----------------------------------------------------------------------------
    def _spawn(self, service: ServiceProcess, env: dict[str, str]) -> None:
        port = self.ports.setdefault(
            service.name, self.port_base + 1 + len(self.ports) if self.port_base else free_port()
        )
        child_env = {**env, "METERBOT_HTTP_PORT": str(port), "METERBOT_HTTP_HOST": "127.0.0.1"}
        self.procs[service.name] = subprocess.Popen(
            [sys.executable, "-m", service.module],
            env=child_env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches only us; we stop children in order
            preexec_fn=die_with_parent,
        )

    def _wait_ready(self) -> None:
        readiness.wait_ready(self.procs, self.ports)  # METERBOT_UP_READY_TIMEOUT_S, progress lines

    def _start_local_bot_api(self, env: dict[str, str]) -> dict[str, str]:
        """No METERBOT_TELEGRAM_TOKEN: run the local Bot API server (with its chat page) and point
        the gateway at it with a made-up token, so the bot can be tried without Telegram."""
        if os.environ.get("METERBOT_TELEGRAM_TOKEN"):
            return {}
        port = self.port_base + 80 if self.port_base else free_port()
        env_admin = os.environ.get("METERBOT_ADMIN_CHAT_ID", str(LOCAL_ADMIN_CHAT_ID))
        self.bot_api = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "meterbot_botapi",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "WARNING",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        wait_for_port("127.0.0.1", port, 30, "local Bot API server")
        url = f"http://127.0.0.1:{port}"
        self.local_chat = {"chat_url": f"{url}/", "admin_url": f"{url}/admin?admin={env_admin}"}
        return {
            "METERBOT_TELEGRAM_TOKEN": LOCAL_BOT_TOKEN,
            "METERBOT_TELEGRAM_API_URL": url,
            "METERBOT_ADMIN_CHAT_ID": env_admin,
        }

    def _import_demo_registry(self, env: dict[str, str]) -> None:
        demo = Path(__file__).parent / "data" / "demo_registry.csv"
        done = subprocess.run(
            [sys.executable, "-m", "meterbot", "registry", "import", str(demo)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            log.error("demo registry import failed:\n%s%s", done.stdout, done.stderr)
        else:
            log.info(
                "demo registry imported: accounts 100001 (Иванов), 100002 (Мамин-Сибиряк), 100003 (Ёлкина)"
            )

    def run(self, demo: bool = False) -> int:
        self.home.mkdir(parents=True, exist_ok=True)
        lock = open(self.home / "up.lock", "w")  # noqa: SIM115 - held for our lifetime
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"another `meterbot up` is running with METERBOT_HOME={self.home}", file=sys.stderr)
            return 1
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        try:
            dsn, bootstrap, idempotent = self._start_infrastructure()
            env = {
                **os.environ,
                "METERBOT_POSTGRES_DSN": dsn,
                "METERBOT_KAFKA_BOOTSTRAP": bootstrap,
                "METERBOT_KAFKA_IDEMPOTENT": str(idempotent).lower(),
                "METERBOT_KAFKA_CREATE_TOPICS": "false",
            }
            if self.broker is not None:  # tansu may hold a fetch for its full max wait: see KafkaSettings
                env.setdefault("METERBOT_KAFKA_FETCH_MAX_WAIT_MS", "50")
            env.update(self._start_local_bot_api(env))
            for service in SERVICES:
                self._spawn(service, env)
            self._wait_ready()
            st = state.StackState(
                postgres_dsn=dsn,
                kafka_bootstrap=bootstrap,
                kafka_idempotent=idempotent,
                supervisor_pid=os.getpid(),
                services={
                    n: {"pid": p.pid, "port": self.ports[n], "url": f"http://127.0.0.1:{self.ports[n]}"}
                    for n, p in self.procs.items()
                },
                extras={
                    k: str(v)
                    for k, v in (
                        ("postgres_pid", self.postgres and self.postgres.pid),
                        ("broker_pid", self.broker and self.broker.pid),
                        ("bot_api_pid", self.bot_api and self.bot_api.pid),
                    )
                    if v
                },
            )
            st.extras.update(self.local_chat)
            st.write()
            if demo:
                self._import_demo_registry({**env, "METERBOT_HOME": str(self.home)})
            self._print_ready(st)
            self._supervise(env)
            return 0
        except (RuntimeError, TimeoutError, OSError) as exc:
            if not self._stopping:
                log.error("meterbot up failed: %s", exc)
                return 1
            return 0
        finally:
            self.stop()
            state.clear()
            lock.close()

    def _print_ready(self, st: state.StackState) -> None:
        print("\nmeterbot is up. Ctrl-C stops everything.", flush=True)
        print(f"  PostgreSQL  {st.postgres_dsn}")
        print(f"  Kafka       {st.kafka_bootstrap}")
        for name, info in st.services.items():
            print(f"  {name:<17} {info['url']}/healthz  /readyz  /metrics")
        if self.local_chat:
            print(f"\n  No METERBOT_TELEGRAM_TOKEN: chat with the bot at {self.local_chat['chat_url']}")
            print(f"  administrator's view: {self.local_chat['admin_url']}")
        print(flush=True)

    def _supervise(self, env: dict[str, str]) -> None:
        """Restart a service that dies, with a growing pause, until we are told to stop."""
        restarts: dict[str, int] = {}
        while not self._stopping:
            for service in SERVICES:
                proc = self.procs[service.name]
                if proc.poll() is not None and not self._stopping:
                    n = restarts[service.name] = restarts.get(service.name, 0) + 1
                    log.warning("%s exited with %s; restart #%d", service.name, proc.returncode, n)
                    time.sleep(min(10, 0.5 * n))
                    self._spawn(service, env)
            time.sleep(0.2)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self._stopping:
            return
        self._stopping = True
        log.info("stopping (%s)", signal.Signals(signum).name)

    def stop(self) -> None:
        self._stopping = True
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.bot_api is not None and self.bot_api.poll() is None:
            self.bot_api.terminate()
            try:
                self.bot_api.wait(10)
            except subprocess.TimeoutExpired:
                self.bot_api.kill()
        if self.broker:
            self.broker.stop()
        if self.postgres:
            self.postgres.stop()
