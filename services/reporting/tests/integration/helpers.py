"""Publishing events as a producer service would, and waiting (with deadlines) for their effect."""

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord, RecordMetadata, TopicPartition

from mile_schemas import (
    AgeBand,
    AssessmentCompleted,
    CEFRLevel,
    ConsentPurpose,
    CourseType,
    Event,
    FollowUpDue,
    FollowUpRecorded,
    GuidanceKind,
    GuidanceSessionRecorded,
    LanguageProficiency,
    LegalStatus,
    ParticipantRegistered,
    PlacementEnded,
    PlacementOutcome,
    PlacementStarted,
    RecognitionStatus,
    Sex,
    StatisticalAttributes,
    TrainingEnded,
    TrainingEnrolled,
    TrainingOutcome,
    VacancyKind,
    encode_event,
    to_headers,
)

DEADLINE_S = 60.0
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Message:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def event_message(event: Event, event_id: uuid.UUID | None = None) -> Message:
    """The record a producer's outbox relay sends: CloudEvents headers, JSON value, aggregate key."""
    return Message(event.topic(), event.key().encode(), encode_event(event), to_headers(event.meta(event_id)))


async def publish(bootstrap: str, messages: Sequence[Message]) -> list[RecordMetadata]:
    """Send all, then await every acknowledgement (per-partition order is kept)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = [await producer.send(m.topic, value=m.value, key=m.key, headers=m.headers) for m in messages]
        return list(await asyncio.gather(*sent))
    finally:
        await producer.stop()


async def wait_until_consumed(bootstrap: str, group: str, sent: Sequence[RecordMetadata]) -> None:
    """Until ``group`` has committed past every sent record (so their effect is in the database)."""
    needed: dict[TopicPartition, int] = {}
    for record in sent:
        tp = TopicPartition(record.topic, record.partition)
        needed[tp] = max(needed.get(tp, 0), record.offset + 1)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        async with asyncio.timeout(DEADLINE_S):
            for tp, offset in needed.items():
                while (await consumer.committed(tp) or 0) < offset:
                    await asyncio.sleep(0.2)
    finally:
        await consumer.stop()


async def funnel_becomes(http: httpx.AsyncClient, city: str, expected: dict[str, Any]) -> None:
    """Poll the city's funnel until it shows exactly ``expected``."""
    body: Any = None
    try:
        async with asyncio.timeout(DEADLINE_S):
            while True:
                response = await http.get("/reports/funnel", params={"city": city})
                response.raise_for_status()
                body = response.json()
                if body == expected:
                    return
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(f"funnel of {city} stayed {body}, expected {expected}") from None


async def read_topic(bootstrap: str, topic: str, *, expect: int) -> list[ConsumerRecord]:
    """Every record of ``topic`` from the beginning, once ``expect`` arrived (plus a short extra poll)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        async with asyncio.timeout(DEADLINE_S):
            while len(records) < expect:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(batch)
        for batch in (await consumer.getmany(timeout_ms=500)).values():
            records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def until_text(http: httpx.AsyncClient, path: str, expected: str) -> None:
    """Poll ``path`` until its body contains ``expected``."""
    body = ""
    try:
        async with asyncio.timeout(DEADLINE_S):
            while expected not in body:
                body = (await http.get(path)).text
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(f"{path} never showed {expected}") from None


async def until_json(http: httpx.AsyncClient, path: str, params: dict[str, str], done: Callable[[Any], bool]) -> Any:
    """Poll ``path`` until its JSON body satisfies ``done``; return that body."""
    body: Any = None
    try:
        async with asyncio.timeout(DEADLINE_S):
            while True:
                response = await http.get(path, params=params)
                response.raise_for_status()
                body = response.json()
                if done(body):
                    return body
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise AssertionError(f"{path} stayed {body}") from None


def person(
    city: str,
    sex: Sex,
    status: LegalStatus,
    *,
    completes: bool,
    rises: bool,
    trains: bool = False,
    recognition: RecognitionStatus | None = None,
) -> list[Event]:
    """One participant's journey with statistics consent: a language re-test, optionally a job kept.

    ``trains``: a host-language course (40 hours, completed) and a professional guidance session;
    with ``completes`` also the 6-month follow-up's due notice before its record.
    """
    pid = uuid.uuid4()
    stats = StatisticalAttributes(
        age_band=AgeBand.FROM_25_TO_34, sex=sex, nationality="SY", legal_status=status, recognition=recognition
    )
    events: list[Event] = [
        ParticipantRegistered(
            participant_id=pid, city=city, registered_at=T0, consents=(ConsentPurpose.STATISTICS,), statistics=stats
        )
    ]
    for day, level in ((1, CEFRLevel.A1), (60, CEFRLevel.A2 if rises else CEFRLevel.A1)):
        italian = LanguageProficiency(
            language="it", listening=level, reading=level, speaking=level, writing=level, tested=True
        )
        events.append(
            AssessmentCompleted(
                participant_id=pid,
                city=city,
                assessment_id=uuid.uuid4(),
                kind="language",
                completed_at=T0 + timedelta(days=day),
                languages=(italian,),
            )
        )
    if trains:
        events += training(city, pid, CourseType.HOST_LANGUAGE, hours=40)
        events.append(guidance(city, pid, GuidanceKind.PROFESSIONAL_GUIDANCE))
    if completes:
        ids = {"placement_id": uuid.uuid4(), "match_id": uuid.uuid4(), "vacancy_id": uuid.uuid4()}
        common = {**ids, "participant_id": pid, "city": city}
        follow_up = {**common, "follow_up_id": uuid.uuid4(), "offset_months": 6}
        due_at = T0 + timedelta(days=215)
        events += [
            PlacementStarted(**common, kind=VacancyKind.JOB, started_at=T0 + timedelta(days=10)),
            PlacementEnded(**common, outcome=PlacementOutcome.COMPLETED, ended_at=T0 + timedelta(days=40), early=False),
        ]
        if trains:
            events.append(FollowUpDue(**follow_up, due_at=due_at, window_closes_at=due_at + timedelta(days=30)))
        events += [
            FollowUpRecorded(
                **follow_up,
                employed=True,
                in_education_or_training=False,
                recorded_at=T0 + timedelta(days=220),
            ),
        ]
    return events


def training(
    city: str,
    pid: uuid.UUID,
    course: CourseType,
    *,
    hours: int,
    dropped_out: str | None = None,
    day: int = 3,
) -> list[Event]:
    """An enrolment and its end: completed, or dropped out with the reason code ``dropped_out``."""
    enrolment = uuid.uuid4()
    ends = T0 + timedelta(days=day + 30)
    return [
        TrainingEnrolled(
            participant_id=pid,
            city=city,
            enrolment_id=enrolment,
            course_type=course,
            planned_hours=60,
            starts_on=(T0 + timedelta(days=day)).date(),
            enrolled_at=T0 + timedelta(days=day),
        ),
        TrainingEnded(
            participant_id=pid,
            city=city,
            enrolment_id=enrolment,
            course_type=course,
            outcome=TrainingOutcome.DROPPED_OUT if dropped_out else TrainingOutcome.COMPLETED,
            hours_attended=hours,
            drop_out_reason=dropped_out,
            ended_at=ends,
        ),
    ]


def guidance(city: str, pid: uuid.UUID, kind: GuidanceKind, day: int = 5) -> GuidanceSessionRecorded:
    return GuidanceSessionRecorded(
        participant_id=pid,
        city=city,
        session_id=uuid.uuid4(),
        kind=kind,
        held_on=(T0 + timedelta(days=day)).date(),
        minutes=50,
        recorded_at=T0 + timedelta(days=day),
    )
