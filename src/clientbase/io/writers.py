"""Writing rows to CSV (UTF-8 with BOM, for Excel) and XLSX, with formula-injection escaping."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from clientbase.errors import BadInputError

# A cell starting with one of these is run as a formula by Excel/LibreOffice (ASVS 1.2.10).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")


def escape_formula(value: str) -> str:
    """Prefix `'` to text that a spreadsheet would take for a formula."""
    if value.startswith(FORMULA_TRIGGERS) or value.startswith("{="):
        return "'" + value
    if value.startswith("'") and escape_formula(value.lstrip("'")) != value.lstrip("'"):
        # A name that really starts with `'=` keeps its `'` through export and import.
        return "'" + value
    return value


def unescape_formula(value: str) -> str:
    """Undo `escape_formula`, so an exported file re-imports unchanged."""
    if (
        len(value) > 1
        and value[0] == "'"
        and escape_formula(value.lstrip("'")) != value.lstrip("'")
    ):
        return value[1:]
    return value


def csv_cell(value: Any) -> str:
    """A value as a CSV cell: plain numbers and dates, text never read as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return escape_formula(str(value))


def write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a CSV with a BOM so Excel reads UTF-8; return the number of data rows."""
    count = 0
    try:
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            out = csv.writer(handle, quoting=csv.QUOTE_MINIMAL)
            out.writerow([escape_formula(h) for h in headers])
            for row in rows:
                out.writerow([csv_cell(v) for v in row])
                count += 1
    except OSError as exc:
        raise BadInputError(f"Не удалось записать файл {path}: {exc.strerror}.") from exc
    return count


def write_xlsx(
    path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "Данные"
) -> int:
    """Write an XLSX sheet; text is never turned into a formula; return the data row count."""
    # strings_to_formulas=False: XlsxWriter would otherwise store "=…" text as a formula.
    workbook = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "constant_memory": True},
    )
    try:
        worksheet = workbook.add_worksheet(sheet[:31])
        bold = workbook.add_format({"bold": True})
        date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        time_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for col, title in enumerate(headers):
            worksheet.write_string(0, col, escape_formula(title), bold)
        count = 0
        for r, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    worksheet.write_string(r, col, "true" if value else "false")
                elif isinstance(value, int | float):
                    worksheet.write_number(r, col, value)
                elif isinstance(value, dt.datetime):
                    worksheet.write_datetime(r, col, value, time_format)
                elif isinstance(value, dt.date):
                    worksheet.write_datetime(r, col, value, date_format)
                else:
                    worksheet.write_string(r, col, escape_formula(str(value)))
            count += 1
        worksheet.freeze_panes(1, 0)
    finally:
        try:
            workbook.close()
        except OSError as exc:
            raise BadInputError(f"Не удалось записать файл {path}: {exc.strerror}.") from exc
    return count
