"""Forward-only schema migrations over asyncpg: `python -m ledger.migrate`.

Migrations are `ledger/migrations/NNNN_name.sql`, applied in version order, each in its own
transaction together with its row in `schema_migrations`. The whole run holds a session
advisory lock with a fixed key (per database), so a second runner, in another process or on
another host, waits and then finds nothing left to do; the lock goes with the connection,
whatever happens. Already-applied versions are skipped.

An applied migration is never edited: before anything runs, the run is refused (MigrationError)
if an applied migration's file changed or is missing, or if a new file is numbered below one
already applied. A migration must not manage its own transaction (BEGIN/COMMIT) nor use a
statement that cannot run inside one (CREATE INDEX CONCURRENTLY, VACUUM).

`python -m ledger.migrate` migrates `DATABASE_URL`, or when it is unset the embedded server
(`infra/postgres.py`), and prints what it applied; exit code 1 when refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import structlog

from infra import logs
from infra.config import Settings
from infra.postgres import database_url

DEFAULT_DIR = Path(__file__).resolve().parent / "migrations"
LOCK_KEY = 0x636F6D706C61696E  # "complain": the advisory lock of this runner
_FILE = re.compile(r"(\d{4})_(\w+)\.sql")
_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)"""

log = structlog.get_logger("migrate")


class MigrationError(Exception):
    """Refused: the database's applied migrations and the migration files disagree."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load(migrations_dir: Path = DEFAULT_DIR) -> list[Migration]:
    """The migrations of a folder in version order (line endings normalised, for checksums)."""
    if not migrations_dir.is_dir():
        raise MigrationError(f"no migrations folder {migrations_dir}")
    found: dict[int, Migration] = {}
    for path in sorted(migrations_dir.glob("*.sql")):
        match = _FILE.fullmatch(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: a migration file is named NNNN_name.sql")
        version = int(match[1])
        if version in found:
            raise MigrationError(f"{found[version].label} and {path.name} have one number")
        sql = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        found[version] = Migration(version, match[2], sql)
    return [found[version] for version in sorted(found)]


def pending(migrations: list[Migration], applied: dict[int, str]) -> list[Migration]:
    """What is left to apply, given the applied versions and their checksums; or refuse."""
    files = {m.version: m for m in migrations}
    for version, checksum in sorted(applied.items()):
        if version not in files:
            raise MigrationError(
                f"migration {version:04d} is applied but its file is missing: restore it"
            )
        if files[version].checksum != checksum:
            raise MigrationError(
                f"migration {files[version].label}.sql changed after it was applied "
                f"(checksum {checksum[:12]}… applied, {files[version].checksum[:12]}… on disk): "
                "restore it and put the change in a new migration"
            )
    todo = [m for m in migrations if m.version not in applied]
    if todo and applied and todo[0].version < max(applied):
        raise MigrationError(
            f"migration {todo[0].label}.sql is numbered below {max(applied):04d}, "
            "which is already applied: renumber it above"
        )
    return todo


async def migrate(dsn: str, migrations_dir: Path = DEFAULT_DIR) -> list[int]:
    """Apply the pending migrations; return the versions this call applied."""
    migrations = load(migrations_dir)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1::bigint)", LOCK_KEY)
        await conn.execute(_TABLE)
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
        todo = pending(migrations, {row["version"]: row["checksum"] for row in rows})
        for migration in todo:
            started = time.monotonic()
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            ms = round((time.monotonic() - started) * 1000)
            log.info("migration applied", migration=migration.label, ms=ms)
        return [migration.version for migration in todo]
    finally:
        await conn.close()  # also releases the advisory lock


async def main() -> int:
    settings = Settings.from_env()
    logs.configure(settings.log_format)
    try:
        applied = await migrate(await database_url(settings))
    except MigrationError as err:
        print(f"migrate: refused: {err}", file=sys.stderr)
        return 1
    labels = {m.version: m.label for m in load()}
    print("applied " + ", ".join(labels[v] for v in applied) if applied else "nothing to apply")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
