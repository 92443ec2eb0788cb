"""ODS files (LibreOffice) are read like XLSX: first sheet, Excel row numbers kept."""

from __future__ import annotations

import zipfile
from pathlib import Path

from clientbase.io.readers import read_table

_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def _cell(value: object) -> str:
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'
    )


def write_ods(path: Path, rows: list[list[object]]) -> None:
    """A minimal OpenDocument spreadsheet written by hand (no library needed)."""
    body = "".join(
        "<table:table-row>" + "".join(_cell(v) for v in row) + "</table:table-row>"
        if row
        else "<table:table-row><table:table-cell/></table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<office:document-content {_NS} office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Лист1">{body}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)


def test_an_ods_spreadsheet_is_read_with_its_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "clients.ods"
    write_ods(
        path,
        [
            [],
            ["ID", "Наименование", "Потенциал"],
            ["C1", "ООО Ромашка", 1500],
            ["C2", "=Лютик", 2.5],
        ],
    )
    table = read_table(path)
    assert table.headers == ["ID", "Наименование", "Потенциал"]
    assert table.header_row == 2
    assert [row.number for row in table.rows] == [3, 4]
    assert table.rows[0].values[:2] == ("C1", "ООО Ромашка")
    assert float(table.rows[0].values[2]) == 1500
    assert table.rows[1].values[1] == "=Лютик"
