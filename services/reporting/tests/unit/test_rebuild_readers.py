"""A rebuild's readers: partitions dealt evenly, and a reader that fails or vanishes fails the rebuild."""

import queue
import threading

import pytest
from aiokafka.structs import TopicPartition

from mile_platform.settings import KafkaSettings
from mile_reporting.rebuild import Failed, RebuildFailed, _share, _take, read


def test_partitions_are_dealt_so_readers_carry_similar_loads() -> None:
    sizes = {TopicPartition("a", 0): (0, 900), TopicPartition("a", 1): (100, 600), TopicPartition("b", 0): (0, 400)}
    sizes |= {TopicPartition("c", p): (0, 100) for p in range(3)}

    shares = _share(sizes, 2)

    assert sorted(tp for share in shares for tp in share) == sorted(sizes)  # each partition read exactly once
    loads = sorted(sum(end - sizes[tp][0] for tp, end in share.items()) for share in shares)
    assert loads == [1000, 1100]  # 2,100 records: as even as whole partitions allow
    assert all(share[tp] == sizes[tp][1] for share in shares for tp in share)  # each stops at its end offset


def test_there_are_never_more_readers_than_partitions() -> None:
    assert len(_share({TopicPartition("a", 0): (0, 5)}, 4)) == 1
    assert _share({}, 2) == []


def test_a_reader_that_cannot_reach_the_broker_reports_why() -> None:
    out: queue.Queue[object] = queue.Queue()
    unreachable = KafkaSettings(bootstrap_servers="127.0.0.1:9")  # the discard port: nothing listens

    read(3, unreachable, {TopicPartition("a", 0): 10}, 100, out, threading.Event())  # type: ignore[arg-type]

    report = out.get_nowait()
    assert isinstance(report, Failed) and report.reader == 3
    assert "KafkaConnectionError" in report.error


def test_a_reader_gone_without_finishing_fails_the_rebuild_instead_of_waiting() -> None:
    gone = threading.Thread(target=lambda: None)
    gone.start()
    gone.join()

    with pytest.raises(RebuildFailed, match=r"readers \[0\] exited without finishing"):
        _take(queue.Queue(), [gone], {0})  # type: ignore[arg-type]
