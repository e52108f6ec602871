"""LocalPostgres against the real binaries: start, databases, stop, crash and pause."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from mile_devstack.postgres import LocalPostgres
from mile_devstack.processes import free_port

pytestmark = pytest.mark.integration


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def _select_one(url: str) -> int:
    conn = await asyncpg.connect(url, timeout=2)
    try:
        return int(await conn.fetchval("SELECT 1"))
    finally:
        await conn.close()


async def _client_address(url: str) -> str | None:
    conn = await asyncpg.connect(url, timeout=2)
    try:
        address = await conn.fetchval("SELECT host(inet_client_addr())")
        return None if address is None else str(address)
    finally:
        await conn.close()


async def test_start_create_connect_stop(tmp_path: Path) -> None:
    server = LocalPostgres(tmp_path / "pgdata", free_port(), fsync=False)
    await server.start()
    try:
        await server.create_database("mile_probe")
        await server.create_database("mile_probe")  # idempotent
        assert server.tcp_url("mile_probe") == f"postgresql://postgres@127.0.0.1:{server.port}/mile_probe"
        assert await _client_address(server.url("mile_probe")) is None  # its Unix socket: no client address
        assert await _client_address(server.tcp_url("mile_probe")) == "127.0.0.1"
    finally:
        server.stop()
    assert not server.running
    assert not _port_open(server.port)
    assert not (tmp_path / "pgdata" / "postmaster.pid").exists()


async def test_restart_after_kill_reuses_data(tmp_path: Path) -> None:
    server = LocalPostgres(tmp_path / "pgdata", free_port(), fsync=False)
    await server.start()
    try:
        await server.create_database("survives")
        server.kill()  # leaves a stale postmaster.pid behind
        assert (tmp_path / "pgdata" / "postmaster.pid").exists()
        await server.start()
        assert await _select_one(server.url("survives")) == 1
    finally:
        server.stop()


async def test_stale_pidfile_naming_a_live_unrelated_process(tmp_path: Path) -> None:
    server = LocalPostgres(tmp_path / "pgdata", free_port(), fsync=False)
    await server.start()
    server.kill()
    pidfile = tmp_path / "pgdata" / "postmaster.pid"
    lines = pidfile.read_text().splitlines()
    pidfile.write_text("\n".join(["1", *lines[1:]]) + "\n")  # pid reused by another process
    try:
        await server.start()
        assert await _select_one(server.url()) == 1
    finally:
        server.stop()


async def test_pause_makes_connections_hang_until_resume(tmp_path: Path) -> None:
    server = LocalPostgres(tmp_path / "pgdata", free_port(), fsync=False)
    await server.start()
    try:
        server.pause()
        with pytest.raises((asyncio.TimeoutError, OSError)):
            await asyncpg.connect(server.url(), timeout=1)
        server.resume()
        assert await _select_one(server.url()) == 1
    finally:
        server.stop()


async def test_fresh_database_fixture(fresh_database: Callable[[str], Awaitable[str]]) -> None:
    first, second = await fresh_database("probe"), await fresh_database("probe")
    assert first != second
    assert await _select_one(first) == 1
