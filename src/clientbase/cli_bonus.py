"""`clientbase bonus …`: bonus statements, what-if schemes, credit split inside client teams."""

from __future__ import annotations

import datetime as dt
import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape as esc
from rich.table import Table

from clientbase.cli_common import DbOption, err, out, write_rows
from clientbase.core.bonus import SchemeSet
from clientbase.core.credit import ROLE_NAMES_RU, SEGMENT_FIELDS
from clientbase.core.kpi import parse_period
from clientbase.errors import BadInputError
from clientbase.io import bonus_xlsx
from clientbase.services import bonus as bs
from clientbase.services import database
from clientbase.services.kpi import GROUP_NAMES_RU

bonus_app = typer.Typer(
    help="Мотивация: бонусная ведомость, схемы мотивации, «что если», "
    "распределение заслуг в команде клиента.",
    no_args_is_help=True,
)
schemes_app = typer.Typer(
    help="Схемы мотивации: показать или загрузить из файла.", no_args_is_help=True
)
split_app = typer.Typer(
    help="Распределение заслуг по ролям команды клиента: показать или загрузить из файла.",
    no_args_is_help=True,
)
bonus_app.add_typer(schemes_app, name="schemes")
bonus_app.add_typer(split_app, name="split")


class Format(StrEnum):
    """Output format of a statement."""

    table = "table"
    csv = "csv"
    xlsx = "xlsx"


PeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period",
        help="Период: 2026-10 (месяц), 2026-Q3 (квартал) или 2026 (год); "
        "по умолчанию прошлый месяц.",
        show_default=False,
    ),
]
FormatOption = Annotated[
    Format | None,
    typer.Option(
        "--format", help="table, csv или xlsx (по умолчанию — по --out).", show_default=False
    ),
]
OutOption = Annotated[Path | None, typer.Option("--out", help="Файл для csv/xlsx.")]
UNIT_RU = {"money": "руб.", "count": "шт.", "share": "", "none": ""}


def _money(v: float | None) -> str:
    # Non-breaking spaces keep a sum on one line in a narrow terminal.
    return "" if v is None else f"{v:,.2f}".replace(",", "\u00a0").replace(".", ",")


def _pct(v: float | None) -> str:
    return "" if v is None else f"{100 * v:.1f}\u00a0%".replace(".", ",")


def _attainment(v: float | None) -> str:
    # Cut, not rounded, as in the statement lines: 99.99 % never reads «100 %».
    return "" if v is None else _pct(math.floor(v * 1000) / 1000)


def _number(v: float) -> str:
    text = f"{v:g}".replace(".", ",")
    return text


def _period(period: str | None) -> str:
    if period:
        return parse_period(period).label
    first = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    return f"{first:%Y-%m}"


def _format(fmt: Format | None, path: Path | None) -> Format:
    if fmt is None:
        fmt = Format.table
        if path is not None:
            fmt = Format.xlsx if path.suffix.lower() == ".xlsx" else Format.csv
    if fmt is Format.xlsx and path is None:
        raise BadInputError("--format xlsx: укажите файл через --out.")
    if fmt is Format.xlsx and path is not None and path.suffix.lower() != ".xlsx":
        raise BadInputError(f"--out {path}: для --format xlsx нужен файл .xlsx.")
    if fmt is Format.csv and path is not None and path.suffix.lower() == ".xlsx":
        raise BadInputError(f"--out {path}: для --format csv нужен файл не .xlsx.")
    if fmt is Format.table and path is not None:
        raise BadInputError("--out пишет csv или xlsx; для таблицы на экране уберите --out.")
    return fmt


def _base(line: bs.StatementLine) -> str:
    if line.base is None:
        return ""
    if line.base_unit == "money":
        return _money(line.base)
    if line.base_unit == "share":
        return _pct(line.base)
    return _number(line.base)


def _rate(line: bs.StatementLine) -> str:
    if line.rate is None:
        return ""
    if line.code == "volume":
        return f"{_number(line.rate)} %"
    return _money(line.rate)


def _print_statement(st: bs.Statement, *, detailed: bool) -> None:
    sources = (
        f"схемы: {'сохранённые' if st.schemes_stored else 'по умолчанию'}; "
        f"распределение заслуг: {'сохранённое' if st.split_stored else 'по умолчанию'}"
    )
    if detailed:
        for r in st.rows:
            table = Table(
                title=f"{esc(r.manager)} (#{r.manager_id}, "
                f"{GROUP_NAMES_RU.get(r.role_group, r.role_group)}) — {st.period}, "
                f"схема «{esc(r.scheme or 'нет схемы')}»",
                title_justify="left",
            )
            for title in ("Месяц", "Строка", "База", "Ставка", "Порог", "Сумма"):
                right = title in ("База", "Ставка", "Сумма")
                table.add_column(
                    title, justify="right" if right else "left", overflow="fold", no_wrap=right
                )
            for x in r.lines:
                table.add_row(x.month, x.title, _base(x), _rate(x), x.threshold, _money(x.amount))
            table.add_section()
            table.add_row("", "Итого", "", "", "", f"[bold]{_money(r.total)}[/]")
            out.print(table)
            plan = _money(r.plan) if r.plan is not None else "нет"
            out.print(
                f"Зачтено: {_money(r.credited)} (по KPI закрыл сам: {_money(r.kpi_volume)}); "
                f"план {plan}; выполнение {_attainment(r.attainment) or '—'}; "
                f"новых клиентов {r.new_clients}.",
                highlight=False,
            )
    else:
        table = Table(title=f"Бонусная ведомость за {st.period}")
        for title in ("ID", "Менеджер", "Схема", "Зачтено", "План", "Выполн.", "Итого"):
            right = title in ("ID", "Зачтено", "План", "Выполн.", "Итого")
            table.add_column(
                title, justify="right" if right else "left", overflow="fold", no_wrap=right
            )
        for r in st.rows:
            table.add_row(
                str(r.manager_id),
                esc(r.manager),
                esc(r.scheme or "нет схемы"),
                _money(r.credited),
                _money(r.plan),
                _attainment(r.attainment),
                _money(r.total),
            )
        table.add_section()
        table.add_row("", "Итого", "", _money(st.credited_total), "", "", _money(st.total))
        out.print(table)
    out.print(
        f"Выигранные сделки компании: {_money(st.company_volume)}; зачтено менеджерам "
        f"{_money(st.credited_total)}; не зачтено никому {_money(st.unassigned)}. ({sources})",
        highlight=False,
    )


@bonus_app.command("statement")
def statement(
    db: DbOption = None,
    period: PeriodOption = None,
    manager: Annotated[
        int | None, typer.Option("--manager", help="Номер менеджера: только его ведомость.")
    ] = None,
    fmt: FormatOption = None,
    path: OutOption = None,
    lines: Annotated[
        bool, typer.Option("--lines", help="В таблице — все строки каждого менеджера.")
    ] = False,
) -> None:
    """Бонусная ведомость: оклад, % от зачтённого объёма по ступеням плана, бонусы, итоги."""
    label = _period(period)
    fmt = _format(fmt, path)
    engine = database.open_database(db)
    st = bs.statement(engine=engine, period=label, manager_id=manager)
    if fmt is Format.table:
        _print_statement(st, detailed=lines or manager is not None)
        return
    if fmt is Format.xlsx:
        assert path is not None
        credits = bs.deal_credits(engine=engine, period=label, manager_id=manager)
        bonus_xlsx.write_statement(path, st, credits)
        err.print(f"Ведомость: менеджеров {len(st.rows)} → {path}")
        return
    headers = [key for key, _, _ in bonus_xlsx.LINE_COLUMNS]
    records = bonus_xlsx.line_records(st)
    n = write_rows(path or Path("/dev/stdout"), headers, [[r[h] for h in headers] for r in records])
    if path is not None:
        err.print(f"Записано строк: {n} → {path}")


@bonus_app.command("credit")
def credit(
    db: DbOption = None,
    period: PeriodOption = None,
    manager: Annotated[
        int | None, typer.Option("--manager", help="Номер менеджера: доли сделок, зачтённые ему.")
    ] = None,
    path: OutOption = None,
) -> None:
    """Зачтённый объём по менеджерам (доли ролей команды клиента) рядом с объёмом по KPI."""
    label = _period(period)
    engine = database.open_database(db)
    if manager is not None or path is not None:
        credits = bs.deal_credits(engine=engine, period=label, manager_id=manager)
        if path is not None:
            headers = [key for key, _, _ in bonus_xlsx.DEAL_COLUMNS]
            records = bonus_xlsx.deal_records(credits)
            n = write_rows(path, headers, [[r[h] for h in headers] for r in records])
            err.print(f"Записано долей сделок: {n} → {path}")
            return
        table = Table(title=f"Доли сделок менеджера #{manager} за {label}")
        for title in (
            "Сделка",
            "Клиент",
            "Закрыта",
            "Сумма",
            "Роль",
            "Доля",
            "Зачтено",
            "Основание",
        ):
            table.add_column(title, overflow="fold")
        for c in credits:
            table.add_row(
                str(c.deal_id),
                f"{esc(c.client)} (#{c.client_id})",
                c.closed,
                _money(c.amount),
                ROLE_NAMES_RU.get(c.role or "", "первая покупка"),
                f"{_number(c.percent)} %",
                _money(c.credited),
                c.reason,
            )
        out.print(table)
        out.print(f"Итого зачтено: {_money(sum(c.credited for c in credits))}", highlight=False)
        return
    report = bs.credit_report(engine=engine, period=label)
    table = Table(title=f"Зачтённый объём за {report.period}")
    for title in ("ID", "Менеджер", "Группа", "Сделок", "Зачтено", "По ролям", "Объём по KPI"):
        right = title in ("ID", "Сделок", "Зачтено", "Объём по KPI")
        table.add_column(
            title, justify="right" if right else "left", overflow="fold", no_wrap=right
        )
    for r in report.rows:
        roles = "\n".join(f"{ROLE_NAMES_RU.get(k, k)} {_money(v)}" for k, v in r.by_role.items())
        table.add_row(
            str(r.manager_id),
            esc(r.manager),
            GROUP_NAMES_RU.get(r.role_group, r.role_group),
            str(r.deals),
            _money(r.credited),
            roles,
            _money(r.kpi_volume),
        )
    table.add_section()
    table.add_row("", "Итого", "", "", _money(report.credited_total), "", "")
    out.print(table)
    out.print(
        f"Выигранные сделки компании: {_money(report.company_volume)} = зачтено "
        f"{_money(report.credited_total)} + не зачтено никому {_money(report.unassigned)}.",
        highlight=False,
    )


@bonus_app.command("what-if")
def what_if(
    scheme: Annotated[
        Path, typer.Option("--scheme", help="Файл схем мотивации (.json или .toml).")
    ],
    db: DbOption = None,
    period: PeriodOption = None,
    fmt: FormatOption = None,
    path: OutOption = None,
    replace_all: Annotated[
        bool,
        typer.Option(
            "--replace-all",
            help="Только схемы из файла; кого они не покрывают — без схемы "
            "(по умолчанию такие менеджеры остаются на текущей схеме).",
        ),
    ] = False,
) -> None:
    """Что было бы с бонусами за период по другой схеме — рядом с текущей."""
    label = _period(period)
    fmt = _format(fmt, path)
    proposed = bs.read_schemes_file(path=scheme)
    engine = database.open_database(db)
    result = bs.what_if(engine=engine, period=label, schemes=proposed, replace_all=replace_all)
    if fmt is Format.xlsx:
        assert path is not None
        bonus_xlsx.write_what_if(path, result)
        err.print(f"Сравнение: менеджеров {len(result.rows)} → {path}")
        return
    if fmt is Format.csv:
        headers = [key for key, _, _ in bonus_xlsx.WHAT_IF_COLUMNS]
        records = bonus_xlsx.what_if_records(result)
        target = path or Path("/dev/stdout")
        n = write_rows(target, headers, [[r[h] for h in headers] for r in records])
        if path is not None:
            err.print(f"Записано строк: {n} → {path}")
        return
    table = Table(title=f"Бонусы за {result.period}: сейчас и по схеме из {esc(scheme.name)}")
    for title in (
        "ID",
        "Менеджер",
        "Схема сейчас",
        "Сейчас",
        "Схема «что если»",
        "Что если",
        "Разница",
    ):
        right = title in ("ID", "Сейчас", "Что если", "Разница")
        table.add_column(
            title, justify="right" if right else "left", overflow="fold", no_wrap=right
        )
    for r in result.rows:
        table.add_row(
            str(r.manager_id),
            esc(r.manager),
            esc(r.current_scheme or "нет схемы"),
            _money(r.current),
            esc(r.proposed_scheme or "нет схемы"),
            _money(r.proposed),
            _money(r.difference),
        )
    table.add_section()
    table.add_row(
        "",
        "Итого",
        "",
        _money(result.current_total),
        "",
        _money(result.proposed_total),
        _money(result.difference),
    )
    out.print(table)


def _print_schemes(schemes: SchemeSet, stored: bool) -> None:
    out.print(f"Схемы мотивации ({'сохранённые' if stored else 'по умолчанию'}):", highlight=False)
    for s in schemes.schemes:
        who = GROUP_NAMES_RU.get(s.role_group, s.role_group)
        if s.team:
            who += f", команда «{s.team}»"
        if s.managers:
            who = "менеджеры " + ", ".join(f"#{m}" for m in sorted(s.managers))
        table = Table(title=f"«{esc(s.name)}» — {esc(who)}", title_justify="left")
        table.add_column("Ступень: выполнение плана от", justify="right")
        seg_values = sorted({k for st in s.steps for k, _ in st.rates})
        table.add_column("Ставка, % от зачтённого", justify="right")
        field_ru = SEGMENT_FIELDS.get(s.segment_by or "", "")
        for v in seg_values:
            table.add_column(f"{field_ru} {v}, %", justify="right")
        for st in s.steps:
            table.add_row(
                f"{_number(float(st.start))} %",
                _number(float(st.rate)),
                *(_number(float(st.rate_for(v))) for v in seg_values),
            )
        out.print(table)
        extra = [f"оклад {_money(s.salary_kopecks / 100)}"]
        if s.new_client_kopecks:
            extra.append(f"за нового клиента {_money(s.new_client_kopecks / 100)}")
        if s.retention_from is not None:
            extra.append(
                f"за удержание от {_number(float(s.retention_from))} % — "
                f"{_money(s.retention_kopecks / 100)}"
            )
        out.print("; ".join(extra) + ".", highlight=False)


@schemes_app.command("show")
def schemes_show(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Вывести как JSON-файл схем.")] = False,
) -> None:
    """Показать схемы мотивации в силе (сохранённые или по умолчанию)."""
    view = bs.show_schemes(engine=database.open_database(db))
    if as_json:
        print(json.dumps(view.data, ensure_ascii=False, indent=2))
        return
    _print_schemes(view.schemes, view.stored)


@schemes_app.command("import")
def schemes_import(
    file: Annotated[Path, typer.Argument(help="Файл схем мотивации (.json или .toml).")],
    db: DbOption = None,
) -> None:
    """Проверить и сохранить схемы мотивации из файла (заменяют прежние целиком)."""
    view = bs.import_schemes(engine=database.open_database(db), path=file)
    out.print(f"Схемы мотивации сохранены: {len(view.schemes.schemes)}.")
    _print_schemes(view.schemes, view.stored)


def _print_split(view: bs.SplitView) -> None:
    table = Table(
        title="Распределение заслуг по ролям команды клиента "
        f"({'сохранённое' if view.stored else 'по умолчанию'})"
    )
    for title in ("№", "Правило", "Условие", "Доли ролей"):
        table.add_column(title, overflow="fold")
    for n, rule in enumerate(view.rules, start=1):
        when = "; ".join(
            f"{SEGMENT_FIELDS.get(f, f)} ∈ {{{', '.join(v)}}}" for f, v in rule.when.items()
        )
        shares = ", ".join(
            f"{ROLE_NAMES_RU.get(r, r)} ({r}) {_number(p)} %" for r, p in rule.shares.items()
        )
        table.add_row(str(n), esc(rule.name), esc(when) or "все остальные клиенты", shares)
    out.print(table)
    out.print(
        "Первое подходящее правило решает. Роль, которую никто не занимает, отдаёт долю "
        "ответственному за сделку; первая покупка нового клиента целиком — охотнику.",
        highlight=False,
    )


@split_app.command("show")
def split_show(
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Вывести как JSON-файл правил.")] = False,
) -> None:
    """Показать правила распределения заслуг (сохранённые или по умолчанию)."""
    view = bs.show_split(engine=database.open_database(db))
    if as_json:
        print(json.dumps(view.data, ensure_ascii=False, indent=2))
        return
    _print_split(view)


@split_app.command("import")
def split_import(
    file: Annotated[Path, typer.Argument(help="Файл правил (.json или .toml).")],
    db: DbOption = None,
) -> None:
    """Проверить и сохранить правила распределения заслуг из файла (заменяют прежние)."""
    view = bs.import_split(engine=database.open_database(db), path=file)
    out.print(f"Правила распределения заслуг сохранены: {len(view.rules)}.")
    _print_split(view)
