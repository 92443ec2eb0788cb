"""The bonus statement as rows (CSV) and as a workbook (XLSX).

Sheets: «Итоги» (one row per manager: scheme, credited volume beside the KPI volume, plan,
attainment, total), «Ведомость» (every line with its base, rate, threshold and amount, a
total row per manager), «Зачёт сделок» (every share of every won deal: the numbers behind
the credited volume) and «Сверка» (company won volume = credited + not credited). Text
that a spreadsheet would run as a formula is written as text (`escape_formula`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from clientbase.core.credit import ROLE_NAMES_RU
from clientbase.errors import BadInputError
from clientbase.io.writers import escape_formula
from clientbase.services.bonus import DealCredit, Statement, WhatIf
from clientbase.services.kpi import GROUP_NAMES_RU

# (key, Russian header, kind) of the statement lines: the CSV columns, in order.
LINE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("manager_id", "ID", "int"),
    ("manager", "Менеджер", "text"),
    ("role_group", "Группа ролей", "text"),
    ("scheme", "Схема", "text"),
    ("month", "Месяц", "text"),
    ("code", "Код строки", "text"),
    ("title", "Строка", "text"),
    ("base", "База", "num"),
    ("base_unit", "Ед. базы", "text"),
    ("rate", "Ставка", "num"),
    ("threshold", "Порог", "text"),
    ("amount", "Сумма", "money"),
)
SUMMARY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("manager_id", "ID", "int"),
    ("manager", "Менеджер", "text"),
    ("team", "Команда", "text"),
    ("role_group", "Группа ролей", "text"),
    ("scheme", "Схема", "text"),
    ("credited", "Зачтённый объём", "money"),
    ("kpi_volume", "Объём по KPI (закрыл сам)", "money"),
    ("plan", "План", "money"),
    ("attainment", "Выполнение плана (по зачтённому)", "pct"),
    ("new_clients", "Новые клиенты", "int"),
    ("total", "Итого к выплате", "money"),
)
DEAL_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("deal_id", "Сделка", "int"),
    ("client_id", "ID клиента", "int"),
    ("client", "Клиент", "text"),
    ("closed", "Закрыта", "text"),
    ("amount", "Сумма сделки", "money"),
    ("responsible_id", "Ответственный за сделку", "int"),
    ("manager_id", "Кому зачтено", "int"),
    ("role", "Роль", "text"),
    ("percent", "Доля, %", "num"),
    ("credited", "Зачтено", "money"),
    ("reason", "Основание", "text"),
)
UNIT_RU = {"money": "руб.", "count": "шт.", "share": "доля", "none": ""}


def line_records(st: Statement) -> list[dict[str, Any]]:
    """Every statement line as a flat dict, with a total row («Итого») after each manager."""
    out: list[dict[str, Any]] = []
    for r in st.rows:
        head = {
            "manager_id": r.manager_id,
            "manager": r.manager,
            "role_group": r.role_group,
            "scheme": r.scheme or "нет схемы",
        }
        for x in r.lines:
            out.append(
                {
                    **head,
                    "month": x.month,
                    "code": x.code,
                    "title": x.title,
                    "base": None if x.base is None else round(x.base, 4),
                    "base_unit": UNIT_RU.get(x.base_unit, x.base_unit),
                    "rate": x.rate,
                    "threshold": x.threshold,
                    "amount": x.amount,
                }
            )
        out.append(
            {
                **head,
                "month": st.period,
                "code": "total",
                "title": "Итого",
                "base": None,
                "base_unit": "",
                "rate": None,
                "threshold": "",
                "amount": r.total,
            }
        )
    return out


def summary_records(st: Statement) -> list[dict[str, Any]]:
    """One flat dict per manager (the «Итоги» sheet)."""
    return [
        {
            "manager_id": r.manager_id,
            "manager": r.manager,
            "team": r.team,
            "role_group": GROUP_NAMES_RU.get(r.role_group, r.role_group),
            "scheme": r.scheme or "нет схемы",
            "credited": r.credited,
            "kpi_volume": r.kpi_volume,
            "plan": r.plan,
            "attainment": r.attainment,
            "new_clients": r.new_clients,
            "total": r.total,
        }
        for r in st.rows
    ]


def deal_records(credits: Sequence[DealCredit]) -> list[dict[str, Any]]:
    """One flat dict per deal share (the «Зачёт сделок» sheet)."""
    return [
        {
            "deal_id": c.deal_id,
            "client_id": c.client_id,
            "client": c.client,
            "closed": c.closed,
            "amount": c.amount,
            "responsible_id": c.responsible_id,
            "manager_id": c.manager_id,
            "role": ROLE_NAMES_RU.get(c.role or "", "первая покупка"),
            "percent": c.percent,
            "credited": c.credited,
            "reason": c.reason,
        }
        for c in credits
    ]


class _Book:
    def __init__(self, path: Path) -> None:
        self.wb = xlsxwriter.Workbook(
            str(path), {"strings_to_formulas": False, "strings_to_urls": False}
        )
        wb = self.wb
        self.fmt: dict[str, Format] = {
            "head": wb.add_format(
                {"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True}
            ),
            "bold": wb.add_format({"bold": True}),
            "money": wb.add_format({"num_format": "#,##0.00"}),
            "bold_money": wb.add_format({"num_format": "#,##0.00", "bold": True}),
            "int": wb.add_format({"num_format": "0"}),
            "pct": wb.add_format({"num_format": "0.0%"}),
            "num": wb.add_format({"num_format": "0.####"}),
            "text": wb.add_format({}),
        }

    def table(
        self,
        name: str,
        columns: Sequence[tuple[str, str, str]],
        records: Sequence[dict[str, Any]],
    ) -> Worksheet:
        ws = self.wb.add_worksheet(name)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        for c, (_, title, kind) in enumerate(columns):
            ws.write_string(0, c, escape_formula(title), self.fmt["head"])
            ws.set_column(c, c, 34 if kind == "text" else 14)
        for r, rec in enumerate(records, start=1):
            total = rec.get("code") == "total"
            for c, (key, _, kind) in enumerate(columns):
                self.cell(ws, r, c, rec.get(key), kind, bold=total)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(records), 1), len(columns) - 1)
        return ws

    def cell(
        self, ws: Worksheet, r: int, c: int, value: Any, kind: str, *, bold: bool = False
    ) -> None:
        if value is None:
            ws.write_blank(r, c, None)
        elif isinstance(value, str):
            ws.write_string(r, c, escape_formula(value), self.fmt["bold"] if bold else None)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            fmt = "bold_money" if bold and kind == "money" else kind
            ws.write_number(r, c, value, self.fmt.get(fmt, self.fmt["text"]))
        else:
            ws.write_string(r, c, escape_formula(str(value)))

    def close(self, path: Path) -> None:
        try:
            self.wb.close()
        except OSError as exc:
            raise BadInputError(f"Не удалось записать файл {path}: {exc.strerror}.") from exc


def write_statement(path: Path, st: Statement, credits: Sequence[DealCredit]) -> None:
    """Write the statement workbook (summary, lines, deal shares, reconciliation)."""
    book = _Book(path)
    book.table("Итоги", SUMMARY_COLUMNS, summary_records(st))
    book.table("Ведомость", LINE_COLUMNS, line_records(st))
    book.table("Зачёт сделок", DEAL_COLUMNS, deal_records(credits))
    ws = book.wb.add_worksheet("Сверка")
    ws.set_column(0, 0, 60)
    ws.set_column(1, 1, 18)
    rows = (
        ("Период", st.period),
        ("Выигранные сделки компании за период", st.company_volume),
        ("Зачтено менеджерам", st.credited_total),
        ("Не зачтено никому (роль свободна, нет ответственного)", st.unassigned),
        ("Итого к выплате по ведомости", st.total),
    )
    for r, (label, value) in enumerate(rows):
        ws.write_string(r, 0, label, book.fmt["bold"])
        book.cell(ws, r, 1, value, "money")
    book.close(path)


WHAT_IF_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("manager_id", "ID", "int"),
    ("manager", "Менеджер", "text"),
    ("role_group", "Группа ролей", "text"),
    ("current_scheme", "Схема сейчас", "text"),
    ("current", "Выплата сейчас", "money"),
    ("proposed_scheme", "Схема «что если»", "text"),
    ("proposed", "Выплата «что если»", "money"),
    ("difference", "Разница", "money"),
)


def what_if_records(w: WhatIf) -> list[dict[str, Any]]:
    """One flat dict per manager, side by side (the what-if CSV and sheet)."""
    return [
        {
            "manager_id": r.manager_id,
            "manager": r.manager,
            "role_group": GROUP_NAMES_RU.get(r.role_group, r.role_group),
            "current_scheme": r.current_scheme or "нет схемы",
            "current": r.current,
            "proposed_scheme": r.proposed_scheme or "нет схемы",
            "proposed": r.proposed,
            "difference": r.difference,
        }
        for r in w.rows
    ]


def write_what_if(path: Path, w: WhatIf) -> None:
    """Write the what-if comparison as a one-sheet workbook with a total row."""
    book = _Book(path)
    records = what_if_records(w)
    records.append(
        {
            "code": "total",
            "manager": "Итого",
            "current": w.current_total,
            "proposed": w.proposed_total,
            "difference": w.difference,
        }
    )
    book.table("Что если", WHAT_IF_COLUMNS, records)
    book.close(path)
