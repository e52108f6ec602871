"""One city sealed from another: tokens, roles, object-level checks, row-level security, audit."""

import time
import uuid

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from mile_devstack.demo import PLUMBER, Person, participant_request
from mile_devstack.tokens import AUDIENCE, ISSUER

from .conftest import Intake, random_city

pytestmark = pytest.mark.integration

AMINA = Person("Amina", "Yusuf", "1994-03-02", "female", "NG", "refugee", PLUMBER, 3)

# Every endpoint that takes a participant id, with the roles that may use it.
PARTICIPANT_ENDPOINTS = [
    ("GET", "/participants/{id}", None, ("caseworker", "admin", "auditor")),
    ("GET", "/participants/{id}/export", None, ("caseworker", "admin")),
    ("DELETE", "/participants/{id}", None, ("caseworker", "admin")),
    (
        "POST",
        "/participants/{id}/consents",
        {"purpose": "employer_contact", "status": "given", "notice_version": "2026-02"},
        ("caseworker", "admin"),
    ),
    (
        "PATCH",
        "/participants/{id}",
        {"profile": {**participant_request(AMINA)["profile"], "municipality": "Nord"}},
        ("caseworker", "admin"),
    ),
    (
        "POST",
        "/participants/{id}/assessments/skills",
        {"assessor": "N. Rossi", "completed_at": "2026-01-10T10:00:00Z", "sections": ["skills"]},
        ("caseworker", "admin"),
    ),
    (
        "POST",
        "/participants/{id}/assessments/language",
        {
            "assessor": "N. Rossi",
            "completed_at": "2026-01-10T10:00:00Z",
            "languages": [{"language": "it", "listening": "B1", "reading": "B1", "speaking": "B1", "writing": "A2"}],
        },
        ("caseworker", "admin"),
    ),
    ("GET", "/participants/{id}/assessments", None, ("caseworker", "admin", "auditor")),
    (
        "POST",
        "/participants/{id}/training",
        {"course_type": "vocational", "planned_hours": 120, "starts_on": "2026-10-01"},
        ("caseworker", "admin"),
    ),
    ("GET", "/participants/{id}/training", None, ("caseworker", "admin", "auditor")),
    (
        "POST",
        "/participants/{id}/training/{enrolment}/end",
        {"outcome": "completed", "hours_attended": 110, "certificate": True},
        ("caseworker", "admin"),
    ),
    (
        "POST",
        "/participants/{id}/guidance-sessions",
        {"kind": "professional_guidance", "held_on": "2026-01-10", "minutes": 30, "notes": "CV drafted"},
        ("caseworker", "admin"),
    ),
    ("GET", "/participants/{id}/guidance-sessions", None, ("caseworker", "admin", "auditor")),
]


def someone() -> Person:
    """A person of this test only (the duplicate check refuses registering one twice)."""
    return Person(f"Amina{uuid.uuid4().hex[:8]}", "Yusuf", "1994-03-02", "female", "NG", "refugee", PLUMBER, 3)


def _foreign_token(intake: Intake) -> str:
    """Well-formed and claiming this city, but signed by a key the service does not trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "site": intake.city, "roles": ["admin"]}
    return jwt.encode({**claims, "exp": int(time.time()) + 600}, key, algorithm="ES256", headers={"kid": "x"})


def _assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


@pytest.mark.parametrize(("method", "path", "body", "allowed"), PARTICIPANT_ENDPOINTS)
async def test_participant_endpoints_answer_401_403_404_by_token(
    intake: Intake, method: str, path: str, body: dict | None, allowed: tuple[str, ...]
) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:

        async def someone_enrolled() -> tuple[str, str]:
            """A participant of this city and, for paths naming one, an enrolment of theirs."""
            participant = (await intake.register(client, someone()))["participant_id"]
            if "{enrolment}" not in path:
                return participant, ""
            enrolment = await client.post(
                f"/participants/{participant}/training",
                json={"course_type": "digital", "planned_hours": 10, "starts_on": "2026-10-01"},
                headers=intake.auth(),
            )
            return participant, enrolment.json()["enrolment_id"]

        participant_id, enrolment_id = await someone_enrolled()

        async def call(
            headers: dict[str, str], participant: str = participant_id, enrolment: str = enrolment_id
        ) -> httpx.Response:
            headers = {**headers, "If-Match": "*"}  # the version check is not what this test is about
            url = path.format(id=participant, enrolment=enrolment)
            return await client.request(method, url, json=body, headers=headers)

        missing = await call({})
        _assert_problem(missing, 401)
        assert missing.headers["www-authenticate"].startswith("Bearer")
        _assert_problem(await call({"Authorization": f"Bearer {_foreign_token(intake)}"}), 401)
        _assert_problem(await call({"Authorization": "Bearer not.a.jwt"}), 401)
        expired = intake.issuer.token(site=intake.city, roles=["caseworker"], ttl_s=-3600)
        _assert_problem(await call({"Authorization": f"Bearer {expired}"}), 401)
        for role in {"caseworker", "admin", "auditor", "programme_manager", "employer_liaison"} - set(allowed):
            _assert_problem(await call(intake.auth(role)), 403)
        for role in allowed:
            _assert_problem(await call(intake.auth(role, site=random_city())), 404)
            _assert_problem(await call(intake.auth(role), str(uuid.uuid4())), 404)
            own, own_enrolment = await someone_enrolled()
            assert (await call(intake.auth(role), own, own_enrolment)).status_code < 300


async def test_registering_needs_a_writer_of_this_city(intake: Intake) -> None:
    body = participant_request(someone())
    async with httpx.AsyncClient(base_url=intake.url) as client:
        _assert_problem(await client.post("/participants", json=body), 401)
        for role in ("auditor", "programme_manager", "employer_liaison"):
            _assert_problem(await client.post("/participants", json=body, headers=intake.auth(role)), 403)
        other_city = intake.auth("caseworker", site=random_city())
        _assert_problem(await client.post("/participants", json=body, headers=other_city), 403)
        response = await client.post("/participants", json=body, headers=intake.auth("admin"))
        assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("where", "field", "value"),
    [
        ((), "site", "milan"),
        ((), "city", "milan"),
        ((), "status", "placed"),
        ((), "participant_id", str(uuid.uuid4())),
        ((), "created_at", "2026-01-01T00:00:00Z"),
        ((), "actor", "someone"),
        (("personal",), "request_id", "r1"),
    ],
)
async def test_fields_the_server_owns_are_refused_with_422(
    intake: Intake, where: tuple[str, ...], field: str, value: str
) -> None:
    body = participant_request(someone())
    target = body
    for part in where:
        target = target[part]
    target[field] = value
    async with httpx.AsyncClient(base_url=intake.url) as client:
        response = await client.post("/participants", json=body, headers=intake.auth())
    _assert_problem(response, 422)
    assert ".".join([*where, field]) in response.json()["detail"]


async def test_row_level_security_confines_the_service_role_to_its_city(intake: Intake) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        await intake.register(client, AMINA)
    conn = await asyncpg.connect(intake.database_url)
    try:

        async def visible(city: str | None) -> int:
            async with conn.transaction():
                await conn.execute("SET LOCAL ROLE mile_intake_app")
                if city is not None:
                    await conn.execute("SELECT set_config('mile.city', $1, true)", city)
                return sum(
                    [
                        await conn.fetchval("SELECT count(*) FROM participants"),
                        await conn.fetchval("SELECT count(*) FROM participant_keys"),
                        await conn.fetchval("SELECT count(*) FROM intake_audit"),
                    ]
                )

        assert await visible(intake.city) == 3
        assert await visible(random_city()) == 0
        assert await visible(None) == 0
        owner = await conn.fetchval("SELECT tableowner FROM pg_tables WHERE tablename = 'participants'")
        assert owner != "mile_intake_app"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with conn.transaction():
                await conn.execute("SET LOCAL ROLE mile_intake_app")
                await conn.execute("SELECT set_config('mile.city', $1, true)", intake.city)
                await conn.execute("DELETE FROM intake_audit")  # the audit trail is append-only
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with conn.transaction():
                await conn.execute("SET LOCAL ROLE mile_intake_app")
                await conn.execute("SELECT set_config('mile.city', $1, true)", random_city())
                await conn.execute(
                    "INSERT INTO participant_keys (participant_id, city, wrapped_key) VALUES ($1, $2, '')",
                    uuid.uuid4(),
                    intake.city,
                )
    finally:
        await conn.close()


async def test_every_read_and_change_of_personal_data_is_audited_for_auditors(intake: Intake) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        participant_id = (await intake.register(client, AMINA, **{"X-Request-ID": "req-register-1"}))["participant_id"]
        read = await client.get(
            f"/participants/{participant_id}", headers={**intake.auth("caseworker"), "X-Request-ID": "req-read-1"}
        )
        assert read.status_code == 200
        assert read.headers["x-request-id"] == "req-read-1"
        assert read.json()["personal"]["given_name"] == "Amina"

        _assert_problem(await client.get("/audit", headers=intake.auth("caseworker")), 403)
        _assert_problem(await client.get("/audit", headers=intake.auth("auditor", site=random_city())), 403)
        trail = await client.get("/audit", params={"participant_id": participant_id}, headers=intake.auth("auditor"))
        assert trail.status_code == 200, trail.text
        records = trail.json()["items"]
        assert [(r["action"], r["request_id"], r["participant_id"]) for r in records] == [
            ("participant.register", "req-register-1", participant_id),
            ("participant.read", "req-read-1", participant_id),
        ]
        assert all(r["actor"] == f"dev-caseworker@{intake.city}" and r["roles"] == ["caseworker"] for r in records)

        first = await client.get("/audit", params={"limit": 1}, headers=intake.auth("auditor"))
        after = first.json()["next_after"]
        rest = await client.get("/audit", params={"after": after}, headers=intake.auth("auditor"))
        assert [r["action"] for r in rest.json()["items"]] == ["participant.read"]
        assert rest.json()["next_after"] is None


@pytest.mark.parametrize("field", ["site", "status", "version", "participant_id", "consents"])
async def test_updates_cannot_set_what_the_server_owns(intake: Intake, field: str) -> None:
    async with httpx.AsyncClient(base_url=intake.url) as client:
        participant_id = (await intake.register(client, someone()))["participant_id"]
        response = await client.patch(
            f"/participants/{participant_id}", json={field: "x"}, headers={**intake.auth(), "If-Match": "*"}
        )
    _assert_problem(response, 422)
    assert field in response.json()["detail"]
