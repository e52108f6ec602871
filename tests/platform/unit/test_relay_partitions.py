"""The relay's partition for a key is the one Kafka's own clients choose (aiokafka's ``send`` included),
however often it is asked and however many partitions the topic has: events of one key must share a
partition whoever publishes them, or they lose their order."""

import uuid

from aiokafka.partitioner import murmur2

from mile_platform.relay import _partition_of


def test_a_key_goes_where_kafkas_clients_send_it() -> None:
    keys = [str(uuid.uuid4()).encode() for _ in range(200)]
    for partitions in [(0, 1, 2), tuple(range(6)), (0, 1, 2, 3, 4, 5, 6, 7, 8)]:
        for key in keys * 2:  # asked twice: the second answer is remembered
            assert _partition_of(key, partitions) == partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]
