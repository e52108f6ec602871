"""The demo data `make up` loads shows in reporting's funnel, and loading it again changes nothing."""

import asyncio

import httpx
import pytest

from mile_devstack.demo import DEMO_PEOPLE, load_demo

from .conftest import Platform

pytestmark = pytest.mark.e2e


async def test_demo_data_reaches_the_funnel_of_every_city(platform: Platform) -> None:
    urls = {name: platform.url(name) for name in platform.specs}

    def token_for(city: str) -> str:
        return platform.issuer.token(site=city, roles=["caseworker"])

    def liaison_token_for(city: str) -> str:
        return platform.issuer.token(site=city, roles=["employer_liaison"])

    tokens = {"token_for": token_for, "liaison_token_for": liaison_token_for}
    await asyncio.to_thread(load_demo, urls, **tokens)
    await asyncio.to_thread(load_demo, urls, **tokens)  # idempotency keys: a second load is a no-op

    async with httpx.AsyncClient(base_url=platform.url("reporting")) as client:
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            funnels = [
                (await client.get("/reports/funnel", headers=platform.auth(c, "programme_manager"))).json()
                for c in platform.cities
            ]
            if all(f["completed"] >= 1 for f in funnels) or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.3)
    for funnel in funnels:
        assert funnel["registered"] == len(DEMO_PEOPLE)
        assert funnel["matched"] >= funnel["placed"] >= funnel["completed"] >= 1
