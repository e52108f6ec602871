"""Demo data for the embedded default, loaded through the services' HTTP APIs.

Every write carries a stable ``Idempotency-Key``, so loading the demo into an
existing ``.mile/`` again changes nothing. The people are invented; the codes
are real (ISCO-08, ESCO, ISO 3166, ISO 639, CEFR).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

PLUMBER, COOK, CLEANER, CARE_WORKER = "7126", "5120", "9112", "5322"
DEMO_START_DATE = "2026-03-02"  # fixed, so a reload repeats the same confirmation under its key


@dataclass(frozen=True)
class Person:
    given_name: str
    family_name: str
    birth_date: str
    sex: str
    nationality: str | None
    legal_status: str
    isco08: str
    years: float
    italian_level: str = "B1"
    consents: tuple[str, ...] = ("case_management", "matching", "statistics")


def participant_request(person: Person, *, host_language: str = "it") -> dict[str, Any]:
    """A registration body as a caseworker's frontend would send it."""
    level = person.italian_level
    return {
        "personal": {
            "given_name": person.given_name,
            "family_name": person.family_name,
            "birth_date": person.birth_date,
            "email": f"{person.given_name}.{person.family_name}@example.org".lower(),
        },
        "sex": person.sex,
        "nationality": person.nationality,
        "profile": {
            "legal_status": person.legal_status,
            "work_permit": {"scope": "full"},
            "languages": [
                {"language": host_language, "listening": level, "reading": level, "speaking": level, "writing": level}
            ],
            "education": [{"isced_level": 3, "country": person.nationality, "recognition": "requested"}],
            "experience": [{"isco08": person.isco08, "years": person.years}],
            "expectations": {"desired_isco08": [person.isco08], "hours_per_week": 30, "max_commute_km": 25},
            "municipality": "Centro",
        },
        "needs": {"codes": ["host_language"]},
        "consents": list(person.consents),
        "notice_version": "2026-01",
    }


def employer_request(name: str) -> dict[str, Any]:
    """An employer as a liaison registers it in matching (its contact stays in matching)."""
    return {"name": name, "nace": "F43.2", "municipality": "Centro", "contact": {"person": "Demo Contact"}}


def vacancy_request(
    city: str,
    *,
    employer_id: str,
    title: str,
    isco08: str,
    positions: int = 1,
    language: str = "it",
    min_level: str = "A2",
) -> dict[str, Any]:
    """An employer liaison's vacancy (a work-experience place) in ``city``, of an employer registered there."""
    return {
        "employer_id": employer_id,
        "city": city,
        "kind": "work_experience",
        "title": title,
        "isco08": isco08,
        "essential_skills": [],
        "optional_skills": [],
        "languages": [{"language": language, "min_level": min_level}],
        "municipality": "Centro",
        "positions": positions,
        "hours_per_week": 30,
        "start_date": "2027-01-11",
        "accepted_legal_statuses": [],
    }


DEMO_PEOPLE: tuple[Person, ...] = (
    Person("Amina", "Yusuf", "1994-03-02", "female", "NG", "refugee", PLUMBER, 3),
    Person("Tesfaye", "Bekele", "1988-11-20", "male", "ER", "subsidiary_protection", COOK, 6),
    Person("Farida", "Rahimi", "1999-07-14", "female", "AF", "refugee", CARE_WORKER, 2, "A2"),
    Person("Omar", "Haddad", "1991-01-30", "male", "SY", "asylum_seeker", CLEANER, 4, "A2"),
    Person("Lina", "Mansour", "2001-05-09", "female", None, "work_permit_holder", COOK, 1, "A1"),
)
HOST_LANGUAGE = {"milan": "it", "viladecans": "es", "innsbruck": "de", "athens": "el", "patras": "el"}


def load_demo(
    urls: dict[str, str], *, token_for: Callable[[str], str], liaison_token_for: Callable[[str], str]
) -> None:
    """Register people at every intake, open vacancies, accept a proposal and run a placement.

    ``token_for(city)`` gives a caseworker's bearer token for that city (its intake, its
    participants' proposals and placements); ``liaison_token_for(city)`` an employer liaison's
    (its employers and vacancies in matching).
    """
    cities = [name.removeprefix("intake-") for name in urls if name.startswith("intake-")]
    with httpx.Client(timeout=10.0) as client:
        for city in cities:
            language = HOST_LANGUAGE.get(city, "en")
            caseworker = {"Authorization": f"Bearer {token_for(city)}"}
            for index, person in enumerate(DEMO_PEOPLE):
                registered = _post(
                    client,
                    f"{urls[f'intake-{city}']}/participants",
                    participant_request(person, host_language=language),
                    key=f"demo-{city}-person-{index}",
                    headers=caseworker,
                )
                _train(
                    client,
                    f"{urls[f'intake-{city}']}/participants/{registered['participant_id']}",
                    language,
                    key=f"demo-{city}-person-{index}",
                    completed=index == 0,
                    headers=caseworker,
                )
            liaison = {"Authorization": f"Bearer {liaison_token_for(city)}"}
            employer = _post(
                client,
                f"{urls['matching']}/employers",
                employer_request(f"Cooperativa Demo {city.title()}"),
                key=f"demo-{city}-employer",
                headers=liaison,
            )
            for isco08, title in ((PLUMBER, "Plumbing apprentice"), (COOK, "Kitchen assistant")):
                vacancy = _post(
                    client,
                    f"{urls['matching']}/vacancies",
                    vacancy_request(
                        city,
                        employer_id=employer["employer_id"],
                        title=title,
                        isco08=isco08,
                        positions=2,
                        language=language,
                    ),
                    key=f"demo-{city}-vacancy-{isco08}",
                    headers=liaison,
                )
                # the plumbing place has run its course; the kitchen one is still under way
                _place_first_proposal(
                    client,
                    urls,
                    vacancy["vacancy_id"],
                    key=f"demo-{city}-{isco08}",
                    complete=isco08 == PLUMBER,
                    token_for=token_for,
                    liaison=liaison,
                )
    print(f"demo data loaded: {len(DEMO_PEOPLE)} participants in each of {len(cities)} cities")


def _train(
    client: httpx.Client, participant_url: str, language: str, *, key: str, completed: bool, headers: dict[str, str]
) -> None:
    """A host-language course for everyone; one person completed it and was re-assessed a level up."""
    course = {"course_type": "host_language", "language": language, "planned_hours": 120, "starts_on": "2026-02-02"}
    enrolment = _post(client, f"{participant_url}/training", course, key=f"{key}-course", headers=headers)
    if not completed:
        return
    ended = {"outcome": "completed", "hours_attended": 114, "certificate": True}
    _post(
        client, f"{participant_url}/training/{enrolment['enrolment_id']}/end", ended, key=f"{key}-end", headers=headers
    )
    levels = {"listening": "B2", "reading": "B2", "speaking": "B2", "writing": "B1", "tested": True}
    reassessment = {
        "assessor": "Demo assessor",
        "completed_at": "2026-06-15T09:00:00Z",
        "languages": [{"language": language, **levels}],
    }
    _post(client, f"{participant_url}/assessments/language", reassessment, key=f"{key}-cefr", headers=headers)


def _place_first_proposal(
    client: httpx.Client,
    urls: dict[str, str],
    vacancy_id: str,
    *,
    key: str,
    complete: bool,
    token_for: Callable[[str], str],
    liaison: dict[str, str],
) -> None:
    """Accept the best proposal for a vacancy, start its placement and maybe complete it.

    Proposals and placements arrive asynchronously, through the broker. The vacancy's liaison
    sees its proposals; the participant's city's caseworker decides and runs the placement.
    """
    matches = _wait_for(
        lambda: client.get(f"{urls['matching']}/matches", params={"vacancy_id": vacancy_id}, headers=liaison).json()
    )
    if not matches:
        return
    match = max(matches, key=lambda m: m["score"])
    caseworker = {"Authorization": f"Bearer {token_for(match['city'])}"}
    if match["status"] == "proposed":
        _post(
            client,
            f"{urls['matching']}/matches/{match['match_id']}/decision",
            {"decision": "accepted"},
            key=f"{key}-accept",
            headers=caseworker,
        )
    placements = _wait_for(  # once placement knows the vacancy's kind, the terms can be confirmed
        lambda: [
            p
            for p in client.get(
                f"{urls['placement']}/placements", params={"match_id": match["match_id"]}, headers=caseworker
            ).json()
            if p["kind"] is not None
        ]
    )
    if not placements:
        return
    placement_url = f"{urls['placement']}/placements/{placements[0]['placement_id']}"
    if placements[0]["state"] == "proposed":
        terms = {"contract_type": "traineeship", "start_date": DEMO_START_DATE, "weekly_hours": 30}
        _post(client, f"{placement_url}/confirm", terms, key=f"{key}-confirm", headers=caseworker)
    if placements[0]["state"] in ("proposed", "confirmed"):
        _post(client, f"{placement_url}/start", {}, key=f"{key}-start", headers=caseworker)
    if complete and placements[0]["state"] in ("proposed", "confirmed", "started"):
        _post(client, f"{placement_url}/end", {"outcome": "completed"}, key=f"{key}-end", headers=caseworker)


def _wait_for(read: Callable[[], list[dict[str, Any]]], timeout: float = 30.0) -> list[dict[str, Any]]:
    """Poll a list endpoint until it has items (or give up and return the empty list)."""
    deadline = time.monotonic() + timeout
    while not (items := read()) and time.monotonic() < deadline:
        time.sleep(0.3)
    return items


def _post(
    client: httpx.Client, url: str, body: dict[str, Any], *, key: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = client.post(url, json=body, headers={"Idempotency-Key": key, **(headers or {})})
    if response.status_code >= 400:
        raise RuntimeError(f"demo: POST {url} answered {response.status_code}: {response.text}")
    return response.json()
