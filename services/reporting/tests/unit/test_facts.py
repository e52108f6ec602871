"""Statistics, language levels and drop-outs a batch leaves behind: newest, once each, consent-bound."""

import uuid
from datetime import UTC, datetime, timedelta

from mile_reporting.facts import UNSPECIFIED_REASON, fact_changes
from mile_schemas import (
    AgeBand,
    AssessmentCompleted,
    CEFRLevel,
    ConsentChanged,
    ConsentPurpose,
    ConsentStatus,
    LanguageProficiency,
    LegalStatus,
    ParticipantRegistered,
    PlacementEnded,
    PlacementOutcome,
    Sex,
    StatisticalAttributes,
)

PID = uuid.uuid4()
T0 = datetime(2026, 3, 1, tzinfo=UTC)
STATS = StatisticalAttributes(
    age_band=AgeBand.FROM_25_TO_34, sex=Sex.FEMALE, nationality=None, legal_status=LegalStatus.REFUGEE
)


def registered() -> ParticipantRegistered:
    return ParticipantRegistered(
        participant_id=PID, city="milan", registered_at=T0, consents=(ConsentPurpose.STATISTICS,), statistics=STATS
    )


def withdrawn(at: datetime) -> ConsentChanged:
    return ConsentChanged(
        participant_id=PID,
        city="milan",
        purpose=ConsentPurpose.STATISTICS,
        status=ConsentStatus.WITHDRAWN,
        notice_version="1",
        changed_at=at,
    )


def test_withdrawn_statistics_consent_forgets_the_attributes_whatever_the_order() -> None:
    for batch in ([registered(), withdrawn(T0 + timedelta(days=1))], [withdrawn(T0 + timedelta(days=1)), registered()]):
        [snapshot] = fact_changes(batch).statistics
        assert snapshot.attributes is None


def test_only_tested_levels_count_and_the_weakest_skill_sets_the_level() -> None:
    tested = LanguageProficiency(
        language="it",
        listening=CEFRLevel.B1,
        reading=CEFRLevel.A2,
        speaking=CEFRLevel.B1,
        writing=CEFRLevel.B2,
        tested=True,
    )
    declared = LanguageProficiency(
        language="en", listening=CEFRLevel.C1, reading=CEFRLevel.C1, speaking=CEFRLevel.C1, writing=CEFRLevel.C1
    )
    assessment = AssessmentCompleted(
        participant_id=PID,
        city="milan",
        assessment_id=uuid.uuid4(),
        kind="language",
        completed_at=T0,
        languages=(tested, declared),
    )
    [level] = fact_changes([assessment, assessment]).levels
    assert (level.language, level.rank) == ("it", 2)


def test_a_drop_out_without_a_reason_is_unspecified_and_other_endings_are_no_drop_out() -> None:
    ids = {"placement_id": uuid.uuid4(), "match_id": uuid.uuid4(), "vacancy_id": uuid.uuid4()}

    def ended(outcome: PlacementOutcome) -> PlacementEnded:
        return PlacementEnded(**ids, participant_id=PID, city="milan", outcome=outcome, ended_at=T0, early=True)

    [dropped] = fact_changes([ended(PlacementOutcome.DROPPED_OUT), ended(PlacementOutcome.COMPLETED)]).drop_outs
    assert dropped.reason == UNSPECIFIED_REASON
