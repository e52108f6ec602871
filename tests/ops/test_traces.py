"""One `POST /participants` at an intake yields one trace across processes: the intake's HTTP
span and its outbox relay's publish span, and matching's span of the batch that applied the
event, linked to that trace (OpenTelemetry's way for batches: one span, a link per message);
received over OTLP/HTTP exactly as an OpenTelemetry collector would receive them."""

from __future__ import annotations

import asyncio
import base64
import os
import random
import string
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from mile_devstack.demo import PLUMBER, Person, participant_request
from mile_devstack.inprocess import serve
from mile_devstack.processes import free_port
from mile_devstack.services import ServiceProcess, platform_specs
from mile_devstack.tokens import DevIssuer
from mile_devstack.topics import create_topics, platform_topics

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    trace_id: str
    linked_traces: frozenset[str]


def otlp_receiver(spans: list[ReceivedSpan]) -> FastAPI:
    """The OTLP/HTTP traces endpoint of a collector, keeping what it receives."""
    app = FastAPI()

    @app.post("/v1/traces")
    async def traces(request: Request) -> Response:
        export = ExportTraceServiceRequest.FromString(await request.body())
        for resource_spans in export.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                spans.extend(
                    ReceivedSpan(
                        attributes["service.name"],
                        s.name,
                        s.trace_id.hex(),
                        frozenset(link.trace_id.hex() for link in s.links),
                    )
                    for s in scope_spans.spans
                )
        return Response(ExportTraceServiceRequest().SerializeToString(), media_type="application/x-protobuf")

    return app


@pytest.fixture
async def started() -> AsyncIterator[list[ServiceProcess]]:
    running: list[ServiceProcess] = []
    yield running
    for process in running:
        process.stop()


async def test_a_registration_is_one_trace_from_intake_through_the_relay_to_matching(
    tmp_path: Path,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    fresh_database: Callable[[str], Awaitable[str]],
    started: list[ServiceProcess],
) -> None:
    city = "trace" + "".join(random.choices(string.ascii_lowercase, k=10))
    await create_topics(kafka_bootstrap, platform_topics([city]))
    issuer = DevIssuer(tmp_path / "auth")
    spans: list[ReceivedSpan] = []
    async with serve(otlp_receiver(spans)) as collector:
        databases = {name: await fresh_database(name[:30]) for name in (f"mile_intake_{city}", "mile_matching")}
        specs = {
            spec.name: replace(
                spec,
                port=free_port(),
                env={**spec.env, "MILE_CONSUMER_GROUP_PREFIX": f"{city}-", "OTEL_BSP_SCHEDULE_DELAY": "100"},
            )
            for spec in platform_specs(
                [city],
                kafka_bootstrap,
                lambda name: databases.get(name, ""),
                base64.urlsafe_b64encode(os.urandom(32)).decode(),
                kafka_idempotence,
                otlp_endpoint=collector,
                auth_env=issuer.auth_env(),
            )
            if spec.name in (f"intake-{city}", "matching")
        }
        for spec in specs.values():
            started.append(ServiceProcess(spec, tmp_path))
        for process in started:
            await process.wait_ready(120)

        person = Person("Amina", "Trace", "1994-03-02", "female", "NG", "refugee", PLUMBER, 3)
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(
                f"{specs[f'intake-{city}'].url}/participants",
                json=participant_request(person),
                headers={"Authorization": f"Bearer {issuer.token(site=city, roles=['caseworker'])}"},
            )
        assert response.status_code == 201, response.text

        def trace_of_registration() -> set[tuple[str, str]]:
            intake = f"mile-intake-{city}"
            roots = {s.trace_id for s in spans if s.service == intake and s.name == "POST /participants"}
            assert len(roots) <= 1, "one request, one trace"
            return {(s.service, s.name.split(" ")[0]) for s in spans if s.trace_id in roots or s.linked_traces & roots}

        expected = {(f"mile-intake-{city}", "POST"), (f"mile-intake-{city}", "publish"), ("mile-matching", "process")}
        deadline = asyncio.get_running_loop().time() + 60
        while not expected <= trace_of_registration() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.2)
        assert expected <= trace_of_registration(), sorted({(s.service, s.name) for s in spans})
