"""What a batch of events changes in every projection: pure, so it can be computed anywhere.

The live consumer reduces and applies in one transaction; a rebuild reduces in worker
processes and applies in order, with the same rules, so the two cannot differ.
"""

from collections.abc import Sequence
from typing import NamedTuple

from mile_reporting.domain import FunnelChanges, funnel_changes
from mile_reporting.facts import FactChanges, fact_changes
from mile_reporting.measures import MeasureChanges, measure_changes
from mile_schemas import Event


class Changes(NamedTuple):
    funnel: FunnelChanges
    facts: FactChanges
    measures: MeasureChanges


def changes(events: Sequence[Event]) -> Changes:
    return Changes(funnel_changes(events), fact_changes(events), measure_changes(events))
