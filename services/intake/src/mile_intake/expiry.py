"""Consent expiry: a consent given until a day lapses by itself on that day, durably and once.

Each tick claims due consents in batches with ``FOR UPDATE SKIP LOCKED`` (locking the
participant too, so a request changing them is never deadlocked but skipped until the next
tick), records the expiry, and writes ``ConsentChanged(status=expired)`` to the outbox in the
same transaction. Another replica skips the rows this one holds, and a committed expiry no
longer matches, so each consent expires exactly once however many replicas run. Without
matching consent the profile stops travelling: later snapshots carry none (fail-closed).

Each consent expires in its own savepoint: one that fails (a row the code cannot handle) is
rolled back alone, logged by exception class only, passed over for the rest of the tick and
tried again on the next, so it never holds up the others.
"""

import logging
import uuid
from datetime import datetime

import asyncpg

from mile_intake import repository
from mile_intake.handlers import change_consent
from mile_platform.clock import Clock
from mile_platform.errors import is_transient
from mile_schemas import ConsentPurpose, ConsentStatus

log = logging.getLogger(__name__)

ACTOR = "system:consent-expiry"
"""Who the consent history and the audit trail name for an expiry."""


class ConsentExpiry:
    def __init__(self, *, pool: asyncpg.Pool, city: str, clock: Clock, batch_size: int) -> None:
        self._pool = pool
        self._city = city
        self._clock = clock
        self._batch_size = batch_size

    async def tick(self) -> int:
        """Expire every consent due at the clock's current time; returns how many expired."""
        now = self._clock()
        passed_over: list[str] = []
        expired = 0
        while True:
            claimed, done = await self._expire(now, passed_over)
            expired += done
            if claimed < self._batch_size:
                return expired

    async def _expire(self, now: datetime, passed_over: list[str]) -> tuple[int, int]:
        """One batch in one transaction; how many were claimed and how many expired."""
        done = 0
        async with self._pool.acquire() as conn, conn.transaction():
            await repository.act_for_city(conn, self._city)
            claimed = await repository.claim_expired_consents(
                conn, city=self._city, today=now.date(), limit=self._batch_size, passed_over=passed_over
            )
            for row in claimed:
                try:
                    async with conn.transaction():  # a savepoint: a failure undoes this consent only
                        await self._expire_one(conn, row["participant_id"], row["purpose"], now)
                    done += 1
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    passed_over.append(f"{row['participant_id']}:{row['purpose']}")
                    # the class only: messages of validation or database errors can quote stored values
                    log.error(
                        "consent expiry of participant %s (%s) failed: %s; passed over until the next tick",
                        row["participant_id"],
                        row["purpose"],
                        type(exc).__name__,
                    )
        return len(claimed), done

    async def _expire_one(
        self, conn: asyncpg.Connection, participant_id: uuid.UUID, purpose: str, now: datetime
    ) -> None:
        participant = await repository.get_participant(conn, self._city, participant_id, for_update=True)
        await change_consent(
            conn,
            participant,
            city=self._city,
            purpose=ConsentPurpose(purpose),
            status=ConsentStatus.EXPIRED,
            notice_version=participant["notice_version"],
            recorded_by=ACTOR,
            now=now,
        )
        await repository.insert_audit(
            conn,
            city=self._city,
            actor=ACTOR,
            roles=[],
            action="consent.expired",
            participant_id=participant_id,
            request_id=f"consent-expiry-{now.date().isoformat()}",
        )
