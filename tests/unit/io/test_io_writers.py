"""Writers: formula-injection escaping (R17) and RFC 4180 quoting that round-trips."""

from __future__ import annotations

import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientbase.io.readers import read_table
from clientbase.io.values import text_of
from clientbase.io.writers import escape_formula, write_csv, write_xlsx

DANGEROUS = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "{="])
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=20
)


@given(prefix=DANGEROUS, rest=TEXT)
def test_formula_like_text_is_prefixed_with_an_apostrophe(prefix: str, rest: str) -> None:
    assert escape_formula(prefix + rest).startswith("'")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(prefix=DANGEROUS, rest=TEXT)
def test_a_csv_export_never_starts_a_cell_with_a_formula(
    tmp_path: Path, prefix: str, rest: str
) -> None:
    value = prefix + rest
    path = tmp_path / "out.csv"
    write_csv(path, ["name"], [[value]])
    table = read_table(path)
    cell = table.rows[0].values[0]
    assert cell.startswith("'")
    # The importer reads our own escaping back as the text that was typed.
    assert text_of(cell) == value.strip()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=TEXT.filter(lambda s: s.strip() != ""))
def test_commas_quotes_and_newlines_round_trip_through_csv(tmp_path: Path, value: str) -> None:
    path = tmp_path / "out.csv"
    write_csv(path, ["name", "other"], [[value, "x"]])
    table = read_table(path)
    assert text_of(table.rows[0].values[0]) == text_of(value)


def test_an_xlsx_export_stores_formula_like_text_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    values = ['=HYPERLINK("http://evil","x")', "+7 495 000-00-00", "-2+3", "@SUM(A1)", "{=1}"]
    write_xlsx(path, ["name"], [[v] for v in values])
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    table = read_table(path)
    assert [text_of(r.values[0]) for r in table.rows] == values
    assert all(str(r.values[0]).startswith("'") for r in table.rows)
