"""Master key, topic list and database URLs: pure helpers, no processes."""

from __future__ import annotations

import base64
import re
import stat
from pathlib import Path

from mile_devstack.databases import database_url
from mile_devstack.master_key import load_or_create_master_key
from mile_devstack.topics import PARTITIONS, platform_topics

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_master_key_is_created_once_and_private(tmp_path: Path) -> None:
    key = load_or_create_master_key(tmp_path)
    assert len(base64.urlsafe_b64decode(key)) == 32
    assert stat.S_IMODE((tmp_path / "master.key").stat().st_mode) == 0o600
    assert load_or_create_master_key(tmp_path) == key


def test_every_topic_has_its_dead_letter_topic() -> None:
    topics = platform_topics(["milan", "patras"])
    assert topics[:2] == ["mile.intake.milan.participants.v1", "mile.intake.milan.participants.v1.dlt"]
    assert {"mile.matching.vacancies.v1.dlt", "mile.placement.placements.v1.dlt"} <= set(topics)
    assert len(topics) == 2 * 5


def test_embedded_topics_have_the_partitions_deployed_ones_have() -> None:
    """So replicas split a topic on a laptop as they do on Kubernetes, and a bench measures that."""
    deployed = [
        int(n)
        for path in [*DEPLOY.glob("k8s/base/*/topics.yaml"), DEPLOY / "compose" / "create-topics.sh"]
        for n in re.findall(r"partitions:? (\d+)", path.read_text())
    ]
    assert len(deployed) > 2
    assert set(deployed) == {PARTITIONS}


def test_database_url_keeps_credentials_host_and_query() -> None:
    server = "postgresql://user:pw@db.example:5432/postgres?sslmode=require"
    assert database_url(server, "mile_matching") == (
        "postgresql://user:pw@db.example:5432/mile_matching?sslmode=require"
    )
