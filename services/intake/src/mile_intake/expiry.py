"""Consent expiry: a consent given until a day lapses by itself on that day, durably and once.

Each tick claims due consents in batches with ``FOR UPDATE SKIP LOCKED`` (locking the
participant too, so a request changing them is never deadlocked but skipped until the next
tick), records the expiry, and writes ``ConsentChanged(status=expired)`` to the outbox in the
same transaction. Another replica skips the rows this one holds, and a committed expiry no
longer matches, so each consent expires exactly once however many replicas run. Without
matching consent the profile stops travelling: later snapshots carry none (fail-closed).
"""

import asyncio
import contextlib
import json
import logging
import uuid
from datetime import datetime

import asyncpg

from mile_intake import domain, repository
from mile_intake.clock import Clock
from mile_intake.profile import ParticipantProfile
from mile_platform.errors import is_transient
from mile_platform.outbox import add_events
from mile_schemas import ConsentPurpose, ConsentStatus, StatisticalAttributes

log = logging.getLogger(__name__)

ACTOR = "system:consent-expiry"
"""Who the consent history and the audit trail name for an expiry."""


class ConsentExpiry:
    def __init__(self, *, pool: asyncpg.Pool, city: str, clock: Clock, interval_s: float, batch_size: int) -> None:
        self._pool = pool
        self._city = city
        self._clock = clock
        self._interval_s = interval_s
        self._batch_size = batch_size
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="consent-expiry")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def tick(self) -> int:
        """Expire every consent due at the clock's current time; returns how many expired."""
        now = self._clock()
        expired = 0
        while (batch := await self._expire(now)) == self._batch_size:
            expired += batch
        return expired + batch

    async def _expire(self, now: datetime) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            await repository.act_for_city(conn, self._city)
            claimed = await repository.claim_expired_consents(
                conn, city=self._city, today=now.date(), limit=self._batch_size
            )
            consents: dict[uuid.UUID, set[ConsentPurpose]] = {}
            events = []
            for row in claimed:
                participant_id, purpose = row["participant_id"], ConsentPurpose(row["purpose"])
                held = consents.get(participant_id, set(row["consents"]))
                consents[participant_id] = domain.consents_after(held, purpose, ConsentStatus.EXPIRED)
                await repository.add_consent_record(
                    conn,
                    city=self._city,
                    participant_id=participant_id,
                    purpose=purpose.value,
                    status=ConsentStatus.EXPIRED.value,
                    notice_version=row["notice_version"],
                    recorded_by=ACTOR,
                    recorded_at=now,
                )
                await repository.set_consents(
                    conn,
                    city=self._city,
                    participant_id=participant_id,
                    consents=sorted(consents[participant_id]),
                    notice_version=row["notice_version"],
                )
                events.append(
                    domain.consent_changed_event(
                        participant_id=participant_id,
                        city=self._city,
                        purpose=purpose,
                        status=ConsentStatus.EXPIRED,
                        notice_version=row["notice_version"],
                        changed_at=now,
                        stats=StatisticalAttributes.model_validate(json.loads(row["statistics"])),
                        profile=ParticipantProfile.model_validate(json.loads(row["profile"])),
                    )
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
            await add_events(conn, events)
        return len(claimed)

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                level = logging.WARNING if is_transient(exc) else logging.ERROR
                log.log(level, "consent expiry tick failed: %r; retrying", exc)
            await asyncio.sleep(self._interval_s)
