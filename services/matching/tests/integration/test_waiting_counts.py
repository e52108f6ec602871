"""Each vacancy's count of waiting proposals, kept by migration 0005's triggers and folded by matching,
always adds up to the proposals waiting there: whatever statement changed matches, whoever wrote it,
while a fold runs beside it, and on a database of the release before."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
import pytest

from mile_matching import repository
from mile_platform.migrations import apply_migrations, load_migrations

from .helpers import eventually

pytestmark = pytest.mark.integration
Database = Callable[[str], Awaitable[str]]
NOW = datetime.now(UTC)

# Per vacancy: the proposals waiting as counted from matches, and as kept.
COUNTS = """
    SELECT v.id,
           (SELECT count(*) FROM matches m WHERE m.vacancy_id = v.id AND m.status = 'proposed') AS counted,
           (SELECT coalesce(sum(c.delta), 0) FROM vacancy_waiting_changes c WHERE c.vacancy_id = v.id) AS kept
    FROM vacancies v ORDER BY v.id"""


async def _pool(fresh_database: Database, name: str) -> asyncpg.Pool:
    return await asyncpg.create_pool(await fresh_database(name), min_size=1, max_size=4)


async def _vacancy(conn: asyncpg.Connection) -> uuid.UUID:
    vacancy_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO vacancies (id, employer_id, city, spec, positions, opened_at)
           VALUES ($1, $2, 'milan', '{}', 5, $3)""",
        vacancy_id,
        uuid.uuid4(),
        NOW,
    )
    return vacancy_id


async def _propose(conn: asyncpg.Connection, vacancy_id: uuid.UUID, people: list[uuid.UUID]) -> None:
    """As ``repository.insert_matches`` does: one statement, a pair proposed before left alone."""
    await conn.execute(
        """INSERT INTO matches (id, vacancy_id, participant_id, city, score, reasons, proposed_at)
           SELECT gen_random_uuid(), $1, p, 'milan', 0.5, '{}', $3 FROM unnest($2::uuid[]) AS p
           ON CONFLICT (vacancy_id, participant_id) DO NOTHING""",
        vacancy_id,
        people,
        NOW,
    )


async def _counts(conn: asyncpg.Connection) -> dict[uuid.UUID, tuple[int, int]]:
    return {row["id"]: (row["counted"], row["kept"]) for row in await conn.fetch(COUNTS)}


async def _assert_kept(conn: asyncpg.Connection, expected: list[int]) -> None:
    """The counts kept are those counted, and ``expected`` in vacancy id order; folding changes none."""
    counts = await _counts(conn)
    assert [counted for counted, _ in counts.values()] == expected
    assert all(kept == counted for counted, kept in counts.values()), counts
    await repository.fold_waiting_counts(conn)
    assert await _counts(conn) == counts
    rows = await conn.fetch("SELECT vacancy_id, count(*) AS n FROM vacancy_waiting_changes GROUP BY vacancy_id")
    assert all(row["n"] == 1 for row in rows), rows  # folded to one row each, none for a vacancy adding up to 0


async def test_every_statement_that_changes_matches_keeps_the_counts(fresh_database: Database) -> None:
    pool = await _pool(fresh_database, "matching_waiting")
    try:
        await apply_migrations(pool, ["mile_platform", "mile_matching"])
        async with pool.acquire() as conn:
            first, second = sorted([await _vacancy(conn), await _vacancy(conn)])
            people = [uuid.uuid4() for _ in range(6)]
            await _propose(conn, first, people[:4])
            await _propose(conn, second, people[2:])
            await _propose(conn, first, people[:5])  # four of them proposed before: only the fifth is new
            await _assert_kept(conn, [5, 4])
            await conn.execute(  # an acceptance, as decide_match records it
                """UPDATE matches SET status = 'accepted', decided_at = now()
                   WHERE vacancy_id = $1 AND participant_id = $2""",
                first,
                people[0],
            )
            await conn.execute(  # a decided match changed again counts nothing twice
                "UPDATE matches SET decision_reason = 'noted' WHERE vacancy_id = $1 AND participant_id = $2",
                first,
                people[0],
            )
            await _assert_kept(conn, [4, 4])
            await conn.execute(  # withdrawals of both vacancies in one statement
                """UPDATE matches SET status = 'rejected', decision_reason = 'withdrawn', decided_at = now()
                   WHERE participant_id = ANY($1::uuid[]) AND status = 'proposed'""",
                people[2:4],
            )
            await _assert_kept(conn, [2, 2])
            # A participant forgotten: their waiting proposals go (their accepted one too, which counted nothing).
            await conn.execute("DELETE FROM matches WHERE participant_id = ANY($1::uuid[])", [people[0], people[4]])
            await _assert_kept(conn, [1, 1])
            await conn.execute("TRUNCATE matches")
            await _assert_kept(conn, [0, 0])
            await _propose(conn, second, people[:1])
            await _assert_kept(conn, [0, 1])
    finally:
        await pool.close()


async def test_changes_appended_while_a_fold_runs_are_kept_and_folds_side_by_side_agree(
    fresh_database: Database,
) -> None:
    pool = await _pool(fresh_database, "matching_waiting_fold")
    try:
        await apply_migrations(pool, ["mile_platform", "mile_matching"])
        async with pool.acquire() as conn:
            vacancy_id = await _vacancy(conn)
            for _ in range(3):
                await _propose(conn, vacancy_id, [uuid.uuid4(), uuid.uuid4()])
        async with pool.acquire() as writer, pool.acquire() as folder, pool.acquire() as other:
            async with writer.transaction():  # a batch proposing while matching folds
                await _propose(writer, vacancy_id, [uuid.uuid4()])
                assert await repository.fold_waiting_counts(folder) == 1  # does not wait for the batch
            fold = folder.transaction()
            await fold.start()
            assert await repository.fold_waiting_counts(folder) == 1  # the batch's change and the folded row
            beside = asyncio.create_task(repository.fold_waiting_counts(other))  # another replica's fold waits
            await asyncio.sleep(0.2)
            assert not beside.done()
            await fold.commit()
            assert await asyncio.wait_for(beside, 10) == 0  # what it would have folded went with the first
            assert await _counts(other) == {vacancy_id: (7, 7)}
    finally:
        await pool.close()


async def test_a_database_of_the_release_before_gets_the_counts_of_its_waiting_proposals(
    fresh_database: Database,
) -> None:
    pool = await _pool(fresh_database, "matching_waiting_migration")
    try:
        await apply_migrations(pool, ["mile_platform"])
        migrations = load_migrations("mile_matching")
        for migration in (m for m in migrations if m.version < "mile_matching:0005"):
            await pool.execute(migration.sql)
        async with pool.acquire() as conn:
            first, second, _ = sorted([await _vacancy(conn) for _ in range(3)])
            await _propose(conn, first, [uuid.uuid4() for _ in range(3)])
            await _propose(conn, second, [uuid.uuid4() for _ in range(2)])
            await conn.execute(
                """UPDATE matches SET status = 'accepted'
                   WHERE id = (SELECT id FROM matches WHERE vacancy_id = $1 LIMIT 1)""",
                second,
            )
        for migration in (m for m in migrations if m.version >= "mile_matching:0005"):
            await pool.execute(migration.sql)
        async with pool.acquire() as conn:
            await _assert_kept(conn, [3, 1, 0])
            assert (await repository.lock_vacancy(conn, first))["open_proposals"] == 3  # what matching reads
    finally:
        await pool.close()


async def test_a_running_matching_folds_the_changes_now_and_then(matching_url: str, matching_database: str) -> None:
    conn = await asyncpg.connect(matching_database)
    try:
        vacancy_id = await _vacancy(conn)
        for _ in range(3):
            await _propose(conn, vacancy_id, [uuid.uuid4(), uuid.uuid4()])

        async def folded() -> list[asyncpg.Record] | None:
            rows = await conn.fetch("SELECT delta FROM vacancy_waiting_changes WHERE vacancy_id = $1", vacancy_id)
            return rows if len(rows) == 1 else None

        assert [row["delta"] for row in await eventually(folded)] == [6]
    finally:
        await conn.close()
