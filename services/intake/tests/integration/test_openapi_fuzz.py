"""schemathesis against intake's own OpenAPI document, over real HTTP, valid and invalid data alike.

Every operation must answer without a 5xx and as its document says (status, content type,
body schema); invalid input must be refused. Not checked: that every schema-valid request is
accepted, because the codes (ISO 3166, ISO 639, ISCO-08) are validated against their lists,
which JSON Schema patterns only approximate (a 422 naming the field is the right answer).
Runs in a worker thread because schemathesis calls synchronously while the served app lives
on the test's event loop.
"""

import asyncio

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from .conftest import Intake

pytestmark = pytest.mark.integration

EXAMPLES_PER_MODE = 25


def _fuzz(base_url: str, headers: dict[str, str]) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")

    @schema.auth()
    class Bearer:
        """The caller's credentials, known to schemathesis as such (so it also probes without them)."""

        def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
            return headers["Authorization"]

        def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
            case.headers = {**(case.headers or {}), "Authorization": data}

    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        takes_input = any(
            len(part) for part in (operation.path_parameters, operation.query, operation.headers, operation.body)
        )
        for mode in GenerationMode if takes_input else [GenerationMode.POSITIVE]:  # nothing to get wrong
            strategy = operation.as_strategy(generation_mode=mode, auth_storage=schema.auth)
            if mode is GenerationMode.POSITIVE:  # the documented examples besides generated data
                examples = schema.get_strategies_from_examples(operation, auth_storage=schema.auth)
                strategy = st.one_of(*examples, strategy)

            @settings(
                max_examples=EXAMPLES_PER_MODE,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def run(case: schemathesis.Case) -> None:
                case.call_and_validate(base_url=base_url, excluded_checks=[positive_data_acceptance])

            try:
                run()
            except Exception as exc:  # collect every operation's failure, then report them together
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    return failures


async def test_every_operation_matches_its_document_and_never_answers_5xx(intake: Intake) -> None:
    headers = intake.auth("caseworker", "auditor")
    failures = await asyncio.to_thread(_fuzz, intake.url, headers)
    assert not failures, "\n\n".join(failures)
    async with httpx.AsyncClient(base_url=intake.url) as client:
        assert (await client.get("/readyz")).status_code == 200  # still healthy after the barrage
        trail = (await client.get("/audit", params={"limit": 500}, headers=headers)).json()["items"]
        assert "participant.register" in {r["action"] for r in trail}  # valid data got past the token checks
