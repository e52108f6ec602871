"""Intake's HTTP API for the city's own frontend: thin, no SQL, no rules."""

import functools
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator

from mile_intake import handlers, measures, repository
from mile_intake.access import (
    REQUEST_ID_HEADER,
    Auditor,
    Lister,
    Reader,
    Writer,
    require_city,
    require_participant_city,
)
from mile_intake.commands import (
    EndTraining,
    EnrolInTraining,
    RecordConsent,
    RecordGuidanceSession,
    RecordLanguageAssessment,
    RecordSkillsAssessment,
    RegisterParticipant,
    UpdateParticipant,
    UtcTime,
)
from mile_intake.crypto import Keyring
from mile_intake.settings import IntakeSettings
from mile_intake.views import (
    AssessmentView,
    AuditPage,
    ConsentView,
    EnrolmentView,
    GuidanceSessionRecordedView,
    GuidanceSessionView,
    ParticipantCreated,
    ParticipantExport,
    ParticipantPage,
    ParticipantView,
    audit_page,
    decode_cursor,
    participant_page,
)
from mile_platform.clock import Clock
from mile_platform.web import runtime_of
from mile_platform.writes import IdempotencyKey, write_once
from mile_schemas import LegalStatus

router = APIRouter(prefix="/participants", tags=["participants"])
measures_router = APIRouter(prefix="/participants/{participant_id}", tags=["assessments, training, guidance"])
audit_router = APIRouter(prefix="/audit", tags=["audit"])
V = TypeVar("V", bound=BaseModel)

_PROBLEMS = {401: {"description": "no or invalid bearer token"}, 403: {"description": "role not allowed"}}
_ID_PROBLEMS = {**_PROBLEMS, 404: {"description": "no such participant in this city"}}


def _iso_only(value: object) -> object:
    """Only ISO 8601 text: pydantic would also take a bare number as seconds since 1970."""
    if not (isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}", value)):
        raise ValueError("expected an ISO 8601 date-time with a UTC offset")
    return value


IsoDateTime = Annotated[UtcTime, BeforeValidator(_iso_only)]


def _context(request: Request) -> tuple[IntakeSettings, Keyring]:
    return request.app.state.settings, request.app.state.keyring


def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock()


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ParticipantCreated,
    responses={**_PROBLEMS, 409: {"description": "already registered; `existing_participant_id` names them"}},
)
async def register(
    command: RegisterParticipant,
    request: Request,
    response: Response,
    actor: Writer,
    idempotency_key: IdempotencyKey = None,
) -> ParticipantCreated:
    """Register a participant; emits ``ParticipantRegistered`` (what consent allows).

    The answer holds no personal data (read it with GET); the same person registered
    twice (normalised name and birth date) is a 409 naming the existing participant.
    """
    settings, keyring = _context(request)
    require_city(actor, settings.city)
    code, body = await write_once(
        request,
        key=idempotency_key,
        command=command,
        success=status.HTTP_201_CREATED,
        run=lambda conn: handlers.register_participant(
            conn, command, city=settings.city, keyring=keyring, actor=actor, now=_now(request)
        ),
    )
    response.status_code = code
    response.headers[REQUEST_ID_HEADER] = actor.request_id
    return ParticipantCreated.model_validate(body)


@router.get("", response_model=ParticipantPage, responses=_PROBLEMS)
async def list_participants(
    request: Request,
    actor: Lister,
    status: Annotated[str | None, Query(max_length=32)] = None,
    legal_status: LegalStatus | None = None,
    language: Annotated[str | None, Query(pattern="^[a-z]{2,3}$", description="ISO 639 code")] = None,
    created_from: IsoDateTime | None = None,
    created_before: IsoDateTime | None = None,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ParticipantPage:
    """This city's participants, oldest first, filtered; pseudonymous entries (no names)."""
    settings, _ = _context(request)
    require_city(actor, settings.city)
    try:
        after = decode_cursor(cursor) if cursor else None
    except ValueError as exc:
        raise RequestValidationError([{"loc": ("query", "cursor"), "msg": str(exc), "type": "value_error"}]) from exc
    async with runtime_of(request).db().acquire() as conn, conn.transaction():
        await repository.act_for_city(conn, settings.city)
        rows = await repository.list_participants(
            conn,
            city=settings.city,
            status=status,
            legal_status=legal_status.value if legal_status else None,
            language=language,
            created_from=created_from,
            created_before=created_before,
            after=after,
            limit=limit,
        )
    return participant_page(rows, limit)


@router.get("/{participant_id}", response_model=ParticipantView, responses=_ID_PROBLEMS)
async def read(participant_id: uuid.UUID, request: Request, response: Response, actor: Reader) -> ParticipantView:
    """A participant's full record, personal data decrypted; the read is audited."""
    settings, keyring = _context(request)
    require_participant_city(actor, settings.city, participant_id)
    async with runtime_of(request).db().acquire() as conn, conn.transaction():
        view = await handlers.read_participant(conn, participant_id, city=settings.city, keyring=keyring, actor=actor)
    response.headers[REQUEST_ID_HEADER] = actor.request_id
    response.headers["ETag"] = handlers.etag(view.version)
    return view


@router.patch(
    "/{participant_id}",
    response_model=ParticipantView,
    responses={
        **_ID_PROBLEMS,
        409: {"description": "the change would make them a duplicate of another participant"},
        412: {"description": "changed since the ETag was read"},
        428: {"description": "If-Match missing"},
    },
)
async def update(
    participant_id: uuid.UUID,
    command: UpdateParticipant,
    request: Request,
    response: Response,
    actor: Writer,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=100)] = None,
) -> ParticipantView:
    """Change part of a participant (optimistic concurrency: If-Match with the ETag read);
    emits ``ParticipantProfileUpdated`` with what consent allows. Audited."""
    settings, keyring = _context(request)
    require_participant_city(actor, settings.city, participant_id)
    async with runtime_of(request).db().acquire() as conn, conn.transaction():
        view = await handlers.update_participant(
            conn,
            participant_id,
            command,
            if_match=if_match,
            city=settings.city,
            keyring=keyring,
            actor=actor,
            now=_now(request),
        )
    response.headers[REQUEST_ID_HEADER] = actor.request_id
    response.headers["ETag"] = handlers.etag(view.version)
    return view


@router.post(
    "/{participant_id}/consents",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsentView,
    responses=_ID_PROBLEMS,
)
async def record_consent(
    participant_id: uuid.UUID,
    command: RecordConsent,
    request: Request,
    response: Response,
    actor: Writer,
    idempotency_key: IdempotencyKey = None,
) -> ConsentView:
    """Record consent given, withdrawn or expired for one purpose; emits ``ConsentChanged``
    (with the profile only when matching consent is given). Audited."""
    settings, _ = _context(request)
    require_participant_city(actor, settings.city, participant_id)
    code, body = await write_once(
        request,
        key=idempotency_key,
        command=command,
        success=status.HTTP_201_CREATED,
        run=lambda conn: handlers.record_consent(
            conn, participant_id, command, city=settings.city, actor=actor, now=_now(request)
        ),
    )
    response.status_code = code
    response.headers[REQUEST_ID_HEADER] = actor.request_id
    return ConsentView.model_validate(body)


@router.delete("/{participant_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_ID_PROBLEMS)
async def erase(participant_id: uuid.UUID, request: Request, actor: Writer) -> Response:
    """Erase the person for good (GDPR Art. 17): their data key is destroyed, rows deleted,
    and ``ParticipantErased`` tells every shared service to drop them. Audited."""
    settings, _ = _context(request)
    require_participant_city(actor, settings.city, participant_id)
    async with runtime_of(request).db().acquire() as conn, conn.transaction():
        await handlers.erase_participant(conn, participant_id, city=settings.city, actor=actor, now=_now(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT, headers={REQUEST_ID_HEADER: actor.request_id})


@router.get("/{participant_id}/export", response_model=ParticipantExport, responses=_ID_PROBLEMS)
async def export(participant_id: uuid.UUID, request: Request, response: Response, actor: Writer) -> ParticipantExport:
    """Everything held about the person (GDPR Art. 15), audit trail included. Audited."""
    settings, keyring = _context(request)
    require_participant_city(actor, settings.city, participant_id)
    async with runtime_of(request).db().acquire() as conn, conn.transaction():
        view = await handlers.export_participant(
            conn, participant_id, city=settings.city, keyring=keyring, actor=actor, now=_now(request)
        )
    response.headers[REQUEST_ID_HEADER] = actor.request_id
    return view


class _Write:
    """A write about one participant, as a dependency: its endpoint only names the command,
    the answer's model and the handler. City check, one transaction, replayable by key."""

    def __init__(
        self,
        participant_id: uuid.UUID,
        request: Request,
        response: Response,
        actor: Writer,
        idempotency_key: IdempotencyKey = None,
    ) -> None:
        self.participant_id, self.request, self.response, self.actor = participant_id, request, response, actor
        self.key = idempotency_key

    async def __call__(
        self,
        command: BaseModel,
        view: type[V],
        run: Callable[..., Awaitable[BaseModel]],
        success: int = status.HTTP_201_CREATED,
    ) -> V:
        """``run(conn, participant_id, command, city=, actor=, now=)`` is a handler of ``measures``."""
        settings, _ = _context(self.request)
        require_participant_city(self.actor, settings.city, self.participant_id)
        now = _now(self.request)
        code, body = await write_once(
            self.request,
            key=self.key,
            command=command,
            success=success,
            run=lambda conn: run(conn, self.participant_id, command, city=settings.city, actor=self.actor, now=now),
        )
        self.response.status_code = code
        self.response.headers[REQUEST_ID_HEADER] = self.actor.request_id
        return view.model_validate(body)


Write = Annotated[_Write, Depends()]


class _Read:
    """A read of one participant's records, as a dependency: city check, one transaction."""

    def __init__(self, participant_id: uuid.UUID, request: Request, response: Response, actor: Reader) -> None:
        self.participant_id, self.request, self.response, self.actor = participant_id, request, response, actor

    async def __call__(self, run: Callable[..., Awaitable[V]]) -> V:
        """``run(conn, participant_id, city=, actor=)`` is a reader of ``measures``."""
        settings, _ = _context(self.request)
        require_participant_city(self.actor, settings.city, self.participant_id)
        async with runtime_of(self.request).db().acquire() as conn, conn.transaction():
            result = await run(conn, self.participant_id, city=settings.city, actor=self.actor)
        self.response.headers[REQUEST_ID_HEADER] = self.actor.request_id
        return result


Read = Annotated[_Read, Depends()]


@measures_router.post(
    "/assessments/skills", status_code=status.HTTP_201_CREATED, response_model=AssessmentView, responses=_ID_PROBLEMS
)
async def record_skills_assessment(command: RecordSkillsAssessment, write: Write) -> AssessmentView:
    """Record a skills assessment (who, when, which sections); emits ``AssessmentCompleted``. Audited."""
    return await write(command, AssessmentView, measures.record_skills_assessment)


@measures_router.post(
    "/assessments/language", status_code=status.HTTP_201_CREATED, response_model=AssessmentView, responses=_ID_PROBLEMS
)
async def record_language_assessment(command: RecordLanguageAssessment, write: Write) -> AssessmentView:
    """Record a language (re-)assessment, CEFR per skill; the levels found replace those held.
    Emits ``AssessmentCompleted`` and ``ParticipantProfileUpdated`` (what consent allows). Audited."""
    return await write(command, AssessmentView, measures.record_language_assessment)


@measures_router.get("/assessments", response_model=list[AssessmentView], responses=_ID_PROBLEMS)
async def list_assessments(read: Read) -> list[AssessmentView]:
    """The participant's assessments, oldest first. Audited."""
    return await read(measures.list_assessments)


@measures_router.post(
    "/training", status_code=status.HTTP_201_CREATED, response_model=EnrolmentView, responses=_ID_PROBLEMS
)
async def enrol_in_training(command: EnrolInTraining, write: Write) -> EnrolmentView:
    """Enrol the participant in a course; emits ``TrainingEnrolled``. Audited."""
    return await write(command, EnrolmentView, measures.enrol_in_training)


@measures_router.get("/training", response_model=list[EnrolmentView], responses=_ID_PROBLEMS)
async def list_training(read: Read) -> list[EnrolmentView]:
    """The participant's enrolments, oldest first. Audited."""
    return await read(measures.list_training)


@measures_router.post(
    "/training/{enrolment_id}/end",
    response_model=EnrolmentView,
    responses={**_ID_PROBLEMS, 409: {"description": "the enrolment already ended"}},
)
async def end_training(
    participant_id: uuid.UUID, enrolment_id: uuid.UUID, command: EndTraining, write: Write
) -> EnrolmentView:
    """End an enrolment: completed (hours, certificate) or dropped out (reason code); emits
    ``TrainingEnded``. Audited."""
    return await write(
        command,
        EnrolmentView,
        lambda conn, _, *args, **kwargs: measures.end_training(conn, participant_id, enrolment_id, *args, **kwargs),
        success=status.HTTP_200_OK,
    )


@measures_router.post(
    "/guidance-sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=GuidanceSessionRecordedView,
    responses=_ID_PROBLEMS,
)
async def record_guidance_session(command: RecordGuidanceSession, write: Write) -> GuidanceSessionRecordedView:
    """Record a tutoring or guidance session; notes are held encrypted and never published.
    Emits ``GuidanceSessionRecorded``. Audited."""
    _, keyring = _context(write.request)
    return await write(
        command, GuidanceSessionRecordedView, functools.partial(measures.record_guidance_session, keyring=keyring)
    )


@measures_router.get("/guidance-sessions", response_model=list[GuidanceSessionView], responses=_ID_PROBLEMS)
async def list_guidance_sessions(read: Read) -> list[GuidanceSessionView]:
    """The participant's sessions with their notes, decrypted. Audited."""
    _, keyring = _context(read.request)
    return await read(functools.partial(measures.list_guidance_sessions, keyring=keyring))


@audit_router.get("", response_model=AuditPage, responses=_PROBLEMS)
async def audit_trail(
    request: Request,
    actor: Auditor,
    participant_id: uuid.UUID | None = None,
    after: Annotated[int, Query(ge=0, le=2**62, description="cursor: the last id of the previous page")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Who read or changed personal data at this intake (auditors only), oldest first."""
    settings, _ = _context(request)
    require_city(actor, settings.city)
    async with runtime_of(request).db().acquire() as conn, conn.transaction():
        await repository.act_for_city(conn, settings.city)
        rows = await repository.audit_records(conn, participant_id=participant_id, after=after, limit=limit)
    return audit_page(rows, limit)
