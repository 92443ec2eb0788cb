"""An Excel workbook for reports: shared formats, print set-up, formula-safe text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from clientbase.errors import BadInputError
from clientbase.io.writers import escape_formula

# (record key, column title, format kind) of a table.
Column = tuple[str, str, str]


class Book:
    """A workbook whose numbers carry real formats and whose text can never run a formula."""

    def __init__(self, path: Path, *, text_width: int = 28, number_width: int = 15) -> None:
        self.path = path
        self.text_width = text_width
        self.number_width = number_width
        self.wb = xlsxwriter.Workbook(
            str(path), {"strings_to_formulas": False, "strings_to_urls": False}
        )
        wb = self.wb
        self.fmt: dict[str, Format] = {
            "head": wb.add_format(
                {"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True}
            ),
            "title": wb.add_format({"bold": True, "font_size": 13}),
            "bold": wb.add_format({"bold": True}),
            "money": wb.add_format({"num_format": "#,##0.00"}),
            "bold_money": wb.add_format({"num_format": "#,##0.00", "bold": True}),
            "int": wb.add_format({"num_format": "0"}),
            "pct": wb.add_format({"num_format": "0.0%"}),
            "num": wb.add_format({"num_format": "0.0"}),
            "num2": wb.add_format({"num_format": "0.00"}),
            "rate": wb.add_format({"num_format": "0.####"}),
            "score": wb.add_format({"num_format": "0.0"}),
            "text": wb.add_format({}),
        }

    def sheet(self, name: str, *, pages_wide: int = 1) -> Worksheet:
        """A landscape A4 sheet that prints one (or `pages_wide`) page(s) wide, charts included."""
        ws = self.wb.add_worksheet(name)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(pages_wide, 0)
        ws.repeat_rows(0)
        return ws

    def cell(
        self, ws: Worksheet, r: int, c: int, value: Any, kind: str = "text", *, bold: bool = False
    ) -> None:
        """Write a number with its format, text made safe, None as an empty cell."""
        if value is None:
            ws.write_blank(r, c, None)
        elif isinstance(value, bool):
            ws.write_boolean(r, c, value)
        elif isinstance(value, int | float):
            fmt = "bold_money" if bold and kind == "money" else kind
            ws.write_number(r, c, float(value), self.fmt.get(fmt, self.fmt["text"]))
        else:
            ws.write_string(r, c, escape_formula(str(value)), self.fmt["bold"] if bold else None)

    def table(
        self,
        ws: Worksheet,
        columns: Sequence[Column],
        records: Sequence[dict[str, Any]],
        *,
        first_row: int = 0,
        bold: Callable[[dict[str, Any]], bool] | None = None,
    ) -> int:
        """Write a header and the records; return the index of the last data row."""
        for c, (_, title, kind) in enumerate(columns):
            ws.write_string(first_row, c, escape_formula(title), self.fmt["head"])
            ws.set_column(c, c, self.text_width if kind == "text" else self.number_width)
        for r, rec in enumerate(records, start=first_row + 1):
            strong = bold is not None and bold(rec)
            for c, (key, _, kind) in enumerate(columns):
                self.cell(ws, r, c, rec.get(key), kind, bold=strong)
        ws.freeze_panes(first_row + 1, 0)
        if records:
            ws.autofilter(first_row, 0, first_row + len(records), len(columns) - 1)
        return first_row + len(records)

    def close(self) -> None:
        """Write the file; a path that cannot be written is the user's error."""
        try:
            self.wb.close()
        except (OSError, xlsxwriter.exceptions.FileCreateError) as exc:
            raise BadInputError(f"Не удалось записать файл {self.path}: {exc}.") from exc
