"""Export: canonical columns that re-import unchanged; formula injection escaped (R17)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine

from clientbase.io.mapping import FIELDS
from clientbase.io.readers import read_table
from clientbase.services.exporting import export_entity
from clientbase.services.importing import import_file

EXAMPLES = Path(__file__).parents[2] / "examples"


def _load_examples(engine: Engine) -> None:
    for entity, name in (
        ("managers", "generic/managers.csv"),
        ("clients", "generic/clients.xlsx"),
        ("deals", "generic/deals.csv"),
    ):
        report = import_file(engine=engine, entity=entity, path=EXAMPLES / name)
        assert report.ok, [e.line() for e in report.errors]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_re_imports_with_no_changes(engine: Engine, tmp_path: Path, fmt: str) -> None:
    _load_examples(engine)
    for entity in ("managers", "clients", "teams", "deals"):
        path = tmp_path / f"{entity}.{fmt}"
        count = export_entity(engine=engine, entity=entity, path=path, fmt=fmt)
        assert count == 4
        assert read_table(path).headers == list(FIELDS[entity])
        report = import_file(engine=engine, entity=entity, path=path)
        assert report.ok, [e.line() for e in report.errors]
        assert (report.inserted, report.updated, report.unchanged) == (0, 0, 4), entity
        assert report.warnings == []


def test_formula_like_client_names_are_escaped_in_csv_and_xlsx_exports(
    engine: Engine, tmp_path: Path
) -> None:
    source = tmp_path / "clients.csv"
    source.write_text(
        'client_id,name\nC1,"=HYPERLINK(""http://evil.example"",""click"")"\nC2,@SUM(1+1)\n',
        encoding="utf-8",
    )
    assert import_file(engine=engine, entity="clients", path=source).ok
    csv_out = tmp_path / "out.csv"
    export_entity(engine=engine, entity="clients", path=csv_out, fmt="csv")
    lines = csv_out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith("C1,\"'=HYPERLINK(") and lines[2].startswith("C2,'@SUM")
    xlsx_out = tmp_path / "out.xlsx"
    export_entity(engine=engine, entity="clients", path=xlsx_out, fmt="xlsx")
    with zipfile.ZipFile(xlsx_out) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    again = import_file(engine=engine, entity="clients", path=xlsx_out)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
