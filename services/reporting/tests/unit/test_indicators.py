"""The shipped indicator definitions are valid and carry MILE's targets; bad definitions stop the start."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from mile_reporting.i18n import choose_language
from mile_reporting.indicators import load_indicators


def test_the_shipped_definitions_carry_miles_targets() -> None:
    definitions = load_indicators()
    targets = {i.id: i.target for i in definitions.indicators if i.target}
    assert targets == {"full_model": 120, "full_model_refugees": 20, "reached_by_services": 400}
    measures = {i.id: i.measures for i in definitions.indicators if i.measures}
    assert measures == {
        "language_course": ("host_language",),
        "civic_orientation": ("civic_orientation",),
        "professional_guidance": ("professional_guidance",),
    }
    recognition = definitions.by_id("recognition_applied")
    assert recognition is not None and [s.value for s in recognition.recognition] == ["requested", "partial", "full"]
    refugees = definitions.by_id("full_model_refugees")
    assert refugees is not None and [s.value for s in refugees.legal_status] == ["refugee"]


@pytest.mark.parametrize(
    ("definition", "complaint"),
    [
        ("- {id: a, common: mile, labels: {en: A}}", "it"),  # a language missing
        ("- {id: a, common: mile, labels: {en: A, it: A, es: A, de: A, el: A}}", "names its stage"),
        ("- {id: a, common: mile, stage: seen, labels: {en: A, it: A, es: A, de: A, el: A}}", "stage"),
        (
            "- {id: a, common: mile, measure: cefr_improved, stage: placed,"
            " labels: {en: A, it: A, es: A, de: A, el: A}}",
            "takes no stage",
        ),
        (
            "- {id: a, common: amif_esf, measure: supported, measures: [juggling],"
            " labels: {en: A, it: A, es: A, de: A, el: A}}",
            "unknown measure 'juggling'",
        ),
        (
            "- {id: a, common: amif_esf, measure: supported, labels: {en: A, it: A, es: A, de: A, el: A}}",
            "measures are named by",
        ),
        (
            "- {id: a, common: amif_esf, measure: recognition, recognition: [],"
            " labels: {en: A, it: A, es: A, de: A, el: A}}",
            "at least one status",
        ),
        (
            "- {id: a, common: mile, stage: placed, labels: {en: A, it: A, es: A, de: A, el: A}}\n"
            "- {id: a, common: mile, stage: placed, labels: {en: A, it: A, es: A, de: A, el: A}}",
            "unique",
        ),
    ],
)
def test_an_invalid_definition_is_refused(tmp_path: Path, definition: str, complaint: str) -> None:
    path = tmp_path / "indicators.yaml"
    path.write_text("indicators:\n" + "\n".join("  " + line for line in definition.splitlines()))
    with pytest.raises(ValidationError, match=complaint):
        load_indicators(path)


@pytest.mark.parametrize(
    ("query", "header", "chosen"),
    [
        ("el", "de", "el"),
        (None, "fr-FR, de;q=0.8, it;q=0.9", "it"),
        (None, "es-ES", "es"),
        (None, "fr, xx;q=0.5", "en"),
        (None, None, "en"),
        ("xx", "de;q=nonsense, el", "el"),
    ],
)
def test_the_language_comes_from_the_query_then_accept_language(
    query: str | None, header: str | None, chosen: str
) -> None:
    assert choose_language(query, header) == chosen
