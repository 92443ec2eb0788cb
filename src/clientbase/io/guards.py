"""Cheap checks of an untrusted file's shape, made before any reader allocates for it.

A spreadsheet reader sizes its grid by the farthest filled cell: one cell at the last row
and column of a sheet (a valid 1.4 KB workbook) asks for 16 384 × 1 048 576 cells. So the
extent of the first sheet is measured first, from its XML, by a streaming scan with a regular
expression over bounded chunks (never a tree), and a sheet larger than the configured
maximum of rows × columns is refused with its size named. The same for the declared count
of shared strings, for ODS (whose rows and cells carry repeat counts), for the columns and
line length of a CSV file and for the depth of a JSON document.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from clientbase.errors import BadInputError

CHUNK_BYTES = 1 << 20
MAX_TAG_BYTES = 1 << 20
MAX_JSON_DEPTH = 64


@dataclass(frozen=True, slots=True)
class ShapeLimits:
    """How large a sheet may be: rows × columns (cells), columns, one CSV line."""

    max_cells: int = 50_000_000
    max_columns: int = 2_000
    max_line_chars: int = 1_000_000
    max_json_depth: int = MAX_JSON_DEPTH


def _too_big(file: str, rows: int, columns: int, limits: ShapeLimits) -> BadInputError:
    return BadInputError(
        f"{file}: файл не удалось прочитать: слишком большой лист — {rows} строк × "
        f"{columns} столбцов (предел {limits.max_cells} ячеек и {limits.max_columns} "
        "столбцов); удалите пустые строки и столбцы или разбейте файл."
    )


def check_extent(file: str, rows: int, columns: int, limits: ShapeLimits) -> None:
    """Refuse a sheet of more columns or cells than the limits allow."""
    if columns > limits.max_columns or rows * columns > limits.max_cells:
        raise _too_big(file, rows, columns, limits)


# ------------------------------------------------------------------ streaming scan


def _chunks(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    with archive.open(name) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            yield chunk


def _tokens(file: str, chunks: Iterator[bytes], pattern: re.Pattern[bytes]) -> Iterator[Any]:
    """Matches of `pattern` in a stream; a tag cut by a chunk's end waits for the next one."""
    carry = b""
    for chunk in chunks:
        buffer = carry + chunk
        cut = buffer.rfind(b"<")
        if cut < 0:
            cut = len(buffer)
        for match in pattern.finditer(buffer):
            if match.start() >= cut:
                break
            yield match
        carry = buffer[cut:]
        if len(carry) > MAX_TAG_BYTES:
            raise BadInputError(f"{file}: файл не удалось прочитать: повреждён (тег длиннее 1 МБ).")
    for match in pattern.finditer(carry):
        yield match


# A filled cell of SpreadsheetML: `<c …>` that is neither self-closed nor closed at once
# (an empty styled cell adds nothing to the grid a reader builds). `findall` keeps the work
# in C: a sheet of a million cells is scanned in a fraction of a second.
_NS = rb"(?:[A-Za-z_][\w.-]*:)?"
_FILLED = rb"(?<!/)>(?!</" + _NS + rb"c>)"
_FILLED_REF = re.compile(
    rb"<" + _NS + rb"c\s[^>]*?\br\s*=\s*[\"']\$?([A-Za-z]{1,4})\$?([0-9]{1,9})[\"'][^>]*?" + _FILLED
)
_FILLED_ANY = re.compile(rb"<" + _NS + rb"c(?:\s[^>]*)?" + _FILLED)
_ROW = re.compile(rb"<" + _NS + rb"row[\s>/]")
_UNIQUE_COUNT = re.compile(rb'\b(?:uniqueCount|count)\s*=\s*["\']([0-9]+)["\']')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + (letter - 64)
    return number


MAX_ROW_BYTES = 16 * MAX_TAG_BYTES
_ROW_END = re.compile(rb"</" + _NS + rb"row>")


def _whole_rows(file: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The sheet's XML in pieces that end after a `</row>`: no tag is cut in two."""
    carry = b""
    for chunk in chunks:
        buffer = carry + chunk
        end = buffer.rfind(b"row>")
        cut = end + 4 if end >= 0 else 0
        if cut and _ROW_END.match(buffer, buffer.rfind(b"<", 0, end)):
            yield buffer[:cut]
            carry = buffer[cut:]
        else:
            carry = buffer
        if len(carry) > MAX_ROW_BYTES:
            raise BadInputError(
                f"{file}: файл не удалось прочитать: строка листа длиннее "
                f"{MAX_ROW_BYTES // 1_048_576} МБ."
            )
    if carry:
        yield carry


_PLAIN_CELL = re.compile(rb"<c[\s>/]")
_PLAIN_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')


def _span(refs: list[tuple[bytes, bytes]], rows: int, cols: int) -> tuple[int, int]:
    if not refs:
        return rows, cols
    return (
        max(rows, max(map(int, {r for _, r in refs}))),
        max(cols, max(map(_column_number, {c for c, _ in refs}))),
    )


def xlsx_extent(
    file: str, archive: zipfile.ZipFile, sheet: str, *, filled_only: bool = True
) -> tuple[int, int]:
    """Rows and columns spanned by the cells of one worksheet part.

    `filled_only=False` is the quick upper bound: every cell counts, styled empty ones too,
    read where every cell is written as Excel writes it (`<c r="B7" …`); None when a cell
    is written otherwise and only the exact scan can tell.
    """
    max_row = max_col = 0
    rows = filled = referenced = 0
    for piece in _whole_rows(file, _chunks(archive, sheet)):
        if not filled_only:
            refs = _PLAIN_REF.findall(piece)
            if len(refs) != len(_PLAIN_CELL.findall(piece)):
                return xlsx_extent(file, archive, sheet, filled_only=True)
            max_row, max_col = _span(refs, max_row, max_col)
            continue
        refs = _FILLED_REF.findall(piece)
        max_row, max_col = _span(refs, max_row, max_col)
        referenced += len(refs)
        filled += len(_FILLED_ANY.findall(piece))
        rows += len(_ROW.findall(piece))
    unreferenced = filled - referenced
    if unreferenced > 0:
        # Cells placed after the previous one: counted as that many more columns.
        max_row = max(max_row, rows)
        max_col += unreferenced
    return max_row, max_col


def _within(rows: int, columns: int, limits: ShapeLimits) -> bool:
    return columns <= limits.max_columns and rows * columns <= limits.max_cells


def _first_sheet(archive: zipfile.ZipFile, names: set[str]) -> list[str]:
    """The part of the workbook's first sheet (all worksheet parts when it cannot be told)."""
    worksheets = sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    try:
        if archive.getinfo("xl/workbook.xml").file_size > MAX_TAG_BYTES * 8:
            return worksheets
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        first = next(e for e in book.iter() if e.tag.rsplit("}", 1)[-1] == "sheet")
        rid = next(v for k, v in first.attrib.items() if k.rsplit("}", 1)[-1] == "id")
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        target = next(e.get("Target", "") for e in rels.iter() if e.get("Id") == rid)
    except (KeyError, StopIteration, ElementTree.ParseError):
        return worksheets
    part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return [part] if part in names else worksheets


def check_xlsx(file: str, data: bytes, limits: ShapeLimits) -> None:
    """Refuse a workbook whose first sheet or shared strings are larger than the limits."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/sharedStrings.xml" in names:
                head = next(_chunks(archive, "xl/sharedStrings.xml"), b"")[:4096]
                declared = max((int(n) for n in _UNIQUE_COUNT.findall(head)), default=0)
                if declared > limits.max_cells:
                    raise BadInputError(
                        f"{file}: файл не удалось прочитать: объявлено {declared} строк текста "
                        f"(предел {limits.max_cells}) — файл повреждён или подделан."
                    )
            for sheet in _first_sheet(archive, names):
                # The quick bound first; the exact scan of filled cells only when it is over.
                rows, columns = xlsx_extent(file, archive, sheet, filled_only=False)
                if not _within(rows, columns, limits):
                    rows, columns = xlsx_extent(file, archive, sheet)
                check_extent(file, rows, columns, limits)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
        raise BadInputError(f"{file}: файл не удалось прочитать: повреждён ({exc}).") from exc


_ODS_TOKENS = re.compile(
    rb"<table:table-row\b([^>]*?)(/?)>"
    rb"|</table:table-row>"
    rb"|<table:(?:covered-)?table-cell\b([^>]*?)(/?)>"
    rb"|<text:p\b"
    rb"|</table:table>"
)
_ROWS_REPEATED = re.compile(rb'table:number-rows-repeated\s*=\s*["\']([0-9]+)["\']')
_COLS_REPEATED = re.compile(rb'table:number-columns-repeated\s*=\s*["\']([0-9]+)["\']')


def _repeat(pattern: re.Pattern[bytes], attrs: bytes) -> int:
    found = pattern.search(attrs)
    return max(1, int(found.group(1))) if found else 1


class _OdsScan:
    """Rows and columns spanned by the filled cells of the first table (repeats expanded)."""

    def __init__(self) -> None:
        self.max_row = self.max_col = 0
        self.row = self.col = 0
        self.repeat = 1
        self.row_width = 0
        self.pending: tuple[int, int] | None = None  # (end column, filled) of an open cell

    def close_cell(self) -> None:
        if self.pending is not None and self.pending[1]:
            self.row_width = max(self.row_width, self.pending[0])
        self.pending = None

    def start_row(self, attrs: bytes) -> None:
        self.repeat = _repeat(_ROWS_REPEATED, attrs)
        self.col = self.row_width = 0
        self.pending = None

    def end_row(self) -> None:
        self.close_cell()
        if self.row_width:
            self.max_row = self.row + self.repeat
            self.max_col = max(self.max_col, self.row_width)
        self.row += self.repeat
        self.repeat = 1

    def cell(self, attrs: bytes, closed: bool) -> None:
        self.close_cell()
        self.col += _repeat(_COLS_REPEATED, attrs)
        filled = b"office:value-type" in attrs
        if closed:
            if filled:
                self.row_width = max(self.row_width, self.col)
        else:
            self.pending = (self.col, int(filled))

    def text(self) -> None:
        if self.pending is not None:
            self.pending = (self.pending[0], 1)


def check_ods(file: str, data: bytes, limits: ShapeLimits) -> None:
    """Refuse an OpenDocument sheet whose first table spans more than the limits."""
    scan = _OdsScan()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "content.xml" not in archive.namelist():
                raise BadInputError(f"{file}: файл не удалось прочитать: нет content.xml.")
            for match in _tokens(file, _chunks(archive, "content.xml"), _ODS_TOKENS):
                token = match.group(0)
                if token.startswith(b"<table:table-row"):
                    scan.start_row(match.group(1))
                    if match.group(2):
                        scan.end_row()
                elif token.startswith(b"</table:table-row"):
                    scan.end_row()
                elif token.startswith(b"<text:p"):
                    scan.text()
                elif token.startswith(b"</table:table>"):
                    break
                else:
                    scan.cell(match.group(3), bool(match.group(4)))
                if scan.max_col > limits.max_columns or (
                    scan.max_row * max(scan.max_col, 1) > limits.max_cells
                ):
                    break
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
        raise BadInputError(f"{file}: файл не удалось прочитать: повреждён ({exc}).") from exc
    check_extent(file, scan.max_row, scan.max_col, limits)


# ------------------------------------------------------------------ text


def check_csv_text(file: str, text: str, limits: ShapeLimits) -> None:
    """Refuse a CSV text with a line longer than the limit (before the csv module sees it).

    Lines end at LF, CRLF or a bare CR (Excel for Mac saves "CSV (Macintosh)" with CR).
    """
    limit = limits.max_line_chars
    if len(text) <= limit or max(map(len, text.splitlines())) <= limit:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > limit:
            raise BadInputError(
                f"{file}, строка {number}: файл не удалось прочитать: строка длиннее "
                f"{limit} символов."
            )


def check_columns(file: str, records: list[Any], limits: ShapeLimits) -> None:
    """Refuse a table with a record of more columns than the limit, naming the row."""
    if max(map(len, records), default=0) <= limits.max_columns:
        return
    for number, record in enumerate(records, start=1):
        if len(record) > limits.max_columns:
            raise BadInputError(
                f"{file}, строка {number}: файл не удалось прочитать: {len(record)} столбцов "
                f"(предел {limits.max_columns})."
            )


def json_depth(value: Any) -> int:
    """The nesting depth of a parsed JSON document, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node if isinstance(child, dict | list))
    return deepest


def check_json(file: str, value: Any, limits: ShapeLimits) -> None:
    """Refuse a JSON document nested deeper than the limit."""
    if json_depth(value) > limits.max_json_depth:
        raise BadInputError(
            f"{file}: файл не удалось прочитать: вложенность JSON глубже "
            f"{limits.max_json_depth} уровней."
        )
