"""The service pool hands a connection on without a reset: nothing of one request may reach the next."""

import uuid
from collections.abc import Awaitable, Callable

import pytest

from mile_platform.pool import connect_pool
from mile_platform.settings import KafkaSettings, ServiceSettings

pytestmark = pytest.mark.integration


async def test_a_pooled_connection_carries_no_city_role_lock_or_transaction_to_the_next_request(
    fresh_database: Callable[[str], Awaitable[str]],
) -> None:
    url = await fresh_database("pool")
    role = f"pool_app_{uuid.uuid4().hex[:8]}"
    pool = await connect_pool(ServiceSettings(database_url=url, kafka=KafkaSettings(), db_pool_min=1, db_pool_max=1))
    try:
        await pool.execute(f"CREATE ROLE {role}; GRANT {role} TO current_user; CREATE TABLE notes (n int)")
        login = await pool.fetchval("SELECT current_user")
        async with pool.acquire() as conn, conn.transaction():  # a request, as intake acts for its city
            first = await conn.fetchval("SELECT pg_backend_pid()")
            await conn.execute(
                "SELECT set_config('role', $1, true), set_config('mile.city', 'milan', true),"
                " pg_advisory_xact_lock(42)",
                role,
            )
            assert await conn.fetchval("SELECT current_user") == role
        conn = await pool.acquire()  # a request that dies inside its transaction
        await conn.execute("BEGIN; INSERT INTO notes VALUES (1)")
        await pool.release(conn)

        async with pool.acquire() as conn:  # the next request: the same session, fresh state
            assert await conn.fetchval("SELECT pg_backend_pid()") == first
            assert await conn.fetchval("SELECT current_user") == login
            assert await conn.fetchval("SELECT current_setting('mile.city', true)") in (None, "")
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT count(*) FROM notes") == 0
            held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            assert await conn.fetchval(held) == 0
    finally:
        await pool.execute(f"DROP TABLE IF EXISTS notes; DROP ROLE IF EXISTS {role}")
        await pool.close()
