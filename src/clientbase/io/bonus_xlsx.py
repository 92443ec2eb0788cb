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

from clientbase.core.credit import ROLE_NAMES_RU
from clientbase.io.xlsx_book import Book
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
    ("base", "База", "rate"),
    ("base_unit", "Ед. базы", "text"),
    ("rate", "Ставка", "rate"),
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
    ("percent", "Доля, %", "rate"),
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


def _is_total(record: dict[str, Any]) -> bool:
    return bool(record.get("code") == "total")


def write_statement(path: Path, st: Statement, credits: Sequence[DealCredit]) -> None:
    """Write the statement workbook (summary, lines, deal shares, reconciliation)."""
    book = Book(path, text_width=34, number_width=14)
    book.table(book.sheet("Итоги"), SUMMARY_COLUMNS, summary_records(st), bold=_is_total)
    book.table(book.sheet("Ведомость"), LINE_COLUMNS, line_records(st), bold=_is_total)
    book.table(book.sheet("Зачёт сделок"), DEAL_COLUMNS, deal_records(credits), bold=_is_total)
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
    book.close()


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
    book = Book(path, text_width=34, number_width=14)
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
    book.table(book.sheet("Что если"), WHAT_IF_COLUMNS, records, bold=_is_total)
    book.close()
