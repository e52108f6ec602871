"""The dashboard in a real browser (Debian's chromium, headless): it shows exactly the API's figures."""

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright

from mile_schemas import LegalStatus, Sex

from .conftest import Reporting
from .helpers import event_message, person, publish, until_json

pytestmark = pytest.mark.integration
CHROMIUM = os.environ.get("MILE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def test_the_dashboard_shows_the_apis_figures(reporting: Reporting) -> None:
    city = reporting.city
    people = [person(city, Sex.FEMALE, LegalStatus.REFUGEE, completes=i < 5, rises=True, trains=True) for i in range(9)]
    people += [person(city, Sex.MALE, LegalStatus.OTHER, completes=False, rises=False) for _ in range(3)]
    await publish(reporting.bootstrap, [event_message(e) for journey in people for e in journey])
    # Topics and partitions arrive independently: wait for the last event of every stream.
    await until_json(
        reporting.http,
        "/reports/stages",
        {"lang": "de"},
        lambda b: _cell(b, "employed_6m", city)["value"] == 5 and _cell(b, "registered", city)["value"] == 12,
    )
    await until_json(
        reporting.http,
        "/reports/indicators",
        {"city": city},
        lambda b: next(t for t in b["indicators"] if t["id"] == "language_level_rose")["total"]["value"] == 9,
    )
    stages = (await reporting.http.get("/reports/stages", params={"lang": "de"})).json()
    indicators = (await reporting.http.get("/reports/indicators", params={"lang": "de"})).json()
    await until_json(
        reporting.http,
        "/reports/outcomes",
        {},
        lambda b: any(h["category"] == "host_language" for h in b["training_hours"]),
    )
    outcomes = (await reporting.http.get("/reports/outcomes", params={"lang": "de"})).json()
    trends = (await reporting.http.get("/reports/trends", params={"lang": "de"})).json()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(
                locale="de-DE",
                viewport={"width": 1280, "height": 1000},
                extra_http_headers={"Authorization": reporting.http.headers["Authorization"]},
            )
            await page.goto(f"{reporting.http.base_url}/reports/dashboard")
            shown = {
                (await node.get_attribute("data-table"), await node.get_attribute("data-category")): (
                    await node.text_content()
                )
                for node in await page.query_selector_all("[data-table]")
            }
            assert await page.title() == "MILE: Indikatoren pro Stadt"  # chosen by the browser's Accept-Language
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "reporting-dashboard.png"), full_page=True)
        finally:
            await browser.close()

    for table in stages["indicators"]:
        for cell in table["cells"]:
            assert shown[(f"funnel:{cell['category']}", table["id"])] == cell["display"]
    assert shown[("funnel:" + city, "registered")] == "12"
    for table in indicators["indicators"]:
        key = (table["id"], "total") if table["target"] else ("indicators", table["id"])
        assert shown[key] == table["total"]["display"]
    for trend in trends["stages"]:
        for month in trend["months"][-24:]:
            assert shown[(f"trend:{trend['stage']}", month["category"])] == month["display"]
    assert shown[("trend:in_training", "2026-03")] == trends["stages"][2]["months"][0]["display"]
    for hours in outcomes["training_hours"]:
        expected = str(hours["hours"]) if hours["hours"] is not None else hours["participants"]["display"]
        assert shown[("training_hours", hours["category"])] == expected
    coverage = outcomes["follow_up_coverage"]
    assert shown[("follow_up_coverage", "due")] == coverage["due"]["display"]
    for state in coverage["states"]:
        assert shown[("follow_up_coverage", state["category"])] == state["display"]


def _cell(body: dict[str, Any], table: str, category: str) -> dict[str, Any]:
    cells = next(t for t in body["indicators"] if t["id"] == table)["cells"]
    return next((c for c in cells if c["category"] == category), {"value": None})
