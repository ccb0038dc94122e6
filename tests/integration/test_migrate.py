"""The migration runner (`ledger/migrate.py`) and the embedded server (`infra/postgres.py`).

Every test gets a fresh database on the session's PostgreSQL (`tests/pg.py`); nothing is
mocked: two runners race for real, from one process and from two.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from infra.config import PROJECT_ROOT, Settings
from infra.postgres import database_url, embedded_server
from ledger.migrate import DEFAULT_DIR, LOCK_KEY, MigrationError, load, migrate

LEDGER_TABLES = {
    "complaints",
    "complaint_events",
    "sla_clocks",
    "sla_breaches",
    "extensions",
    "notifications",
}
ALL = [m.version for m in load()]


async def fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(sql)
        return rows
    finally:
        await conn.close()


async def tables(dsn: str) -> set[str]:
    rows = await fetch(dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {row["tablename"] for row in rows}


async def applied(dsn: str) -> list[int]:
    rows = await fetch(dsn, "SELECT version FROM schema_migrations ORDER BY version")
    return [row["version"] for row in rows]


def copy_migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    shutil.copytree(DEFAULT_DIR, folder)
    return folder


def add(folder: Path, version: int, sql: str) -> None:
    (folder / f"{version:04d}_extra.sql").write_text(sql, encoding="utf-8")


async def test_applies_every_migration_on_an_empty_database(empty_database: str) -> None:
    assert ALL[0] == 1
    assert await migrate(empty_database) == ALL
    assert LEDGER_TABLES | {"schema_migrations"} <= await tables(empty_database)
    rows = await fetch(empty_database, "SELECT * FROM schema_migrations ORDER BY version")
    assert [(r["version"], r["name"], r["checksum"]) for r in rows] == [
        (m.version, m.name, m.checksum) for m in load()
    ]
    assert rows[0]["name"] == "ledger"
    assert all(r["applied_at"] is not None for r in rows)


async def test_a_second_run_applies_nothing(database: str) -> None:
    assert await migrate(database) == []
    assert await applied(database) == ALL


async def test_two_concurrent_runs_apply_each_version_once(empty_database: str) -> None:
    results = await asyncio.gather(migrate(empty_database), migrate(empty_database))
    assert sorted(results) == [[], ALL]
    assert await applied(empty_database) == ALL


async def test_a_run_waits_for_the_lock_of_another(empty_database: str) -> None:
    holder = await asyncpg.connect(empty_database)
    try:
        await holder.execute("SELECT pg_advisory_lock($1::bigint)", LOCK_KEY)
        run = asyncio.create_task(migrate(empty_database))
        waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        for _ in range(200):
            if await holder.fetchval(waiting) == 1:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the second run never waited for the lock")
        assert not run.done()
        assert "schema_migrations" not in await tables(empty_database)
        await holder.execute("SELECT pg_advisory_unlock($1::bigint)", LOCK_KEY)
        assert await asyncio.wait_for(run, timeout=10) == ALL
    finally:
        await holder.close()


async def run_cli(dsn: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": dsn, "COMPLAINTS_LOG_FORMAT": "json"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ledger.migrate",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_two_processes_at_once_apply_each_version_once(empty_database: str) -> None:
    results = await asyncio.gather(run_cli(empty_database), run_cli(empty_database))
    assert [code for code, _, _ in results] == [0, 0], results
    outputs = sorted(out.strip() for _, out, _ in results)
    labels = ", ".join(m.label for m in load())
    assert outputs == [f"applied {labels}", "nothing to apply"], results
    assert await applied(empty_database) == ALL


async def test_a_changed_migration_is_refused(tmp_path: Path, empty_database: str) -> None:
    folder = copy_migrations(tmp_path)
    assert await migrate(empty_database, folder) == ALL
    ledger = folder / "0001_ledger.sql"
    ledger.write_text(ledger.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    add(folder, ALL[-1] + 1, "CREATE TABLE extra (id integer);")
    with pytest.raises(MigrationError, match=r"0001_ledger\.sql changed after it was applied"):
        await migrate(empty_database, folder)
    assert "extra" not in await tables(empty_database)  # refused before anything ran


async def test_the_command_refuses_a_changed_migration(database: str) -> None:
    conn = await asyncpg.connect(database)
    await conn.execute("UPDATE schema_migrations SET checksum = 'x' WHERE version = 1")
    await conn.close()
    code, out, err = await run_cli(database)
    assert code == 1
    assert out == ""
    assert "refused: migration 0001_ledger.sql changed after it was applied" in err


async def test_a_missing_file_is_refused(tmp_path: Path, empty_database: str) -> None:
    folder = copy_migrations(tmp_path)
    add(folder, 9000, "CREATE TABLE extra (id integer);")
    await migrate(empty_database, folder)
    (folder / "9000_extra.sql").unlink()
    with pytest.raises(MigrationError, match="migration 9000 is applied but its file is missing"):
        await migrate(empty_database, folder)


async def test_a_new_migration_is_applied_on_top(tmp_path: Path, database: str) -> None:
    folder = copy_migrations(tmp_path)
    new = ALL[-1] + 1
    add(folder, new, "CREATE TABLE extra (id integer);\nALTER TABLE complaints ADD note text;")
    assert await migrate(database, folder) == [new]
    assert "extra" in await tables(database)
    assert await applied(database) == [*ALL, new]
    assert await migrate(database, folder) == []


async def test_a_failing_migration_leaves_nothing_behind(tmp_path: Path, database: str) -> None:
    folder = copy_migrations(tmp_path)
    add(folder, ALL[-1] + 1, "CREATE TABLE half (id integer);\nSELECT 1 / 0;")
    with pytest.raises(asyncpg.DivisionByZeroError):
        await migrate(database, folder)
    assert "half" not in await tables(database)
    assert await applied(database) == ALL


async def test_a_new_file_numbered_below_an_applied_one_is_refused(
    tmp_path: Path, empty_database: str
) -> None:
    folder = copy_migrations(tmp_path)
    add(folder, 9000, "CREATE TABLE extra (id integer);")
    await migrate(empty_database, folder)
    (folder / "8999_late.sql").write_text("CREATE TABLE late (id integer);")
    with pytest.raises(MigrationError, match=r"8999_late\.sql is numbered below 9000"):
        await migrate(empty_database, folder)


@pytest.mark.parametrize("name", ["1_short.sql", "0002-dash.sql", "0002_.sql"])
def test_badly_named_files_are_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"NNNN_name\.sql"):
        load(tmp_path)


def test_two_files_with_one_number_are_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0001_b.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"0001_a and 0001_b\.sql have one number"):
        load(tmp_path)


async def test_database_url_prefers_the_setting(tmp_path: Path) -> None:
    url = "postgresql://ledger@db.example/ledger"
    assert await database_url(Settings(database_url=url, data_dir=tmp_path)) == url
    assert not (tmp_path / "postgres").exists()


async def test_embedded_server_keeps_data_and_survives_a_stale_pid_file(tmp_path: Path) -> None:
    """A `postmaster.pid` left by a crash whose pid now belongs to another process: pgserver
    alone would hand out a dead socket and, at exit, kill that process."""
    dsn = await database_url(Settings(data_dir=tmp_path))
    server = embedded_server(tmp_path)  # the same server, attached again
    assert server.dsn == dsn
    assert dsn.startswith("postgresql://postgres:@/postgres?host=/")  # a unix socket
    conn = await asyncpg.connect(dsn)
    await conn.execute("CREATE TABLE kept (id integer)")
    await conn.close()
    pidfile = server.pgdata / "postmaster.pid"
    lines = pidfile.read_text().splitlines(keepends=True)
    server.stop()
    assert not pidfile.exists()

    bystander = await asyncio.create_subprocess_exec("sleep", "60")
    try:
        pidfile.write_text("".join([f"{bystander.pid}\n", *lines[1:]]))
        server = await asyncio.to_thread(embedded_server, tmp_path)
        assert "kept" in await tables(server.dsn)
        server.stop()
        assert bystander.returncode is None
    finally:
        bystander.kill()
        await bystander.wait()
