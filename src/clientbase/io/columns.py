"""Checking imported cells a column at a time: each distinct value is parsed once.

A CRM export repeats the same region, stage, manager and date thousands of times, and
its ids and amounts are plain text that C code reads directly. Parsing column by column,
once per distinct value, keeps a million-row import to seconds while every cell is
still checked by the same rules as a single value (`clientbase.io.values`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import zip_longest
from typing import Any

from clientbase.io.values import CellValueError, parse_number, text_of, uses_comma_groups

# Characters of a plain decimal number (`-1234.5`): such a column is read by float() in C.
_PLAIN_CHARS = frozenset("0123456789.-\n")


class _Keep:
    """A cell that sets nothing: the column default on insert, the old value on update."""

    _instance: _Keep | None = None

    def __new__(cls) -> _Keep:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


def transpose(records: list[tuple[Any, ...]], indexes: Iterable[int]) -> dict[int, list[Any]]:
    """Columns `indexes` of ragged records; a missing cell is None."""
    wanted = sorted(set(indexes))
    if not wanted:
        return {}
    columns = list(zip_longest(*records, fillvalue=None)) if records else []
    out: dict[int, list[Any]] = {}
    for index in wanted:
        out[index] = list(columns[index]) if index < len(columns) else [None] * len(records)
    return out


def blanks_to_none(column: list[Any]) -> list[Any]:
    """None for empty and whitespace-only cells (`values.is_blank`), the rest as is."""
    kinds = set(map(type, column))
    if kinds <= {str} and "" not in column and not any(map(str.isspace, column)):
        return column
    return [
        None if v is None or (v.__class__ is str and (not v or v.isspace())) else v for v in column
    ]


def mixes_equal_values(column: list[Any]) -> bool:
    """True == 1 == 1.0 in a set: such a column cannot be parsed once per distinct value."""
    kinds = set(map(type, column))
    return len(kinds & {bool, int, float}) > 1


def map_values(
    column: list[Any], parse: Callable[[Any], Any]
) -> tuple[list[Any], list[int], list[str]]:
    """parse() of every non-None cell, once per distinct value.

    Returns the parsed column (None for blanks and failures) and the row indexes and
    messages of the cells parse() refused with a CellValueError.
    """
    if mixes_equal_values(column):
        return _map_each(column, parse)
    distinct = set(column)
    distinct.discard(None)
    table: dict[Any, Any] = {None: None}
    failed: dict[Any, str] = {}
    for value in distinct:
        try:
            table[value] = parse(value)
        except CellValueError as exc:
            table[value] = None
            failed[value] = str(exc)
    out = list(map(table.__getitem__, column))
    if not failed:
        return out, [], []
    rows = [i for i, v in enumerate(column) if v in failed]
    return out, rows, [failed[column[i]] for i in rows]


def _map_each(
    column: list[Any], parse: Callable[[Any], Any]
) -> tuple[list[Any], list[int], list[str]]:
    out: list[Any] = []
    rows: list[int] = []
    messages: list[str] = []
    for i, value in enumerate(column):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(parse(value))
        except CellValueError as exc:
            out.append(None)
            rows.append(i)
            messages.append(str(exc))
    return out, rows, messages


def texts(column: list[Any]) -> list[Any]:
    """`text_of` of every cell (None stays None); plain strings are only trimmed."""
    kinds = set(map(type, column))
    kinds.discard(type(None))
    if kinds <= {str}:
        present = [v for v in column if v is not None] if None in column else column
        # `'=…` is our own export's escape of a formula-like text; read back as typed.
        if not any(v[:1] == "'" for v in present):
            return [v.strip() if v is not None else None for v in column]
    out, _, _ = map_values(column, text_of)
    return out


def numbers(column: list[Any]) -> tuple[list[Any], list[int], list[str]]:
    """`parse_number` of every cell, with the column's own thousands convention."""
    present = [v for v in column if v is not None] if None in column else column
    kinds = set(map(type, present))
    if present and kinds <= {str}:
        joined = "\n".join(present)
        if (
            set(joined) <= _PLAIN_CHARS
            and not joined.startswith((".", "-."))
            and "\n." not in joined
            and "\n-." not in joined
        ):
            try:
                parsed = list(map(float, present))
            except ValueError:
                pass  # `1.2.3`, `5-`: the careful parser explains what is wrong
            else:
                if present is column:
                    return parsed, [], []
                it = iter(parsed)
                return [None if v is None else next(it) for v in column], [], []
    if present and kinds <= {int, float}:
        return [None if v is None else float(v) for v in column], [], []
    comma_groups = uses_comma_groups(present)
    return map_values(column, lambda v: parse_number(v, comma_groups=comma_groups))


def fill(column: list[Any], default: Any) -> list[Any]:
    """`value or default` for every cell."""
    return [v or default for v in column]
