"""Fuzzing the readers: structurally valid but hostile workbooks, ODS and CSV files.

Hypothesis builds files with huge declared dimensions, sparse far cells, cells without
references, shared-strings parts that lie about their size, repeated ODS rows and columns,
deep JSON, mixed encodings and NUL bytes. Every one must end in a clean table within the
limits or a refusal that names the file — never another exception, never a dead process.
The budget is bounded (a few dozen examples each, no deadline: each read is a new process).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientbase.errors import BadInputError
from clientbase.io import readers
from clientbase.io.guards import ShapeLimits

sys.path.insert(0, str(Path(__file__).parents[1]))
import hostile_workbooks as hw

LIMITS = ShapeLimits()
BUDGET = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _column(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


rows_st = st.one_of(st.integers(1, 50), st.integers(1, 1_048_576), st.sampled_from([1_048_576]))
cols_st = st.one_of(st.integers(1, 10), st.integers(1, 16_384), st.sampled_from([16_384]))
cell_st = st.tuples(
    rows_st,
    cols_st,
    st.sampled_from(["text", "number", "empty", "styled", "noref", "shared"]),
)


def _cell(row: int, col: int, kind: str) -> str:
    ref = f"{_column(col)}{row}"
    return {
        "text": hw.text_cell(ref, "Название"),
        "number": f'<c r="{ref}"><v>{row}</v></c>',
        "empty": f'<c r="{ref}"/>',
        "styled": f'<c r="{ref}" s="1"></c>',
        "noref": "<c><v>1</v></c>",
        "shared": f'<c r="{ref}" t="s"><v>0</v></c>',
    }[kind]


def _check(path: Path, data: bytes, read: Any = readers.read_table) -> None:
    path.write_bytes(data)
    try:
        table = read(path)
    except BadInputError as exc:
        assert exc.message.startswith(path.name) or path.name in exc.message, exc.message
        return
    if isinstance(table, readers.Table):
        width = max([len(table.headers), *(len(r.values) for r in table.rows)])
        assert width <= LIMITS.max_columns
        assert len(table.rows) * max(width, 1) <= LIMITS.max_cells


@BUDGET
@given(
    cells=st.lists(cell_st, min_size=1, max_size=12),
    dimension=st.one_of(st.none(), st.sampled_from(["A1:XFD1048576", "A1", "ZZZZ99999999"])),
    declared=st.one_of(st.none(), st.integers(0, 2**40)),
)
def test_a_fuzzed_workbook_is_read_within_the_limits_or_refused(
    tmp_path: Path, cells: list[tuple[int, int, str]], dimension: str | None, declared: int | None
) -> None:
    by_row: dict[int, list[str]] = {}
    for row, col, kind in sorted(cells):
        by_row.setdefault(row, []).append(_cell(row, col, kind))
    sheet = "".join(f'<row r="{r}">{"".join(c)}</row>' for r, c in sorted(by_row.items()))
    shared = None
    if declared is not None:
        shared = f'<sst xmlns="{hw.MAIN}" uniqueCount="{declared}"><si><t>Имя</t></si></sst>'
    _check(tmp_path / "fuzz.xlsx", hw.xlsx(sheet, shared=shared, dimension=dimension))


@BUDGET
@given(
    rows=st.lists(
        st.tuples(
            st.integers(1, 2_000_000),
            st.lists(st.tuples(st.integers(1, 20_000), st.booleans()), min_size=1, max_size=4),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_a_fuzzed_ods_sheet_is_read_within_the_limits_or_refused(
    tmp_path: Path, rows: list[tuple[int, list[tuple[int, bool]]]]
) -> None:
    xml = []
    for repeat, cells in rows:
        parts = []
        for count, filled in cells:
            if filled:
                parts.append(hw.ods_cell("x", count))
            else:
                parts.append(f'<table:table-cell table:number-columns-repeated="{count}"/>')
        xml.append(
            f'<table:table-row table:number-rows-repeated="{repeat}">{"".join(parts)}'
            "</table:table-row>"
        )
    _check(tmp_path / "fuzz.ods", hw.ods("".join(xml)))


text_st = st.text(
    alphabet=st.sampled_from([*"абвгдАБВ ёЁabc;,\t\"'\n\r\x00=+-@№€", "\u2028", "\ufeff"]),
    max_size=300,
)


@BUDGET
@given(
    head=text_st,
    encoding=st.sampled_from(["utf-8", "cp1251", "utf-16", "latin-1"]),
    width=st.sampled_from([1, 3, 1999, 2001, 5000]),
    long_line=st.sampled_from([0, 10, 1_000_001]),
    nul=st.booleans(),
)
def test_a_fuzzed_csv_is_read_within_the_limits_or_refused(
    tmp_path: Path, head: str, encoding: str, width: int, long_line: int, nul: bool
) -> None:
    header = ";".join(f"c{i}" for i in range(width))
    text = f"{header}\n{head}\n" + "x" * long_line + "\n"
    data = text.encode(encoding, errors="replace")
    if nul:
        data = data.replace(b";", b"\x00;", 3)
    _check(tmp_path / "fuzz.csv", data)


@BUDGET
@given(depth=st.integers(1, 200_000), width=st.integers(0, 3))
def test_a_fuzzed_json_dump_is_read_within_the_limits_or_refused(
    tmp_path: Path, depth: int, width: int
) -> None:
    body = "[" * depth + ",".join(["1"] * width) + "]" * depth
    _check(
        tmp_path / "fuzz.json", f'{{"_embedded": {{"leads": {body}}}}}'.encode(), readers.read_json
    )
