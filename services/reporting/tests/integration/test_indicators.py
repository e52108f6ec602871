"""Indicators over a real broker and PostgreSQL: counted once, broken down, small cells suppressed."""

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from mile_schemas import LegalStatus, Sex

from .conftest import Reporting
from .helpers import event_message, person, publish, until_json, until_text

pytestmark = pytest.mark.integration


def table(body: dict[str, Any], indicator: str) -> dict[str, Any]:
    return next(t for t in body["indicators"] if t["id"] == indicator)


async def test_indicators_count_each_participant_once_and_hide_small_cells(reporting: Reporting) -> None:
    city = reporting.city
    women = [person(city, Sex.FEMALE, LegalStatus.REFUGEE, completes=True, rises=True) for _ in range(6)]
    men = [person(city, Sex.MALE, LegalStatus.ASYLUM_SEEKER, completes=i < 2, rises=False) for i in range(7)]
    events = [e for journey in women + men for e in journey]
    await publish(reporting.bootstrap, [event_message(e) for e in events])
    await publish(reporting.bootstrap, [event_message(e) for e in events])  # re-sent: counted once

    params = {"city": city, "breakdown": "sex", "period": "2026"}
    body = await until_json(
        reporting.http,
        "/reports/indicators",
        params,
        # events of several topics arrive independently: wait until every stream is in
        lambda b: all(
            table(b, indicator)["total"]["value"] == expected
            for indicator, expected in (
                ("participants_supported", 13),
                ("full_model", 8),
                ("employed_six_months", 8),
                ("language_level_rose", 6),
            )
        ),
    )

    supported = table(body, "participants_supported")
    assert {c["category"]: c["display"] for c in supported["cells"]} == {"female": "6", "male": "7"}
    full = table(body, "full_model")
    assert full["total"] == {"value": 8, "display": "8"}
    assert full["target"] == 120 and full["progress_percent"] == 6.7
    # 2 men completed: "<5", and the women's 6 hidden too, else 8 - 6 would give the men away.
    assert {c["category"]: c["display"] for c in full["cells"]} == {"female": "*", "male": "<5"}
    refugees = table(body, "full_model_refugees")
    assert refugees["total"]["display"] == "6"
    assert table(body, "language_level_rose")["total"]["display"] == "6"
    assert table(body, "employed_six_months")["total"]["display"] == "8"
    assert table(body, "professional_guidance")["total"]["display"] == "0"  # nobody had a guidance session
    assert table(body, "reached_by_services")["total"]["display"] == "5"

    gauge = f'mile_reporting_participants{{city="{city}",stage="employed_6m"}} 8.0'
    await until_text(reporting.http, "/metrics", gauge)

    exported = await reporting.http.get("/reports/indicators.csv", params={**params, "lang": "it"})
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][1] == "Indicatore"
    assert ["full_model", "Partecipanti che hanno completato il modello", "male", "Uomini", "<5", ""] in rows
    workbook = await reporting.http.get("/reports/indicators.xlsx", params=params)
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["full_model", "Participants through the full model", "total", "Total", 8, 120] in cells
    assert ["full_model", "Participants through the full model", "female", "Women", "*", None] in cells

    timing = (await reporting.http.get("/reports/outcomes", params={"city": city})).json()
    assert timing["registration_to_placement"] == {
        "participants": {"value": 8, "display": "8"},
        "median_days": 10.0,
        "p90_days": 10.0,
    }

    elsewhere = (await reporting.http.get("/reports/indicators", params={**params, "period": "2025-12"})).json()
    assert table(elsewhere, "participants_supported")["total"]["display"] == "0"

    greek = await reporting.http.get("/reports/indicators", params=params, headers={"Accept-Language": "el;q=0.9, xx"})
    assert table(greek.json(), "participants_supported")["label"] == "Συμμετέχοντες που υποστηρίχθηκαν"


async def test_bad_query_parameters_are_refused_naming_the_field(reporting: Reporting) -> None:
    for params, field in (({"period": "2026-13"}, "period"), ({"breakdown": "religion"}, "breakdown")):
        refused = await reporting.http.get("/reports/indicators", params=params)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["field"] == field
