"""`meterbot up`: the whole stack on one machine, each service its own process.

Embedded PostgreSQL unless METERBOT_POSTGRES_DSN is set; the local tansu broker unless
METERBOT_KAFKA_BOOTSTRAP is set. Every process is supervised: a service, the embedded PostgreSQL
or the local broker that dies is started again (a broker comes back empty: see meterbot.recovery).
Ctrl-C / SIGTERM drains, then stops services first, then the broker, then the database, and leaves
no process behind (children also die with this process if it is killed)."""

from __future__ import annotations

import asyncio
import datetime
import fcntl
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from meterbot_localstack import LocalBroker, LocalPostgres, free_port
from meterbot_localstack.ports import die_with_parent, wait_for_port
from meterbot_platform.topic_plan import apply_topic_plan, topic_plan

from meterbot import local_secrets, readiness, recovery, state
from meterbot.services import Instance, instances, port_of, spawn

log = logging.getLogger("meterbot.up")

LOCAL_BOT_TOKEN = "7000000001:local-meterbot-bot"  # accepted by the local Bot API server only
LOCAL_ADMIN_CHAT_ID = 1000
DRAIN_TIMEOUT = float(os.environ.get("METERBOT_UP_DRAIN_TIMEOUT", "20"))


class Stack:
    def __init__(self, home: Path, port_base: int = 8100, replicas: dict[str, int] | None = None) -> None:
        self.home = home
        self.port_base = port_base
        self.instances = instances(replicas or {})
        self.postgres: LocalPostgres | None = None
        self.broker: LocalBroker | None = None
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}
        self._stopping = False
        self._hurry = False  # a second Ctrl-C: stop without draining
        self.local_chat: dict[str, str] = {}
        self.bot_api: subprocess.Popen[bytes] | None = None
        self.partitions = int(os.environ.get("METERBOT_KAFKA_PARTITIONS", "3"))
        self.dsn = self.bootstrap = ""
        self.idempotent = False
        self._restarts: dict[str, int] = {}
        self._restart_at: dict[str, float] = {}

    # -- infrastructure ----------------------------------------------------------------------
    def _start_infrastructure(self) -> None:
        dsn = os.environ.get("METERBOT_POSTGRES_DSN")
        if not dsn:
            self.postgres = LocalPostgres(self.home / "pgdata", log_file=self.home / "postgres.log")
            dsn = self.postgres.restart()  # also after a crash of an earlier `meterbot up`
            log.info("embedded PostgreSQL %s (data in %s)", dsn, self.postgres.data_dir)
        self.dsn = dsn
        bootstrap = os.environ.get("METERBOT_KAFKA_BOOTSTRAP")
        if bootstrap:
            self.bootstrap = bootstrap
            self.idempotent = os.environ.get("METERBOT_KAFKA_IDEMPOTENT", "true").lower() == "true"
            asyncio.run(apply_topic_plan(bootstrap, topic_plan(self.partitions, replication_factor=1)))
        else:
            self.broker = LocalBroker(log_file=self.home / "broker.log")
            self.bootstrap, self.idempotent = self.broker.start(), False  # tansu: no idempotent producer
            log.info("local Kafka-protocol broker (tansu) at %s", self.bootstrap)
            # memory storage: this broker holds nothing, whatever an earlier run published
            asyncio.run(recovery.prepare_fresh_broker(self.bootstrap, dsn, self.partitions))

    def _restart_postgres(self) -> None:
        assert self.postgres is not None
        log.warning("PostgreSQL exited; starting it again")
        try:
            self.postgres.restart()
        except (RuntimeError, TimeoutError, OSError) as exc:
            log.error("PostgreSQL did not start again (%s); trying once more shortly", exc)
            return
        log.info("PostgreSQL is back (pid %s); services reconnect", self.postgres.pid)
        self._write_state()

    def _restart_broker(self, env: dict[str, str]) -> None:
        """The local broker died and took every message with it. Services stop first, so none of
        them creates a topic (with the wrong partition count) or publishes before the topic plan is
        back and the outbox checkpoints are reset; then they start against the empty broker."""
        assert self.broker is not None
        log.warning("the local broker exited; restarting it and the services")
        self._stop_services()
        try:
            self.broker.start()
            asyncio.run(recovery.prepare_fresh_broker(self.bootstrap, self.dsn, self.partitions))
        except Exception as exc:  # e.g. PostgreSQL is down too: the next round tries again
            log.error("the broker is not back yet (%s); trying again shortly", exc)
            self.broker.stop()
            time.sleep(1)
            return
        for instance in self.instances:
            self._spawn(instance, env)
        self._write_state()

    # -- services ----------------------------------------------------------------------------
    def _spawn(self, instance: Instance, env: dict[str, str]) -> None:
        port = self.ports.setdefault(instance.key, port_of(instance, self.port_base))
        self.procs[instance.key] = spawn(instance, env, port)

    def _wait_ready(self) -> None:
        readiness.wait_ready(self.procs, self.ports)  # METERBOT_UP_READY_TIMEOUT_S, progress lines

    def _stop_services(self) -> None:
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

    def _import_demo_extras(self, env: dict[str, str]) -> None:
        """Issue 15: balances (dated from today: one fresh, one paid in advance, one older than 45
        days) and two news items (published once: `--once` skips a text already shown)."""
        data = Path(__file__).parent / "data"
        today = datetime.date.today()
        rows = [
            f"100001,1520.30,RUB,{today - datetime.timedelta(days=5)},{today + datetime.timedelta(days=20)}",
            f"100002,-300.00,RUB,{today - datetime.timedelta(days=3)},",
            f"100003,842.10,RUB,{today - datetime.timedelta(days=60)},{today - datetime.timedelta(days=35)}",
        ]
        balances = self.home / "demo_balances.csv"
        balances.write_text("account_number,amount_due,currency,as_of,due_date\n" + "\n".join(rows) + "\n")
        commands = [["balances", "import", str(balances)]]
        commands += [["news", "publish", "--once", str(data / f"demo_news_{n}.md")] for n in (1, 2)]
        for command in commands:
            done = subprocess.run(
                [sys.executable, "-m", "meterbot", *command], env=env, capture_output=True, text=True
            )
            if done.returncode != 0:
                log.error("demo %s failed:\n%s%s", " ".join(command[:2]), done.stdout, done.stderr)
        log.info("demo balances imported (100003's is older than 45 days) and two news items published")

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
            self._start_infrastructure()
            env = {
                **os.environ,
                "METERBOT_POSTGRES_DSN": self.dsn,
                "METERBOT_KAFKA_BOOTSTRAP": self.bootstrap,
                "METERBOT_KAFKA_IDEMPOTENT": str(self.idempotent).lower(),
                "METERBOT_KAFKA_CREATE_TOPICS": "false",
                **local_secrets.stack_secrets_env(self.home, os.environ),
            }
            if self.broker is not None:  # tansu may hold a fetch for its full max wait: see KafkaSettings
                env.setdefault("METERBOT_KAFKA_FETCH_MAX_WAIT_MS", "50")
                # idle consumers' fetches are most of an idle stack's CPU (tansu's included): one a
                # second each, not two; the first record after 30 s of quiet waits up to ~0.5 s longer
                env.setdefault("METERBOT_KAFKA_IDLE_FETCH_MAX_WAIT_MS", "1000")
            env.update(self._start_local_bot_api(env))
            for instance in self.instances:
                self._spawn(instance, env)
            self._wait_ready()
            st = self._write_state()
            if demo:
                self._import_demo_registry({**env, "METERBOT_HOME": str(self.home)})
                self._import_demo_extras({**env, "METERBOT_HOME": str(self.home)})
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

    def _write_state(self) -> state.StackState:
        """stack.json: how other terminals (and tests) find the stack; rewritten after a restart."""
        st = state.StackState(
            postgres_dsn=self.dsn,
            kafka_bootstrap=self.bootstrap,
            kafka_idempotent=self.idempotent,
            supervisor_pid=os.getpid(),
            services={
                key: {"pid": p.pid, "port": self.ports[key], "url": f"http://127.0.0.1:{self.ports[key]}"}
                for key, p in self.procs.items()
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
        return st

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
        """Until told to stop: start again whatever died. PostgreSQL and the broker first (the
        services need them); a service after a pause that grows with its restarts."""
        while not self._stopping:
            if self.postgres is not None and not self.postgres.alive():
                self._restart_postgres()
            if self.broker is not None and not self.broker.alive() and not self._stopping:
                self._restart_broker(env)
                continue  # services start only against a broker that holds the topic plan
            for instance in self.instances:
                self._restart_if_dead(instance, env)
            time.sleep(0.2)

    def _restart_if_dead(self, instance: Instance, env: dict[str, str]) -> None:
        key = instance.key
        proc = self.procs[key]
        if self._stopping or proc.poll() is None:
            return
        now = time.monotonic()
        if key not in self._restart_at:
            n = self._restarts[key] = self._restarts.get(key, 0) + 1
            log.warning("%s exited with %s; restart #%d", key, proc.returncode, n)
            self._restart_at[key] = now + min(10, 0.5 * n)
        if now >= self._restart_at[key]:
            del self._restart_at[key]
            self._spawn(instance, env)
            self._write_state()

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self._stopping:
            self._hurry = True
            return
        self._stopping = True
        log.info("stopping (%s)", signal.Signals(signum).name)

    def _drain(self) -> None:
        """Let relays publish and consumers finish what is in flight while the broker is there."""
        alive = all(p.poll() is None for p in self.procs.values())
        if not self.procs or not alive or self._hurry or self.broker is None or not self.broker.alive():
            return
        log.info("draining (at most %.0fs; Ctrl-C again to skip)", DRAIN_TIMEOUT)
        if asyncio.run(recovery.drain(self.dsn, self.bootstrap, DRAIN_TIMEOUT, lambda: self._hurry)):
            log.info("drained: every event published, every message consumed")

    def stop(self) -> None:
        self._stopping = True
        self._drain()
        self._stop_services()
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
