"""What the end-to-end tests share: the services' subscriptions, polling, and idempotent POSTs."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pycountry

from mile_matching.subscribers import PATTERN as MATCHING_PATTERN
from mile_placement.subscribers import PATTERN as PLACEMENT_PATTERN
from mile_reporting.subscribers import TOPICS_PATTERN as REPORTING_PATTERN

T = TypeVar("T")
SPOKEN_ELSEWHERE = frozenset(
    {"ar", "de", "el", "en", "es", "fa", "fr", "it", "nl", "pl", "ps", "pt", "ro", "so", "sv", "ti", "uk", "ur"}
)
"""Languages the demo, the benches and other tests register people with: matching reads every city's
participants on the shared broker, so a vacancy requiring one of these could be proposed their people."""
_handed_out: set[str] = set()
CONSUMING = {"matching": MATCHING_PATTERN, "placement": PLACEMENT_PATTERN, "reporting": REPORTING_PATTERN}
"""Each shared service's subscription: its consumer group's lag is measured over these topics."""


def run_language() -> str:
    """A language only this test registers anyone with (in this process), so only its own people
    can qualify for its vacancies, whatever other tests left on the shared broker."""
    codes = {lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")}
    language = random.choice(sorted(codes - SPOKEN_ELSEWHERE - _handed_out))
    _handed_out.add(language)
    return language


async def until(read: Callable[[], Awaitable[T]], ok: Callable[[T], bool], timeout: float = 90.0) -> T:
    """Poll ``read`` until ``ok`` holds; fail with the last value seen."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await read()
        if ok(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {value!r}")
        await asyncio.sleep(0.3)


async def post(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """POST once under a fresh idempotency key; anything but 200/201 fails with the body."""
    response = await client.post(url, json=body, headers={"Idempotency-Key": str(uuid.uuid4()), **(headers or {})})
    assert response.status_code in (200, 201), response.text
    return response.json()
