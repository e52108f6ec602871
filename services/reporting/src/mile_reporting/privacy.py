"""Small-cell suppression: no published figure, alone or with its total, singles out a person.

A table is a set of cells (one category each) and a total, the sum of the cells.

- **Primary**: a cell counting 1 to ``threshold - 1`` people is shown as ``"<5"`` (for the
  default threshold 5). A total under the threshold is shown the same way.
- **Secondary**: when the total is shown, a reader can subtract the visible cells from it and
  learn the sum of the hidden ones, then bound each hidden cell (a "<5" cell holds at least 1
  and at most ``threshold - 1``; a "*" cell at least ``threshold``). More cells are hidden,
  smallest first, until every "<5" cell can still take at least two values; they are shown as
  ``"*"``. If that is impossible every non-zero cell is shown as ``"*"`` (no bound at all),
  rather than hiding the total: a total then never depends on the breakdown it is shown with,
  so no table can be used to undo another's suppression.
- A table inside one city (a breakdown of that city) takes its total from the table of cities;
  when that figure is hidden there, every non-zero cell of the city's table is hidden too.
- Zero is shown: it singles out nobody.

Not covered: differences between overlapping periods (a year and eleven of its months).
"""

from collections.abc import Mapping
from dataclasses import dataclass

SECONDARY_MARK = "*"


@dataclass(frozen=True)
class Shown:
    """One published figure: ``value`` is None when suppressed; ``display`` is what people read."""

    value: int | None
    display: str


def primary_mark(threshold: int) -> str:
    return f"<{threshold}"


def show_total(total: int, threshold: int) -> Shown:
    if 0 < total < threshold:
        return Shown(None, primary_mark(threshold))
    return Shown(total, str(total))


def protect(cells: Mapping[str, int], threshold: int) -> dict[str, Shown]:
    """Each cell as published beside the table's total (``sum(cells)``, shown by ``show_total``)."""
    primary = {key for key, value in cells.items() if 0 < value < threshold}
    secondary: set[str] = set()
    if sum(cells.values()) >= threshold:  # the total is shown, so the hidden cells' sum is known
        while not _protected(cells, primary, secondary, threshold):
            candidates = sorted(
                (value, key) for key, value in cells.items() if value > 0 and key not in primary | secondary
            )
            if not candidates:
                return hide_all(cells)
            secondary.add(candidates[0][1])
    shown: dict[str, Shown] = {}
    for key, value in cells.items():
        if key in primary:
            shown[key] = Shown(None, primary_mark(threshold))
        elif key in secondary:
            shown[key] = Shown(None, SECONDARY_MARK)
        else:
            shown[key] = Shown(value, str(value))
    return shown


def hide_all(cells: Mapping[str, int]) -> dict[str, Shown]:
    """Every non-zero cell hidden without a bound: nothing but the total (if shown) is learnt."""
    return {key: Shown(0, "0") if value == 0 else Shown(None, SECONDARY_MARK) for key, value in cells.items()}


def _protected(cells: Mapping[str, int], primary: set[str], secondary: set[str], threshold: int) -> bool:
    """Whether each "<threshold" cell can take two values given the hidden cells' known sum."""
    if not primary:
        return True
    hidden_sum = sum(cells[key] for key in primary | secondary)
    others = len(primary) - 1
    # The other hidden cells absorb at most (threshold - 1) each if primary, without limit if secondary.
    lowest = 1 if secondary else max(1, hidden_sum - others * (threshold - 1))
    # ... and at least 1 each if primary, threshold each if secondary.
    highest = min(threshold - 1, hidden_sum - others - len(secondary) * threshold)
    return highest > lowest
