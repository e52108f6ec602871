"""Training, guidance, recognition and follow-ups over a real broker and PostgreSQL: counted once, suppressed."""

import csv
import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from mile_schemas import CourseType, Event, FollowUpDue, FollowUpMissed, LegalStatus, RecognitionStatus, Sex

from .conftest import Reporting
from .helpers import T0, event_message, person, publish, training, until_json

pytestmark = pytest.mark.integration


def table(body: dict[str, Any], indicator: str) -> dict[str, Any]:
    return next(t for t in body["indicators"] if t["id"] == indicator)


def missed_follow_up(city: str, pid: uuid.UUID) -> list[Event]:
    ids = {"placement_id": uuid.uuid4(), "match_id": uuid.uuid4(), "vacancy_id": uuid.uuid4()}
    common = {**ids, "participant_id": pid, "city": city, "follow_up_id": uuid.uuid4(), "offset_months": 6}
    due_at = T0 + timedelta(days=215)
    return [
        FollowUpDue(**common, due_at=due_at, window_closes_at=due_at + timedelta(days=30)),
        FollowUpMissed(**common, due_at=due_at, missed_at=due_at + timedelta(days=30)),
    ]


async def test_training_guidance_recognition_and_follow_ups_reach_indicators_outcomes_and_exports(
    reporting: Reporting,
) -> None:
    city = reporting.city
    # 6 women: a language course (40 h, completed), professional guidance, recognition requested,
    # a placement whose 6-month follow-up was due and recorded.
    women = [
        person(city, Sex.FEMALE, LegalStatus.REFUGEE, completes=True, rises=True, trains=True,
               recognition=RecognitionStatus.REQUESTED)
        for _ in range(6)
    ]  # fmt: skip
    # 7 men: 5 left civic orientation (10 h each) for work, 2 completed vocational training; 6 follow-ups missed.
    men = [person(city, Sex.MALE, LegalStatus.ASYLUM_SEEKER, completes=False, rises=False) for _ in range(7)]
    for i, journey in enumerate(men):
        pid = journey[0].participant_id  # type: ignore[attr-defined]
        if i < 5:
            journey += training(city, pid, CourseType.CIVIC_ORIENTATION, hours=10, dropped_out="found_work")
        else:
            journey += training(city, pid, CourseType.VOCATIONAL, hours=50)
        if i < 6:
            journey += missed_follow_up(city, pid)
    events = [e for journey in women + men for e in journey]
    await publish(reporting.bootstrap, [event_message(e) for e in events])
    await publish(reporting.bootstrap, [event_message(e) for e in events])  # re-sent: counted once

    params = {"city": city, "breakdown": "sex", "period": "2026"}
    expected = {
        "language_course": 6,
        "civic_orientation": 5,
        "professional_guidance": 6,
        "recognition_applied": 6,
        "employed_six_months": 6,
    }
    body = await until_json(
        reporting.http,
        "/reports/indicators",
        params,
        lambda b: all(table(b, name)["total"]["value"] == n for name, n in expected.items()),
    )
    assert {c["category"]: c["display"] for c in table(body, "language_course")["cells"]} == {"female": "6"}
    assert {c["category"]: c["display"] for c in table(body, "civic_orientation")["cells"]} == {"male": "5"}
    assert {c["category"]: c["display"] for c in table(body, "recognition_applied")["cells"]} == {"female": "6"}

    stages = await until_json(
        reporting.http,
        "/reports/stages",
        params,
        lambda b: table(b, "in_training")["total"]["value"] == 13 and table(b, "trained")["total"]["value"] == 8,
    )
    # 2 men trained: "<5", so the women's 6 are hidden too.
    assert {c["category"]: c["display"] for c in table(stages, "trained")["cells"]} == {"female": "*", "male": "<5"}

    outcomes = await until_json(
        reporting.http,
        "/reports/outcomes",
        {"city": city, "lang": "es"},
        lambda b: b["follow_up_coverage"]["due"]["value"] == 12 and len(b["training_hours"]) == 3,
    )
    assert [
        (h["category"], h["label"], h["participants"]["display"], h["hours"]) for h in outcomes["training_hours"]
    ] == [
        ("civic_orientation", "Orientación cívica", "5", 50),
        ("host_language", "Curso de idioma", "6", 240),
        ("vocational", "Formación profesional", "<5", None),  # 2 people: their hours are hidden too
    ]
    assert [(c["category"], c["display"]) for c in outcomes["training_drop_out_reasons"]] == [("found_work", "5")]
    coverage = outcomes["follow_up_coverage"]
    assert [(c["category"], c["display"]) for c in coverage["states"]] == [
        ("recorded", "6"),
        ("missed", "6"),
        ("pending", "0"),
    ]
    assert coverage["recorded_percent"] == 50.0

    trends = (await reporting.http.get("/reports/trends", params={"city": city})).json()
    by_stage = {t["stage"]: t for t in trends["stages"]}
    assert list(by_stage) == [
        "registered", "assessed", "in_training", "trained", "matched", "placed", "completed", "employed_6m"
    ]  # fmt: skip
    assert [(m["category"], m["display"]) for m in by_stage["in_training"]["months"]] == [("2026-03", "13")]
    assert [(m["category"], m["display"]) for m in by_stage["trained"]["months"]] == [("2026-04", "8")]
    assert by_stage["employed_6m"]["total"]["display"] == "6"
    one = (await reporting.http.get("/reports/trend", params={"city": city, "stage": "trained"})).json()
    assert one == by_stage["trained"]

    exported = await reporting.http.get("/reports/indicators.csv", params={**params, "lang": "de"})
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert ["language_course", "Teilnehmende, unterstützt durch einen Sprachkurs", "total", "Gesamt", "6", ""] in rows
    assert ["in_training", "In Schulung", "total", "Gesamt", "13", ""] in rows
    workbook = load_workbook(io.BytesIO((await reporting.http.get("/reports/indicators.xlsx", params=params)).content))
    outcome_rows = [[c.value for c in row] for row in workbook["Outcomes"].iter_rows()]
    assert ["training_hours", "host_language", "Host-language course", 6, 240] in outcome_rows
    assert ["follow_up_coverage", "due", "Due", 12, 50.0] in outcome_rows
