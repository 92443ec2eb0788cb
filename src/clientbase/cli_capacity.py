"""`clientbase capacity …`: capacity and load, headcount, buried clients, working-day photo."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from clientbase.cli_common import DbOption, err, out, write_rows
from clientbase.core.season import MONTHS_RU, parse_period, working_days
from clientbase.errors import BadInputError
from clientbase.services import capacity as cs
from clientbase.services import database
from clientbase.services import season as ss

capacity_app = typer.Typer(
    help="Ёмкость и нагрузка менеджеров, потребность в штате, «закопанные» клиенты.",
)
season_app = typer.Typer(
    help="Сезонная ёмкость: коэффициенты месяцев, праздники, рабочая неделя.",
    no_args_is_help=True,
)
capacity_app.add_typer(season_app, name="season")

TablesOption = Annotated[
    Path | None,
    typer.Option(
        "--tables",
        help="Файл таблиц нагрузки (TOML или JSON), иначе app_meta «capacity_tables».",
        show_default=False,
    ),
]
TodayOption = Annotated[
    dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="На какую дату считать.")
]
GROUP_RU = {
    "farmer": "аккаунт",
    "hunter": "охотник",
    "service": "сервис",
    "admin": "администратор",
    "head": "руководитель",
}


class Format(StrEnum):
    """Output format of a report."""

    table = "table"
    csv = "csv"
    xlsx = "xlsx"


def _emit(
    title: str, headers: list[str], rows: list[list[Any]], fmt: Format, path: Path | None
) -> None:
    if fmt is Format.table:
        table = Table(title=title)
        for h in headers:
            table.add_column(h)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        out.print(table)
        return
    if path is None:
        if fmt is Format.xlsx:
            raise BadInputError("--format xlsx: укажите файл через --out.")
        path = Path("/dev/stdout")
    if fmt is Format.xlsx and path.suffix.lower() != ".xlsx":
        raise BadInputError(f"--out {path}: для --format xlsx нужен файл .xlsx.")
    if fmt is Format.csv and path.suffix.lower() == ".xlsx":
        raise BadInputError(f"--out {path}: для --format csv нужен файл не .xlsx.")
    n = write_rows(path, headers, rows)
    if str(path) != "/dev/stdout":
        err.print(f"Записано строк: {n} → {path}")


@capacity_app.callback(invoke_without_command=True)
def capacity(
    ctx: typer.Context,
    db: DbOption = None,
    manager: Annotated[int | None, typer.Option("--manager", help="Номер менеджера.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv или xlsx.")] = Format.table,
    path: Annotated[Path | None, typer.Option("--out", help="Файл для csv/xlsx.")] = None,
    tables: TablesOption = None,
    days: Annotated[int, typer.Option(help="Без контакта столько дней = «закопан».", min=1)] = 30,
    learned: Annotated[
        bool, typer.Option("--learned", help="Часы на клиента по истории активностей.")
    ] = False,
    today: TodayOption = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="Ёмкость на период (2026-12, 2026-Q4): сезон и отпуска.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Ёмкость каждого менеджера с факторами, нагрузка, загрузка % и статус."""
    if ctx.invoked_subcommand is not None:
        return
    bounds = parse_period(period) if period is not None else None
    engine = database.open_database(db)
    tab = cs.load_tables(engine, tables)
    workload = cs.learned_workload(engine, tables=tab) if learned else None
    rows = cs.manager_loads(
        engine,
        tables=tab,
        today=today.date() if today else None,
        days=days,
        manager_id=manager,
        workload=workload,
        period=bounds,
    )
    headers = [
        "id",
        "менеджер",
        "группа",
        "ёмкость",
        "вручную",
        "клиентов",
        "взвешенно",
        "часов",
        "часов в мес.",
        "загрузка %",
        "статус",
        "охват %",
        "факторы",
    ]
    data = [
        [
            x.manager_id,
            x.name,
            GROUP_RU.get(x.role_group, x.role_group),
            x.capacity,
            "да" if x.overridden else "",
            x.clients,
            x.weighted_clients,
            x.hours,
            x.hours_capacity,
            x.utilization,
            x.status_ru,
            x.coverage,
            x.drivers,
        ]
        for x in rows
    ]
    # Appended, so that scripts reading the columns by position keep working.
    headers += ["сезон", "присутствие %"]
    for x, row in zip(rows, data, strict=True):
        row += [x.season_factor, round(100 * x.presence, 1)]
    title = "Ёмкость и нагрузка" + (f" на {period}" if period else "")
    _emit(title, headers, data, fmt, path)
    over = [x for x in rows if x.status == "over"]
    if fmt is Format.table and over:
        err.print(f"Перегружены: {', '.join(f'#{x.manager_id} {x.name}' for x in over)}")


@capacity_app.command("headcount")
def headcount(
    db: DbOption = None,
    growth: Annotated[float, typer.Option(help="Рост клиентской базы: 0.2 = +20 %.")] = 0.0,
    region: Annotated[str | None, typer.Option(help="Новый регион (что если).")] = None,
    region_clients: Annotated[
        int | None, typer.Option(help="Клиентов в новом регионе (по умолчанию средний).", min=1)
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv или xlsx.")] = Format.table,
    path: Annotated[Path | None, typer.Option("--out", help="Файл для csv/xlsx.")] = None,
    tables: TablesOption = None,
) -> None:
    """Сколько менеджеров каждой группы нужно, по регионам, и каких не хватает."""
    engine = database.open_database(db)
    plan = cs.headcount(
        engine,
        growth=growth,
        region=region,
        region_clients=region_clients,
        tables=cs.load_tables(engine, tables),
    )
    headers = [
        "группа",
        "регион",
        "клиентов",
        "взвешенно",
        "часов",
        "нужно ставок",
        "есть",
        "нехватка",
    ]
    data = [
        [
            GROUP_RU.get(s.role_group, s.role_group),
            s.segment,
            s.clients,
            s.weighted_clients,
            s.hours,
            s.fte_needed,
            s.fte_serving,
            "да" if s.short else "",
        ]
        for s in plan.segments
    ]
    _emit("Потребность по регионам", headers, data, fmt, path)
    if fmt is Format.table:
        for g in plan.groups:
            out.print(
                f"[bold]{GROUP_RU.get(g.role_group, g.role_group)}[/]: есть {g.managers}, "
                f"нужно {g.needed}, не хватает {g.shortfall}; клиентов сверх ёмкости "
                f"{g.clients_above_capacity}. {g.reasoning}",
                highlight=False,
            )


@capacity_app.command("buried")
def buried(
    db: DbOption = None,
    days: Annotated[int, typer.Option(help="Без контакта столько дней.", min=1)] = 30,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv или xlsx.")] = Format.table,
    path: Annotated[Path | None, typer.Option("--out", help="Файл для csv/xlsx.")] = None,
    tables: TablesOption = None,
    today: TodayOption = None,
) -> None:
    """«Закопанные» клиенты: без контакта N дней; охват по менеджерам."""
    engine = database.open_database(db)
    report = cs.buried_clients(
        engine,
        days=days,
        today=today.date() if today else None,
        tables=cs.load_tables(engine, tables),
    )
    if fmt is not Format.table:
        headers = [
            "клиент id",
            "клиент",
            "значимость",
            "менеджер id",
            "менеджер",
            "контакт",
            "дней",
        ]
        data = [
            [c.client_id, c.name, c.tier, c.manager_id, c.manager, c.last_contact, c.days_silent]
            for c in report.clients
        ]
        _emit("Закопанные клиенты", headers, data, fmt, path)
        return
    rows = [
        [x.manager_id, x.name, x.clients, x.buried, x.coverage, x.utilization, x.status_ru]
        for x in report.managers
        if x.clients
    ]
    _emit(
        f"Охват за {days} дн.",
        ["id", "менеджер", "клиентов", "закопано", "охват %", "загрузка %", "статус"],
        rows,
        fmt,
        path,
    )
    if report.correlation is not None:
        out.print(f"Связь загрузки и охвата (r Пирсона): {report.correlation}")


@capacity_app.command("photo")
def photo(
    db: DbOption = None,
    days: Annotated[int, typer.Option(help="Период: последние N дней.", min=1)] = 90,
    fmt: Annotated[Format, typer.Option("--format", help="table, csv или xlsx.")] = Format.table,
    path: Annotated[Path | None, typer.Option("--out", help="Файл для csv/xlsx.")] = None,
    tables: TablesOption = None,
    today: TodayOption = None,
) -> None:
    """Фотография рабочего дня: время по типам активностей и значимости клиентов."""
    engine = database.open_database(db)
    until = today.date() if today else dt.date.today()
    photos = cs.working_day_photo(
        engine,
        since=until - dt.timedelta(days=days),
        until=until + dt.timedelta(days=1),
        tables=cs.load_tables(engine, tables),
    )
    types = sorted({k for p in photos for k in p.by_type})
    tiers = sorted({k for p in photos for k in p.by_tier})
    headers = ["id", "менеджер", "часов", *types, *[f"клиенты {k}" for k in tiers], "на рост %"]
    data = [
        [
            p.manager_id,
            p.name,
            p.hours,
            *[p.by_type.get(k, 0.0) for k in types],
            *[p.by_tier.get(k, 0.0) for k in tiers],
            p.growth_share,
        ]
        for p in photos
    ]
    _emit(f"Фотография рабочего дня за {days} дн.", headers, data, fmt, path)


@season_app.command("show")
def season_show(
    db: DbOption = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period", help="Показать и рабочие дни периода (2026-12).", show_default=False
        ),
    ] = None,
) -> None:
    """Показать таблицу сезонной ёмкости (app_meta «seasonal_capacity»)."""
    engine = database.open_database(db)
    table = ss.load_season(engine=engine)
    grid = Table(title="Сезонная ёмкость: коэффициенты месяцев")
    grid.add_column("месяц")
    grid.add_column("коэффициент", justify="right")
    for month, name in enumerate(MONTHS_RU, start=1):
        grid.add_row(f"{month:02d} {name}", f"{table.factor(month):.2f}")
    out.print(grid)
    days = "пн–пт" if table.workdays == frozenset({1, 2, 3, 4, 5}) else str(sorted(table.workdays))
    out.print(f"Рабочие дни недели: {days}; праздников: {len(table.holidays)}.", highlight=False)
    if table.holidays:
        out.print(", ".join(d.isoformat() for d in sorted(table.holidays)), highlight=False)
    if table.is_default:
        out.print("Таблица не задана: все коэффициенты 1.0 (ёмкость меняют только отпуска).")
    if period is not None:
        start, end = parse_period(period)
        n = len(working_days(start, end, table))
        out.print(f"Период {period}: рабочих дней {n}.", highlight=False)


@season_app.command("import")
def season_import(
    file: Annotated[Path, typer.Argument(help="Файл TOML или JSON с разделом months.")],
    db: DbOption = None,
) -> None:
    """Загрузить таблицу сезонной ёмкости из файла (заменяет сохранённую)."""
    engine = database.open_database(db)
    table = ss.import_season(engine=engine, path=file)
    changed = ", ".join(f"{MONTHS_RU[m - 1]} ×{v:.2f}" for m, v in table.months.items() if v != 1.0)
    out.print(
        f"Сезонная ёмкость сохранена: {changed or 'все месяцы ×1.00'}; "
        f"праздников: {len(table.holidays)}.",
        highlight=False,
    )
