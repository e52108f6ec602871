"""What a running service holds: settings, pool, Kafka clients, relay and consumer.

Every service builds one ``Runtime`` the same way (``mile_platform.app``); the
FastAPI lifespan starts its parts in dependency order and stops them in reverse.
"""

from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from mile_platform.broker import make_broker, make_producer
from mile_platform.collector import settle_collector
from mile_platform.migrations import apply_migrations
from mile_platform.pool import connect_pool
from mile_platform.relay import OutboxRelay
from mile_platform.settings import ServiceSettings
from mile_platform.subscriber import Consumer, ReliableSubscriber
from mile_schemas import load_code_tables


@dataclass
class Runtime:
    service: str
    settings: ServiceSettings
    migration_packages: list[str]
    consumer: Consumer | None = None
    pool: asyncpg.Pool | None = None
    broker: KafkaBroker = field(init=False)
    subscriber: ReliableSubscriber | None = field(default=None, init=False)
    producer: AIOKafkaProducer | None = None  # aiokafka clients must be made inside the event loop
    relay: OutboxRelay | None = None
    migrated: bool = False

    def __post_init__(self) -> None:
        self.broker = make_broker(
            self.settings.kafka, service=self.service, idempotence=self.settings.platform.kafka_idempotence
        )
        if self.consumer is not None:
            self.subscriber = ReliableSubscriber(
                service=self.service,
                consumer=self.consumer,
                pool=self.db,
                producer=self.kafka_producer,
                settings=self.settings.platform,
            )
            self.subscriber.register(self.broker)

    def db(self) -> asyncpg.Pool:
        if self.pool is None:
            raise RuntimeError("database pool not started")
        return self.pool

    def kafka_producer(self) -> AIOKafkaProducer:
        if self.producer is None:
            raise RuntimeError("producer not started")
        return self.producer

    async def start(self) -> None:
        platform = self.settings.platform
        self.pool = await connect_pool(self.settings)
        await apply_migrations(self.pool, self.migration_packages)
        self.migrated = True
        self.producer = make_producer(self.settings.kafka, service=self.service, idempotence=platform.kafka_idempotence)
        await self.producer.start()
        self.relay = OutboxRelay(
            service=self.service,
            database_url=self.settings.database_url,
            producer=self.producer,
            batch_size=platform.relay_batch_size,
            poll_interval_s=platform.relay_poll_interval_s,
        )
        await self.relay.start()
        load_code_tables()  # before the collector freezes what exists: the tables are never scanned
        settle_collector()
        await self.broker.start()

    async def stop(self) -> None:
        if self.subscriber is not None:
            await self.subscriber.drain()  # its last batch, committed while the consumer still runs
        await self.broker.stop()
        if self.relay is not None:
            await self.relay.stop()
        if self.producer is not None:
            await self.producer.stop()
        if self.pool is not None:
            await self.pool.close()
