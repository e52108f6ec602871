"""Databases on a PostgreSQL server, whether devstack started it or it was given by URL."""

from __future__ import annotations

import contextlib
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import asyncpg

MAINTENANCE_DATABASE = "postgres"


class PostgresServer(Protocol):
    """What callers need from a server: a URL per database, and creating databases."""

    def url(self, database: str) -> str: ...

    async def create_database(self, name: str) -> None: ...


def database_url(server_url: str, database: str) -> str:
    """Replace the database part of `server_url` (credentials, host and query are kept)."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def create_database(server_url: str, name: str) -> None:
    """Create database `name` unless it exists; safe when several callers race."""
    conn = await asyncpg.connect(database_url(server_url, MAINTENANCE_DATABASE))
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return
        quoted = '"' + name.replace('"', '""') + '"'
        # someone else may create it between the check and here
        with contextlib.suppress(asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
            await conn.execute(f"CREATE DATABASE {quoted}")
    finally:
        await conn.close()


class ExternalPostgres:
    """A server named by URL (`MILE_DATABASE_URL`, `MILE_TEST_POSTGRES_URL`); never started here."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url

    def url(self, database: str) -> str:
        return database_url(self.server_url, database)

    async def create_database(self, name: str) -> None:
        await create_database(self.server_url, name)
