"""Structurally valid workbooks with hostile shapes, built byte by byte for the tests.

A real writer (Excel, xlsxwriter) never produces a filled cell at XFD1048576 next to A1 or a
shared-strings part declaring four billion entries, but a file made by hand can, and a
reader that trusts it asks for hundreds of gigabytes.
"""

from __future__ import annotations

import io
import zipfile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def xlsx(sheet_data: str, *, shared: str | None = None, dimension: str | None = None) -> bytes:
    """A one-sheet workbook whose <sheetData> is `sheet_data` (and optional shared strings)."""
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    )
    root_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
        f'<Relationship Id="rId1" Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    )
    book = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{OFFICE}">'
        '<sheets><sheet name="Лист1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    book_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
        f'<Relationship Id="rId1" Type="{OFFICE}/worksheet" Target="worksheets/sheet1.xml"/>'
        + (
            f'<Relationship Id="rId2" Type="{OFFICE}/sharedStrings" Target="sharedStrings.xml"/>'
            if shared is not None
            else ""
        )
        + "</Relationships>"
    )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = f'<worksheet xmlns="{MAIN}">{dim}<sheetData>{sheet_data}</sheetData></worksheet>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", book)
        archive.writestr("xl/_rels/workbook.xml.rels", book_rels)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared is not None:
            archive.writestr("xl/sharedStrings.xml", shared)
    return buffer.getvalue()


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def far_cell_xlsx() -> bytes:
    """A header and one filled cell at the last row and column of a sheet (1.4 KB)."""
    return xlsx(
        f'<row r="1">{text_cell("A1", "Название")}</row>'
        f'<row r="1048576">{text_cell("XFD1048576", "x")}</row>'
    )


def shared_strings_bomb_xlsx() -> bytes:
    """One cell, and a shared-strings part that declares four billion strings."""
    return xlsx(
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
        shared=f'<sst xmlns="{MAIN}" count="4000000000" uniqueCount="4000000000">'
        "<si><t>Название</t></si></sst>",
    )


def ods(rows: str) -> bytes:
    """An OpenDocument spreadsheet whose first table holds `rows` (table:table-row XML)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Лист1">'
        f"{rows}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def ods_cell(text: str, repeat: int = 1) -> str:
    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return (
        f'<table:table-cell office:value-type="string"{rep}><text:p>{text}</text:p>'
        "</table:table-cell>"
    )


def ods_far_rows() -> bytes:
    """A header, then one filled row repeated over a million times, 16 000 cells wide."""
    return ods(
        f"<table:table-row>{ods_cell('Название')}</table:table-row>"
        f'<table:table-row table:number-rows-repeated="1048000">{ods_cell("x", 16000)}'
        "</table:table-row>"
    )


def ods_trailing_empty_rows() -> bytes:
    """A normal sheet as LibreOffice saves it: empty rows repeated to the sheet's end."""
    return ods(
        f"<table:table-row>{ods_cell('Название')}{ods_cell('Регион')}</table:table-row>"
        f"<table:table-row>{ods_cell('ООО Ромашка')}{ods_cell('Москва')}</table:table-row>"
        '<table:table-row table:number-rows-repeated="1048574">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
