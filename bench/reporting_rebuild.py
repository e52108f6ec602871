"""Benchmark: rebuild reporting's projections from N generated events (default 1,000,000).

Prints the rebuild rate (one reader thread in this process, then reader processes) beside the raw
aiokafka consume rate of the same topics on the same broker, measured in the same run. Goal: at
least 20,000 events/s. Uses the brokers and PostgreSQL the tests use (``MILE_TEST_KAFKA_BOOTSTRAP``
/ ``MILE_TEST_POSTGRES_URL``, else a local tansu and PostgreSQL started here).

    uv run python bench/reporting_rebuild.py [--events 1000000] [--workers 0 2]
"""

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

from mile_devstack import testing
from mile_devstack.topics import create_topics, platform_topics
from mile_platform.settings import KafkaSettings
from mile_reporting.rebuild import DEFAULT_WORKERS, rebuild
from mile_schemas import (
    AgeBand,
    AssessmentCompleted,
    CEFRLevel,
    ConsentPurpose,
    CourseType,
    Event,
    FollowUpRecorded,
    GuidanceKind,
    GuidanceSessionRecorded,
    LanguageProficiency,
    LegalStatus,
    MatchDecided,
    MatchDecision,
    MatchProposed,
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

CITY = "benchcity"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PER_PARTICIPANT = 12
GOAL = 20_000  # events/s


def journey(i: int) -> list[Event]:
    """Twelve events of one participant, eleven of which reporting reads (a proposal it skips)."""
    pid, at = uuid.uuid4(), T0 + timedelta(minutes=i)
    stats = StatisticalAttributes(
        age_band=list(AgeBand)[i % 6],
        sex=list(Sex)[i % 2],
        nationality="UA",
        legal_status=list(LegalStatus)[i % 7],
        recognition=list(RecognitionStatus)[i % 4],
    )
    ids = {"placement_id": uuid.uuid4(), "match_id": uuid.uuid4(), "vacancy_id": uuid.uuid4()}
    common = {**ids, "participant_id": pid, "city": CITY}
    enrolment = {
        "participant_id": pid,
        "city": CITY,
        "enrolment_id": uuid.uuid4(),
        "course_type": list(CourseType)[i % 6],
    }
    levels = [list(CEFRLevel)[i % 3], list(CEFRLevel)[i % 3 + (i % 2)]]
    return [
        ParticipantRegistered(
            participant_id=pid, city=CITY, registered_at=at, consents=(ConsentPurpose.STATISTICS,), statistics=stats
        ),
        *(
            AssessmentCompleted(
                participant_id=pid,
                city=CITY,
                assessment_id=uuid.uuid4(),
                kind="language",
                completed_at=at + timedelta(days=30 * n),
                languages=(
                    LanguageProficiency(
                        language="it", listening=level, reading=level, speaking=level, writing=level, tested=True
                    ),
                ),
            )
            for n, level in enumerate(levels)
        ),
        TrainingEnrolled(
            **enrolment,
            planned_hours=60,
            starts_on=(at + timedelta(days=2)).date(),
            enrolled_at=at + timedelta(days=1),
        ),
        TrainingEnded(
            **enrolment,
            outcome=TrainingOutcome.DROPPED_OUT if i % 5 == 0 else TrainingOutcome.COMPLETED,
            hours_attended=10 + i % 50,
            drop_out_reason="found_work" if i % 5 == 0 else None,
            ended_at=at + timedelta(days=40),
        ),
        GuidanceSessionRecorded(
            participant_id=pid,
            city=CITY,
            session_id=uuid.uuid4(),
            kind=list(GuidanceKind)[i % 3],
            held_on=(at + timedelta(days=2)).date(),
            minutes=45,
            recorded_at=at + timedelta(days=2),
        ),
        MatchProposed(
            match_id=ids["match_id"],
            vacancy_id=ids["vacancy_id"],
            participant_id=pid,
            city=CITY,
            score=0.7,
            proposed_at=at + timedelta(days=3),
        ),
        MatchDecided(
            match_id=ids["match_id"],
            vacancy_id=ids["vacancy_id"],
            participant_id=pid,
            city=CITY,
            decision=MatchDecision.ACCEPTED,
            decided_at=at + timedelta(days=5),
        ),
        PlacementStarted(**common, kind=VacancyKind.JOB, started_at=at + timedelta(days=10)),
        PlacementEnded(
            **common,
            outcome=PlacementOutcome.COMPLETED if i % 4 else PlacementOutcome.DROPPED_OUT,
            reason=None if i % 4 else "moved_away",
            ended_at=at + timedelta(days=100),
            early=not i % 4,
        ),
        FollowUpRecorded(
            **common,
            follow_up_id=uuid.uuid4(),
            offset_months=6,
            employed=bool(i % 3),
            in_education_or_training=False,
            recorded_at=at + timedelta(days=290),
        ),
        FollowUpRecorded(
            **common,
            follow_up_id=uuid.uuid4(),
            offset_months=12,
            employed=True,
            in_education_or_training=False,
            recorded_at=at + timedelta(days=465),
        ),
    ]


async def produce(bootstrap: str, events: int) -> tuple[list[str], float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=1 << 20)
    await producer.start()
    started, topics, pending = time.perf_counter(), set(), []
    try:
        for i in range(events // PER_PARTICIPANT + 1):
            for event in journey(i):
                topics.add(event.topic())
                pending.append(
                    await producer.send(
                        event.topic(), encode_event(event), key=event.key().encode(), headers=to_headers(event.meta())
                    )
                )
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return sorted(topics), time.perf_counter() - started


async def raw_consume(bootstrap: str, topics: list[str]) -> tuple[int, float]:
    """Baseline: aiokafka reading the same topics from the beginning, doing nothing with them."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await reader.start()
    try:
        await reader.topics()
        partitions = [TopicPartition(t, p) for t in topics for p in reader.partitions_for_topic(t) or ()]
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        started, count = time.perf_counter(), 0
        while True:
            fetched = await reader.getmany(timeout_ms=1000, max_records=10_000)
            got = sum(len(batch) for batch in fetched.values())
            if not got:
                break
            count += got
        return count, time.perf_counter() - started - 1.0  # minus the final empty poll
    finally:
        await reader.stop()


async def main(events: int, workers_to_try: list[int]) -> None:
    with tempfile.TemporaryDirectory() as state:
        async with (
            testing.kafka_bootstrap(Path(state)) as bootstrap,
            testing.postgres_server(Path(state)) as postgres,
        ):
            await create_topics(bootstrap, platform_topics([CITY]))
            topics, seconds = await produce(bootstrap, events)
            print(f"produced {events:,} events in {seconds:.1f} s")
            count, raw_s = await raw_consume(bootstrap, topics)
            print(f"raw aiokafka consume:  {count:>10,} records  {count / raw_s:>10,.0f} records/s")
            figures = []
            for workers in workers_to_try:
                target = await testing.fresh_database(postgres, f"bench_reporting_{workers}")
                result = await rebuild(target, KafkaSettings(bootstrap_servers=bootstrap), workers=workers)
                print(
                    f"reporting rebuild ({workers} worker processes): {result.records:>10,} records"
                    f"  {result.events_per_second:>10,.0f} events/s  ({result.applied:,} applied,"
                    f" {result.rejected:,} rejected)  goal ≥ {GOAL:,} events/s"
                )
                figures.append(
                    {
                        "figure": f"rebuild from {result.records:,} events, {workers} worker processes",
                        "value": f"{result.events_per_second:,.0f} events/s",
                        "baseline": f"raw aiokafka consume of the same topics: {count / raw_s:,.0f} records/s",
                        "goal": f"≥ {GOAL:,} events/s",
                        "met": result.events_per_second >= GOAL,
                    }
                )
            print("FIGURES " + json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, DEFAULT_WORKERS], help="rebuild once per value")
    args = parser.parse_args()
    asyncio.run(main(args.events, args.workers))
