"""Column-at-a-time cell checks give exactly what checking each cell alone gives."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from clientbase.io.columns import blanks_to_none, map_values, numbers, texts, transpose
from clientbase.io.values import CellValueError, is_blank, parse_bool, parse_number, text_of
from clientbase.services.importing import inn_is_valid

NUMBER_TEXTS = st.one_of(
    st.integers(-(10**9), 10**9).map(str),
    st.decimals(-(10**6), 10**6, places=2, allow_nan=False).map(str),
    st.sampled_from(
        ["1 234,50", "1,234.50", "1.234,50", "1,5", ".5", "-.5", "5.", "1.2.3", "--1", "-",
         "1e5", "inf", "nan", "1_000", " 12 ", "12 ₽", "руб. 10", "−7", "1,500", "12a", "0"]
    ),
)  # fmt: skip
CELLS = st.one_of(
    st.none(), st.just(""), st.just("  "), NUMBER_TEXTS, st.floats(-1e6, 1e6), st.booleans()
)


def one_by_one(column: list[Any], parse: Any) -> tuple[list[Any], list[int]]:
    out: list[Any] = []
    failed: list[int] = []
    for i, value in enumerate(column):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(parse(value))
        except CellValueError:
            out.append(None)
            failed.append(i)
    return out, failed


@given(st.lists(CELLS, max_size=40))
def test_a_number_column_reads_as_each_of_its_cells_would(cells: list[Any]) -> None:
    column = blanks_to_none(cells)
    parsed, rows, messages = numbers(column)
    present = [v for v in column if v is not None]
    from clientbase.io.values import uses_comma_groups

    groups = uses_comma_groups(present)
    expected, failed = one_by_one(column, lambda v: parse_number(v, comma_groups=groups))
    assert parsed == expected
    assert rows == failed
    assert len(messages) == len(rows)


@given(st.lists(st.one_of(st.integers(0, 10**6).map(str), st.just("-3"), st.none()), max_size=60))
def test_plain_decimal_text_takes_the_fast_path_and_agrees(cells: list[Any]) -> None:
    parsed, rows, _ = numbers(cells)
    assert rows == []
    assert parsed == [None if c is None else float(c) for c in cells]


def test_each_distinct_value_is_parsed_once_and_every_bad_row_is_reported() -> None:
    calls: list[Any] = []

    def parse(value: Any) -> bool:
        calls.append(value)
        return parse_bool(value)

    column = ["да", "нет", "да", None, "может быть", "да", "может быть"]
    out, rows, messages = map_values(column, parse)
    assert sorted(calls) == sorted({"да", "нет", "может быть"})
    assert out == [True, False, True, None, None, True, None]
    assert rows == [4, 6]
    assert all("да/нет" in m for m in messages)


def test_true_and_one_in_one_column_are_each_read_as_their_own_type() -> None:
    out, rows, _ = map_values([True, 1, 1.0, False], lambda v: (type(v).__name__, v))
    assert rows == []
    assert out == [("bool", True), ("int", 1), ("float", 1.0), ("bool", False)]


@given(st.lists(st.one_of(st.none(), st.text(max_size=8), st.floats(-1e3, 1e3)), max_size=30))
def test_texts_and_blanks_agree_with_the_single_cell_rules(cells: list[Any]) -> None:
    assert blanks_to_none(cells) == [None if is_blank(c) else c for c in cells]
    column = blanks_to_none(cells)
    assert texts(column) == [None if c is None else text_of(c) for c in column]


def test_texts_read_back_our_own_formula_escape() -> None:
    assert texts(["'=SUM(A1)", " ООО Ромашка ", None]) == ["=SUM(A1)", "ООО Ромашка", None]
    assert texts([dt.date(2026, 1, 2), 3.0]) == ["2026-01-02", "3"]


def test_ragged_records_give_columns_padded_with_none() -> None:
    columns = transpose([["a", "b", "c"], ["d"], []], [0, 2, 5])
    assert columns == {0: ["a", "d", None], 2: ["c", None, None], 5: [None, None, None]}


def test_an_inn_is_checked_by_its_control_digits_and_only_ascii_digits_count() -> None:
    assert inn_is_valid("7707083893")  # Sberbank
    assert inn_is_valid("500100732259")  # a valid 12-digit personal INN
    assert not inn_is_valid("7707083894")
    assert not inn_is_valid("500100732250")
    assert not inn_is_valid("770708389")
    assert not inn_is_valid("77070838٩3")  # an Arabic-Indic digit is not an INN digit
    assert not inn_is_valid("77070838²3")
