"""Small cells are hidden, and no hidden cell can be worked out from the total and the rest."""

from itertools import product

from mile_reporting.privacy import SECONDARY_MARK, protect, show_total

T = 5


def displays(cells: dict[str, int]) -> dict[str, str]:
    return {key: shown.display for key, shown in protect(cells, T).items()}


def test_large_cells_and_zeros_are_shown_exactly() -> None:
    assert displays({"female": 12, "male": 7, "other": 0}) == {"female": "12", "male": "7", "other": "0"}


def test_a_small_cell_is_shown_as_under_the_threshold_and_another_hidden_so_the_total_does_not_give_it_away() -> None:
    assert displays({"female": 3, "male": 12, "other": 40}) == {"female": "<5", "male": SECONDARY_MARK, "other": "40"}


def test_a_total_under_the_threshold_is_hidden_and_so_are_its_cells() -> None:
    assert show_total(3, T).display == "<5"
    assert show_total(0, T).display == "0"
    assert show_total(5, T).display == "5"
    assert displays({"a": 2, "b": 1}) == {"a": "<5", "b": "<5"}


def test_two_small_cells_that_add_up_to_a_known_figure_are_protected() -> None:
    # total 8 with two "<5" cells would pin both at 4: they are hidden without any bound instead.
    assert displays({"a": 4, "b": 4}) == {"a": SECONDARY_MARK, "b": SECONDARY_MARK}


def _recoverable(cells: dict[str, int]) -> bool:
    """Brute force: does some hidden "<5" cell take a single value over all tables that look the same?"""
    published = protect(cells, T)
    total = sum(cells.values())
    hidden = [key for key, shown in published.items() if shown.value is None]
    options = {
        key: range(1, T)
        if published[key].display == "<5"
        else range(T, total + 1)
        if published[key].display == SECONDARY_MARK and any(p.display == "<5" for p in published.values())
        else range(1, total + 1)
        for key in hidden
    }
    consistent = [
        values
        for values in product(*(options[key] for key in hidden))
        if sum(values) + sum(s.value or 0 for s in published.values()) == total
    ]
    return any(
        len({values[i] for values in consistent}) == 1 for i, key in enumerate(hidden) if published[key].display == "<5"
    )


def test_no_small_cell_can_be_recovered_from_the_total_in_any_small_table() -> None:
    for cells in product(range(9), range(9), range(12)):
        table = dict(zip(("a", "b", "c"), cells, strict=True))
        assert sum(cells) < T or not _recoverable(table), table
