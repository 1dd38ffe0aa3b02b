"""Embedded PostgreSQL asks for a password (issue 18, item 7): a local user who knows the port but not
the password gets nothing; the password sits beside the data with mode 0600; a cluster made with
`trust` before this gets a password on its next start."""

from __future__ import annotations

import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from meterbot_localstack import LocalPostgres

pytestmark = pytest.mark.integration


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="meterbot-pg-auth-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def refused_without_password(port: int) -> bool:
    try:
        conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", password="")
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError):
        return True
    except asyncpg.PostgresError:
        return True
    await conn.close()
    return False


async def test_connections_need_the_password_kept_with_mode_0600(workdir: Path) -> None:
    with LocalPostgres(workdir / "pgdata", durable=False) as server:
        assert await refused_without_password(server.port)
        conn = await asyncpg.connect(server.dsn)
        assert await conn.fetchval("SELECT current_setting('password_encryption')") == "scram-sha-256"
        await conn.close()
        assert stat.S_IMODE(server.password_file.stat().st_mode) == 0o600
        assert server.password in server.dsn


async def test_a_cluster_made_with_trust_gets_a_password_on_its_next_start(workdir: Path) -> None:
    with LocalPostgres(workdir / "pgdata", durable=False):
        pass
    hba = workdir / "pgdata" / "pg_hba.conf"
    hba.write_text(hba.read_text().replace(" scram-sha-256", " trust"))  # as initdb --auth=trust left it
    (workdir / "pgdata.password").unlink()
    with LocalPostgres(workdir / "pgdata", durable=False) as server:
        assert await refused_without_password(server.port)
        conn = await asyncpg.connect(server.dsn)
        await conn.close()


async def test_a_failed_statement_leaves_no_value_in_the_server_log(workdir: Path) -> None:
    """Issue 18, item 4: the server log must not keep what a failing statement echoes (a surname)."""
    with LocalPostgres(workdir / "pgdata", durable=False) as server:
        conn = await asyncpg.connect(server.dsn)
        await conn.execute("CREATE TABLE owners (surname text CHECK (length(surname) < 5))")
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute("INSERT INTO owners VALUES ($1)", "Прохоренко-Шаляпина")
        with pytest.raises(asyncpg.InvalidTextRepresentationError):
            await conn.execute("SELECT 'Шаляпина-Грицацуева'::int")
        await conn.close()
    log = (workdir / "pgdata.log").read_text(errors="replace")
    assert "database system is ready" in log  # the log is there, and is written
    assert "Шаляпина" not in log and "INSERT" not in log
