"""Kafka clients built the same way for every service.

The faststream ``KafkaBroker`` carries the subscribers (and their AsyncAPI
document); a plain aiokafka producer serves the outbox relay and dead letters,
because they send batches and await the acknowledgements as a group (DESIGN §9).
Both use ``acks=all``; the idempotent producer is a switch because the embedded
broker lacks it.
"""

import logging
import re
import ssl
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from mile_platform.settings import KafkaSettings


def _ssl_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    if settings.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    context = ssl.create_default_context(cafile=settings.ssl_cafile)
    if settings.ssl_certfile:
        context.load_cert_chain(settings.ssl_certfile, settings.ssl_keyfile)
    return context


def broker_security(settings: KafkaSettings) -> BaseSecurity | None:
    """faststream security object for the configured protocol."""
    context = _ssl_context(settings)
    if settings.sasl_mechanism is None:
        return BaseSecurity(ssl_context=context, use_ssl=context is not None) if context else None
    password = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
    kinds = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
    return kinds[settings.sasl_mechanism](
        username=settings.sasl_username or "",
        password=password,
        ssl_context=context,
        use_ssl=context is not None,
    )


def client_options(settings: KafkaSettings) -> dict[str, Any]:
    """aiokafka keyword arguments for the same connection."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
    }
    context = _ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if settings.sasl_mechanism is not None:
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = settings.sasl_password.get_secret_value() if settings.sasl_password else None
    return options


def make_broker(settings: KafkaSettings, *, service: str, idempotence: bool) -> KafkaBroker:
    return KafkaBroker(
        settings.bootstrap_servers,
        client_id=f"mile-{service}",
        security=broker_security(settings),
        acks="all",
        enable_idempotence=idempotence,
        logger=logging.getLogger("mile.faststream"),
        description=f"MILE {service} service",
    )


def make_producer(settings: KafkaSettings, *, service: str, idempotence: bool) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        client_id=f"mile-{service}-producer",
        acks="all",
        enable_idempotence=idempotence,
        linger_ms=5,
        **client_options(settings),
    )


async def topic_partitions(options: dict[str, Any], pattern: str) -> list[TopicPartition]:
    """Every partition of the topics whose whole name matches ``pattern``, in name order.

    Asks the admin API: a consumer's own metadata holds only the topics it tracks
    (on Apache Kafka ``partitions_for_topic`` is None for the rest).
    """
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        described = await admin.describe_topics()
    finally:
        await admin.close()
    return sorted(
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        if re.fullmatch(pattern, topic["topic"])
        for partition in topic["partitions"]
    )
