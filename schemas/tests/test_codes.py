"""Public-standard codes: valid ones normalise, invalid ones are rejected."""

import subprocess
import sys
from datetime import date

import pytest
from pydantic import TypeAdapter, ValidationError

from mile_schemas.codes import (
    AgeBand,
    CEFRLevel,
    CitySlug,
    Country,
    ESCOUri,
    ISCEDLevel,
    ISCO08Code,
    Language,
    ReasonCode,
    age_band,
)


@pytest.mark.parametrize(("raw", "code"), [("it", "it"), ("EN", "en"), ("ita", "it"), ("prs", "prs")])
def test_language_normalises_to_639_1_or_639_3(raw: str, code: str) -> None:
    assert TypeAdapter(Language).validate_python(raw) == code


@pytest.mark.parametrize("raw", ["xx", "zzz", "english", "e", ""])
def test_language_rejects_unknown_codes(raw: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Language).validate_python(raw)


@pytest.mark.parametrize(("raw", "code"), [("IT", "IT"), ("sy", "SY"), ("XK", "XK")])
def test_country_is_upper_case_alpha_2(raw: str, code: str) -> None:
    assert TypeAdapter(Country).validate_python(raw) == code


@pytest.mark.parametrize("raw", ["XX", "ITA", "I", "Italy"])
def test_country_rejects_unknown_codes(raw: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Country).validate_python(raw)


def test_cefr_rank_orders_levels() -> None:
    assert [level.rank for level in CEFRLevel] == [1, 2, 3, 4, 5, 6]
    assert CEFRLevel.B1.meets(CEFRLevel.A2)
    assert CEFRLevel.B1.meets(CEFRLevel.B1)
    assert not CEFRLevel.A2.meets(CEFRLevel.B1)
    with pytest.raises(ValidationError):
        TypeAdapter(CEFRLevel).validate_python("D1")


@pytest.mark.parametrize(
    ("birth", "on", "band"),
    [
        (date(2010, 6, 1), date(2025, 6, 1), AgeBand.FROM_15_TO_24),
        (date(2000, 6, 2), date(2025, 6, 1), AgeBand.FROM_15_TO_24),
        (date(2000, 6, 1), date(2025, 6, 1), AgeBand.FROM_25_TO_34),
        (date(1990, 1, 1), date(2025, 1, 1), AgeBand.FROM_35_TO_44),
        (date(1971, 1, 1), date(2025, 1, 1), AgeBand.FROM_45_TO_54),
        (date(1961, 1, 2), date(2025, 1, 1), AgeBand.FROM_55_TO_64),
        (date(1960, 1, 1), date(2025, 1, 1), AgeBand.FROM_65),
        (date(2000, 2, 29), date(2025, 2, 28), AgeBand.FROM_15_TO_24),
    ],
)
def test_age_band(birth: date, on: date, band: AgeBand) -> None:
    assert age_band(birth, on) is band


def test_age_band_rejects_children() -> None:
    with pytest.raises(ValueError, match="below working age"):
        age_band(date(2015, 1, 1), date(2025, 1, 1))


def test_other_code_formats() -> None:
    assert TypeAdapter(ISCEDLevel).validate_python(3) is ISCEDLevel.UPPER_SECONDARY
    for bad_isced in (9, -1):
        with pytest.raises(ValidationError):
            TypeAdapter(ISCEDLevel).validate_python(bad_isced)
    for isco in ("7", "71", "712", "7126"):
        assert TypeAdapter(ISCO08Code).validate_python(isco) == isco
    for bad_isco in ("71260", "7a", ""):
        with pytest.raises(ValidationError):
            TypeAdapter(ISCO08Code).validate_python(bad_isco)
    with pytest.raises(ValidationError):
        TypeAdapter(ESCOUri).validate_python("https://example.org/esco/occupation/1")
    for bad_city in ("Milan", "m", "san-sebastian", "a" * 33):
        with pytest.raises(ValidationError):
            TypeAdapter(CitySlug).validate_python(bad_city)
    with pytest.raises(ValidationError):
        TypeAdapter(ReasonCode).validate_python("The participant said she was ill")


def test_code_tables_are_read_when_asked_not_on_import() -> None:
    """Importing the contracts stays cheap for tools; a service reads the tables while it starts,
    so its first event naming a language does not wait for them."""
    script = """
import pycountry
import mile_schemas
tables = (pycountry.languages, pycountry.countries)
print([t._is_loaded for t in tables])
mile_schemas.load_code_tables()
print([t._is_loaded for t in tables])
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["[False, False]", "[True, True]"]
