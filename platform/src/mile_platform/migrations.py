"""Forward-only SQL migrations, applied at start-up and recorded in a table.

Each package ships ``migrations/NNNN_name.sql``; files run in name order, each in
its own transaction, under an advisory lock so two replicas starting together
apply them once. An applied file whose text changed is an error: history is
never rewritten, a new file is added instead.
"""

import hashlib
import logging
from dataclasses import dataclass
from importlib.resources import files

import asyncpg

log = logging.getLogger(__name__)

_LOCK_KEY = 0x4D494C45  # "MILE"


@dataclass(frozen=True)
class Migration:
    version: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(RuntimeError):
    """The database's migration history disagrees with the shipped files."""


def load_migrations(package: str) -> list[Migration]:
    """Migrations shipped in ``<package>/migrations``, versioned by package and file."""
    folder = files(package) / "migrations"
    return [
        Migration(version=f"{package}:{entry.name}", sql=entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".sql")
    ]


async def apply_migrations(pool: asyncpg.Pool, packages: list[str]) -> list[str]:
    """Apply what is missing, in order; returns the versions applied now."""
    wanted = [m for package in dict.fromkeys(packages) for m in load_migrations(package)]
    applied_now: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await conn.execute(
                """CREATE TABLE IF NOT EXISTS mile_schema_migrations (
                       version text PRIMARY KEY,
                       checksum text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            done = {
                r["version"]: r["checksum"]
                for r in await conn.fetch("SELECT version, checksum FROM mile_schema_migrations")
            }
            for migration in wanted:
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise MigrationError(f"{migration.version} changed after it was applied")
                    continue
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO mile_schema_migrations (version, checksum) VALUES ($1, $2)",
                        migration.version,
                        migration.checksum,
                    )
                log.info("applied migration %s", migration.version)
                applied_now.append(migration.version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied_now


async def pending_migrations(pool: asyncpg.Pool, packages: list[str]) -> list[str]:
    """Versions not yet applied (readiness fails while any remain)."""
    rows = await pool.fetch("SELECT version FROM mile_schema_migrations")
    done = {r["version"] for r in rows}
    return [m.version for p in packages for m in load_migrations(p) if m.version not in done]
