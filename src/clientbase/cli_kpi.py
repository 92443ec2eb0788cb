"""`clientbase kpi …`: the manager scorecard, plan vs actual, drill-down, plans and weights."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from clientbase.cli_common import DbOption, err, out, write_rows
from clientbase.core.kpi import KPI_BY_CODE, parse_period
from clientbase.errors import BadInputError
from clientbase.io import readers
from clientbase.io.kpi_xlsx import SCORECARD_COLUMNS, scorecard_record, write_workbook
from clientbase.services import database
from clientbase.services import kpi as ks

kpi_app = typer.Typer(
    help="KPI менеджеров: сбалансированная карта показателей, план-факт, рейтинг, Excel.",
)

GROUP_RU = ks.GROUP_NAMES_RU
TodayOption = Annotated[
    dt.datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"], help="Отчётная дата (по умолчанию сегодня).", show_default=False
    ),
]
PeriodOption = Annotated[
    str | None,
    typer.Option(
        "--period",
        help="Период: 2026 (год), 2026-Q3 (квартал) или 2026-10 (месяц); "
        "по умолчанию текущий месяц.",
        show_default=False,
    ),
]
DETAIL_LIMIT = 20
DETAIL_KPIS = (
    "volume",
    "lost_deals",
    "new_clients",
    "retention",
    "repeat_rate",
    "coverage",
    "response_minutes",
    "discipline",
    "satisfaction",
    "feedback",
)


class Format(StrEnum):
    """Output format of the scorecard."""

    table = "table"
    csv = "csv"
    xlsx = "xlsx"


def _money(v: float | None) -> str:
    return "" if v is None else f"{v:,.0f}".replace(",", " ")


def _pct(v: float | None) -> str:
    return "" if v is None else f"{100 * v:.1f} %"


def _num(v: float | None, digits: int = 1) -> str:
    return "" if v is None else f"{v:.{digits}f}"


def _value(code: str, v: float | None) -> str:
    unit = KPI_BY_CODE[code].unit if code in KPI_BY_CODE else "count"
    if unit == "money":
        return _money(v)
    if unit == "share":
        return _pct(v)
    if unit == "count":
        return "" if v is None else str(int(v))
    return _num(v)


def _resolve_period(period: str | None, today: dt.date) -> str:
    return parse_period(period).label if period else f"{today:%Y-%m}"


# (title, value of a row) of the scorecard table; COMPACT are kept on a narrow terminal.
TABLE_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("Место", lambda r: "" if r.rank is None else str(r.rank)),
    ("ID", lambda r: str(r.manager_id)),
    ("Менеджер", lambda r: r.manager),
    ("Группа", lambda r: GROUP_RU.get(r.role_group, r.role_group)),
    ("Объём", lambda r: _money(r.kpis.volume)),
    ("План", lambda r: _money(r.kpis.plan)),
    ("Выполн.", lambda r: _pct(r.kpis.attainment)),
    ("Прогноз", lambda r: _money(r.forecast)),
    ("Конв.", lambda r: _pct(r.kpis.conversion)),
    ("Ср. чек", lambda r: _money(r.kpis.average_check)),
    ("Новые", lambda r: str(r.kpis.new_clients)),
    ("Удерж.", lambda r: _pct(r.kpis.retention)),
    ("Повт.", lambda r: _pct(r.kpis.repeat_rate)),
    ("Охват", lambda r: _pct(r.kpis.coverage)),
    ("Балл", lambda r: _num(r.score)),
)
COMPACT = ("Место", "Менеджер", "Объём", "Выполн.", "Удерж.", "Охват", "Балл")


def _print_table(card: ks.Scorecard) -> None:
    table = Table(
        title=f"KPI менеджеров за {card.period} (на {card.as_of:%d.%m.%Y}; "
        f"сравнение: {card.previous} и {card.last_year})"
    )
    columns = [c for c in TABLE_COLUMNS if out.width >= 150 or c[0] in COMPACT]
    for title, _ in columns:
        # Numbers never wrap; the names take what width is left.
        if title in ("Менеджер", "Группа"):
            table.add_column(title, overflow="fold", min_width=8)
        else:
            table.add_column(title, no_wrap=True, justify="right")
    for r in card.rows:
        table.add_row(*(value(r) for _, value in columns))
    company = ks.ScorecardRow(
        manager_id=0,
        manager="Компания",
        team=None,
        role_group="",
        active=True,
        period=card.period,
        kpis=card.company.kpis,
        forecast=card.company.forecast,
        forecast_attainment=None,
        percentiles={},
        score=None,
        rank=None,
        rank_overall=None,
        strengths=[],
        weak_spots=[],
    )
    table.add_section()
    table.add_row(*("" if t in ("ID", "Группа") else value(company) for t, value in columns))
    out.print(table)
    if len(columns) < len(TABLE_COLUMNS):
        out.print("Все показатели: шире окно терминала, --format csv или --format xlsx.")
    out.print("Место — среди коллег той же группы ролей; балл 0–100 — взвешенные процентили.")


def _print_manager(card: ks.Scorecard, manager_id: int, comparison: ks.Comparison) -> None:
    row = card.row(manager_id)
    before = {x.kpi: x for x in comparison.of("manager", str(manager_id))}
    out.print(
        f"[bold]{row.manager}[/] (#{row.manager_id}, {GROUP_RU.get(row.role_group, row.role_group)}"
        f", команда {row.team or '—'}) — период {card.period}: балл {_num(row.score)}, "
        f"место {row.rank or '—'} в группе, {row.rank_overall or '—'} в отделе",
        highlight=False,
    )
    weights = card.weights.get(row.role_group, {})
    table = Table()
    for title in (
        "Показатель",
        card.period,
        comparison.previous,
        comparison.last_year,
        "Процентиль",
        "Вес",
    ):
        table.add_column(title, justify="left" if title == "Показатель" else "right")
    for code, kdef in KPI_BY_CODE.items():
        was = before.get(code)
        table.add_row(
            kdef.name,
            _value(code, row.kpis.value(code)),
            _value(code, was.previous) if was else "",
            _value(code, was.last_year) if was else "",
            _num(row.percentiles.get(code)),
            _pct(weights.get(code)) if weights.get(code) else "",
        )
    table.add_row("прогноз на конец периода", _money(row.forecast), "", "", "", "")
    out.print(table)
    out.print(f"Сильные стороны: {', '.join(row.strengths) or '—'}", highlight=False)
    out.print(f"Зоны роста: {', '.join(row.weak_spots) or '—'}", highlight=False)


def _print_details(
    engine: Any, period: str, manager_id: int | None, today: dt.date, kpis: tuple[str, ...]
) -> None:
    for code in kpis:
        d = ks.drill_down(
            engine=engine, period=period, kpi=code, manager_id=manager_id, today=today
        )
        total = len(d.deals) + len(d.activities) + len(d.clients) + len(d.scores)
        more = "+" if d.truncated else ""
        table = Table(
            title=f"{d.title}: {total}{more} (показаны первые {min(total, DETAIL_LIMIT)})"
        )
        if d.deals:
            for t in ("Сделка", "Клиент", "Менеджер", "Сумма", "Создана", "Закрыта", "Итог"):
                table.add_column(t)
            for x in d.deals[:DETAIL_LIMIT]:
                table.add_row(
                    str(x.deal_id),
                    f"{x.client} (#{x.client_id})",
                    str(x.manager_id or ""),
                    _money(x.amount),
                    x.created.isoformat(),
                    x.closed.isoformat() if x.closed else "",
                    {"won": "выиграна", "lost": "проиграна"}.get(x.outcome, x.outcome),
                )
        elif d.activities:
            for t in ("Активность", "Клиент", "Тип", "Начало", "Срок", "Завершена", "Ответ, мин"):
                table.add_column(t)
            for a in d.activities[:DETAIL_LIMIT]:
                table.add_row(
                    str(a.activity_id),
                    f"{a.client or ''} (#{a.client_id})" if a.client_id else "",
                    a.type,
                    f"{a.started:%d.%m.%Y %H:%M}",
                    f"{a.due:%d.%m.%Y %H:%M}" if a.due else "",
                    f"{a.ended:%d.%m.%Y %H:%M}" if a.completed and a.ended else "нет",
                    _num(a.minutes),
                )
        elif d.clients:
            flag = {
                "coverage": "Контакт за 30 дней",
                "dormant_share": "«Спящий»",
                "retention": "Купил снова",
                "repeat_rate": "Покупал раньше",
            }[code]
            for t in ("Клиент", "Значимость", flag, "Последний контакт"):
                table.add_column(t)
            for c in d.clients[:DETAIL_LIMIT]:
                table.add_row(
                    f"{c.client} (#{c.client_id})",
                    c.tier,
                    "да" if c.flag else "нет",
                    f"{c.last_contact:%d.%m.%Y}" if c.last_contact else "",
                )
        elif d.scores:
            for t in ("Дата", "Источник", "Шкала", "Оценка", "Клиент / коллега"):
                table.add_column(t)
            for s in d.scores[:DETAIL_LIMIT]:
                who = s.client_id if s.client_id is not None else s.from_manager_id
                table.add_row(s.date.isoformat(), s.kind, s.scale, _num(s.score), str(who or ""))
        else:
            out.print(f"{d.title}: нет записей.")
            continue
        out.print(table)


@kpi_app.callback(invoke_without_command=True)
def kpi(
    ctx: typer.Context,
    db: DbOption = None,
    period: PeriodOption = None,
    manager: Annotated[
        int | None, typer.Option("--manager", help="Номер менеджера: его карточка и строки.")
    ] = None,
    details: Annotated[
        bool,
        typer.Option("--details", help="Показать сделки, активности и клиентов за числами."),
    ] = False,
    fmt: Annotated[
        Format | None,
        typer.Option(
            "--format", help="table, csv или xlsx (по умолчанию — по --out).", show_default=False
        ),
    ] = None,
    path: Annotated[Path | None, typer.Option("--out", help="Файл для csv/xlsx.")] = None,
    today: TodayOption = None,
) -> None:
    """Карта показателей менеджеров за период: KPI, план-факт, балл и место среди коллег."""
    if ctx.invoked_subcommand is not None:
        return
    day = today.date() if today else dt.date.today()
    label = _resolve_period(period, day)
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
    engine = database.open_database(db)
    card = ks.scorecard(engine=engine, period=label, today=day)
    if manager is not None:
        card.row(manager)  # NotFoundError (exit 1) for an unknown manager
    rows = [r for r in card.rows if manager is None or r.manager_id == manager]
    if fmt is Format.table:
        if manager is not None:
            comparison = ks.compare(engine=engine, period=label, today=day, current=card)
            _print_manager(card, manager, comparison)
        else:
            _print_table(card)
        if details:
            _print_details(engine, label, manager, day, DETAIL_KPIS if manager else ("volume",))
        return
    if fmt is Format.xlsx:
        assert path is not None
        write_workbook(
            path,
            replace(card, rows=rows),
            trend=ks.trends(engine=engine, period=label, manager_id=manager),
            funnel=ks.funnel(engine=engine, period=label, manager_id=manager),
            seasonality=ks.seasonality(engine=engine, today=day),
            comparison=ks.compare(engine=engine, period=label, today=day, current=card),
        )
        err.print(f"Записано менеджеров: {len(rows)} → {path}")
        return
    headers = [key for key, _, _ in SCORECARD_COLUMNS]
    records = [scorecard_record(r) for r in rows]
    data = [[rec[h] for h in headers] for rec in records]
    target = path or Path("/dev/stdout")
    n = write_rows(target, headers, data)
    if path is not None:
        err.print(f"Записано строк: {n} → {path}")
    if details:
        err.print("--details показывает записи в табличном виде (без --format csv).")


@kpi_app.command("drill")
def drill(
    kpi_code: Annotated[
        str, typer.Argument(metavar="KPI", help=f"Показатель: {', '.join(ks.DRILL_TITLES)}.")
    ],
    db: DbOption = None,
    period: PeriodOption = None,
    manager: Annotated[int | None, typer.Option("--manager", help="Номер менеджера.")] = None,
    path: Annotated[Path | None, typer.Option("--out", help="Записать строки в CSV/XLSX.")] = None,
    today: TodayOption = None,
) -> None:
    """Сделки, активности, клиенты или оценки, из которых сложилось число."""
    day = today.date() if today else dt.date.today()
    label = _resolve_period(period, day)
    engine = database.open_database(db)
    if path is None:
        _print_details(engine, label, manager, day, (kpi_code,))
        return
    d = ks.drill_down(engine=engine, period=label, kpi=kpi_code, manager_id=manager, today=day)
    items: list[Any] = d.deals or d.activities or d.clients or d.scores
    if not items:
        headers: list[str] = ["нет записей"]
        data: list[list[Any]] = []
    else:
        headers = list(items[0].__dataclass_fields__)
        data = [[getattr(x, h) for h in headers] for x in items]
    n = write_rows(path, headers, data)
    err.print(f"{d.title}: записано строк {n} → {path}")


@kpi_app.command("plan-set")
def plan_set(
    manager_id: Annotated[int, typer.Argument(help="Номер менеджера.", min=1)],
    period: Annotated[str, typer.Argument(help="Период: 2026, 2026-Q3 или 2026-10.")],
    amount: Annotated[float, typer.Argument(help="План продаж, сумма.", min=0)],
    db: DbOption = None,
) -> None:
    """Задать или изменить план продаж менеджера на период (загрузка файлом: import plans)."""
    engine = database.open_database(db)
    result = ks.set_plan(engine=engine, manager_id=manager_id, period=period, amount=amount)
    verb = "создан" if result.created else "изменён"
    out.print(
        f"План менеджера #{result.manager_id} на {result.period} {verb}: {_money(result.amount)}"
    )


@kpi_app.command("weights")
def weights(
    db: DbOption = None,
    load: Annotated[
        Path | None,
        typer.Option("--set", help="JSON-файл {группа: {показатель: вес}} — сохранить веса."),
    ] = None,
) -> None:
    """Показать веса показателей по группам ролей или сохранить новые из JSON-файла."""
    engine = database.open_database(db)
    if load is not None:
        raw = readers.read_settings(load, what="Файл весов")
        if not isinstance(raw, dict):
            raise BadInputError(f"Файл весов {load}: нужен объект {{группа: {{показатель: вес}}}}.")
        table_weights = ks.save_weights(engine=engine, weights=raw)
        out.print("Веса сохранены.")
    else:
        table_weights = ks.load_weights(engine)
    groups = sorted(table_weights)
    table = Table(title="Веса показателей в балле по группам ролей")
    table.add_column("Показатель")
    for g in groups:
        table.add_column(GROUP_RU.get(g, g), justify="right")
    for code, kdef in KPI_BY_CODE.items():
        table.add_row(
            f"{kdef.name} ({code})",
            *(
                _pct(table_weights[g].get(code)) if table_weights[g].get(code) else ""
                for g in groups
            ),
        )
    out.print(table)
