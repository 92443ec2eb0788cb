"""`clientbase team|route|manager|rules|handoff`: client teams, routing, handoff, leaving."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from clientbase.cli_common import DbOption, err, out, write_rows
from clientbase.core.routing import STRATEGY_RU, RoutingStrategy
from clientbase.core.types import ClientStatus
from clientbase.errors import BadInputError
from clientbase.services import database
from clientbase.services import routing as rs
from clientbase.services import teams as ts

team_app = typer.Typer(
    help="Команда клиента: ответственные по ролям, история, ручная передача.",
    no_args_is_help=True,
)
route_app = typer.Typer(
    help="Маршрутизация новых клиентов и лидов: очередь, файл лидов, отчёт о справедливости.",
)
manager_app = typer.Typer(
    help="Менеджер: уход с передачей клиентов и открытых дел.", no_args_is_help=True
)
rules_app = typer.Typer(
    help="Таблица условных ролей: список, импорт и экспорт (CSV, XLSX, JSON, TOML).",
    no_args_is_help=True,
)

TodayOption = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="Дата операции (по умолчанию сегодня)."),
]
SeedOption = Annotated[
    int, typer.Option(help="Зерно случайного выбора при равной загрузке.", min=0)
]


def _day(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


def _table(title: str, headers: list[str], rows: Sequence[Sequence[object]]) -> Table:
    table = Table(title=title)
    for h in headers:
        table.add_column(h, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


# ---------------------------------------------------------------- team


@team_app.command("show")
def team_show(
    client: Annotated[str, typer.Argument(help="Клиент: id, внешний id или точное название.")],
    db: DbOption = None,
    history: Annotated[
        bool, typer.Option("--history/--no-history", help="Показать прошлых ответственных.")
    ] = True,
) -> None:
    """Команда клиента: кто отвечает за какую роль, какие роли нужны и история."""
    engine = database.open_database(db)
    team = ts.client_team(engine=engine, client=client)
    out.print(
        f"Клиент #{team.client_id} «{team.client}», статус {team.status}, значимость {team.tier}"
    )
    out.print(
        _table(
            "Нужные роли",
            ["роль", "", "правило", "ответственный"],
            [
                [
                    n.role,
                    n.role_ru,
                    n.rule or "по умолчанию",
                    f"{n.holder.manager} (#{n.holder.manager_id})" if n.holder else "— не назначен",
                ]
                for n in team.needed
            ],
        )
    )
    out.print(
        _table(
            "Команда",
            ["роль", "менеджер", "группа", "с", "основание"],
            [
                [m.role, f"{m.manager} (#{m.manager_id})", m.role_group, m.since, m.reason]
                for m in team.current
            ],
        )
    )
    if history and team.past:
        out.print(
            _table(
                "Прежние ответственные",
                ["роль", "менеджер", "с", "по", "основание"],
                [
                    [m.role, f"{m.manager} (#{m.manager_id})", m.since, m.until, m.reason]
                    for m in team.past
                ],
            )
        )
    if history and team.history:
        out.print(
            _table(
                "История изменений",
                ["когда", "поле", "было", "стало", "причина", "кто"],
                [
                    [
                        h.at.strftime("%Y-%m-%d %H:%M"),
                        h.field,
                        h.old_value,
                        h.new_value,
                        h.reason,
                        h.actor,
                    ]
                    for h in team.history[:30]
                ],
            )
        )


@team_app.command("set")
def team_set(
    client: Annotated[str, typer.Argument(help="Клиент: id, внешний id или точное название.")],
    role: Annotated[str, typer.Argument(help="Роль: acquisition, sales, account, service, admin.")],
    manager: Annotated[str, typer.Argument(help="Менеджер: id, e-mail или точное ФИО.")],
    db: DbOption = None,
    today: TodayOption = None,
) -> None:
    """Назначить ответственного за роль вручную; открытые сделки и дела переходят к нему."""
    engine = database.open_database(db)
    result = ts.set_responsible(
        engine=engine, client=client, role=role, manager=manager, today=_day(today), actor="cli"
    )
    if not result.changed:
        out.print(
            f"Клиент #{result.client_id}: {result.manager} уже отвечает за роль {result.role}."
        )
        return
    before = result.old_manager or "никого"
    out.print(
        f"Клиент #{result.client_id} «{result.client}», роль {result.role}: "
        f"{before} → {result.manager}. Перешло открытых сделок: {result.deals_moved}, "
        f"дел: {result.activities_moved}."
    )


@team_app.command("unset")
def team_unset(
    client: Annotated[str, typer.Argument(help="Клиент: id, внешний id или точное название.")],
    role: Annotated[str, typer.Argument(help="Роль: acquisition, sales, account, service, admin.")],
    db: DbOption = None,
    today: TodayOption = None,
) -> None:
    """Снять ответственного за роль (история сохраняется; при открытых делах — отказ)."""
    engine = database.open_database(db)
    result = ts.end_responsibility(
        engine=engine, client=client, role=role, today=_day(today), actor="cli"
    )
    if result.manager_id is None:
        out.print(f"Клиент #{result.client_id}: за роль {result.role} никто не отвечал.")
        return
    out.print(
        f"Клиент #{result.client_id} «{result.client}»: {result.manager} больше не отвечает "
        f"за роль {result.role}."
    )


# ---------------------------------------------------------------- route


def _print_routing(report: rs.RoutingReport) -> None:
    rows = [
        [d.client_id, d.client, d.role, d.manager or "—", "да" if d.over_capacity else "", d.reason]
        for d in report.decisions
    ]
    out.print(
        _table(
            "Маршрутизация" + (" (пробный прогон, ничего не записано)" if report.dry_run else ""),
            ["клиент", "название", "роль", "менеджер", "сверх ёмкости", "почему"],
            rows,
        )
    )
    out.print(
        f"Новых клиентов: {report.created_clients}; назначено: {len(report.assigned)}; "
        f"существующих клиентов: {len(report.existing)}; в очереди без ответственного: "
        f"{len(report.unassigned)}."
    )


@route_app.callback(invoke_without_command=True)
def route(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Файл лидов (CSV/XLSX, колонки как у клиентов)."),
    ] = None,
    db: DbOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Показать решения, не записывая.")
    ] = False,
    strategy: Annotated[
        RoutingStrategy | None,
        typer.Option(help="Стратегия вместо настроенной для команды."),
    ] = None,
    seed: SeedOption = 0,
    today: TodayOption = None,
) -> None:
    """Распределить новых клиентов и лиды; без --file — очередь клиентов без ответственного."""
    if ctx.invoked_subcommand is not None:
        return
    engine = database.open_database(db)
    if file is not None:
        report = rs.route_file(
            engine=engine,
            path=file,
            today=_day(today),
            dry_run=dry_run,
            seed=seed,
            strategy=strategy,
            actor="cli",
        )
    else:
        report = rs.route_queue(
            engine=engine,
            today=_day(today),
            dry_run=dry_run,
            seed=seed,
            strategy=strategy,
            actor="cli",
        )
    _print_routing(report)


@route_app.command("fairness")
def route_fairness(
    since: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"], help="Начало периода.")],
    until: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Конец периода (сегодня).")
    ] = None,
    db: DbOption = None,
    path: Annotated[Path | None, typer.Option("--out", help="Записать в CSV/XLSX.")] = None,
) -> None:
    """Доля распределённых каждому менеджеру против его доли ёмкости в группе."""
    engine = database.open_database(db)
    end = _day(until)
    if since.date() > end:
        raise BadInputError("--since позже --until.")
    report = rs.fairness_report(engine=engine, since=since.date(), until=end)
    headers = [
        "id",
        "менеджер",
        "группа",
        "роль",
        "получил",
        "доля %",
        "ёмкость",
        "доля ёмкости %",
        "отклонение п.п.",
    ]
    rows: list[list[object]] = [
        [
            r.manager_id,
            r.manager,
            r.role_group,
            r.role,
            r.routed,
            r.share,
            r.capacity,
            r.capacity_share,
            r.deviation,
        ]
        for r in report.rows
    ]
    if path is not None:
        n = write_rows(path, headers, rows)
        err.print(f"Записано строк: {n} → {path}")
        return
    out.print(
        _table(f"Справедливость маршрутизации {report.since} — {report.until}", headers, rows)
    )
    out.print(f"Наибольшее отклонение: {report.max_deviation:.2f} п.п.")


@route_app.command("strategy")
def route_strategy(
    strategy: Annotated[
        RoutingStrategy, typer.Argument(help="least-load, round-robin или weighted.")
    ],
    team: Annotated[
        str | None, typer.Option(help="Команда (managers.team); без неё — стратегия по умолчанию.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Задать стратегию маршрутизации команды или по умолчанию."""
    engine = database.open_database(db)
    config = rs.set_strategy(engine=engine, strategy=strategy, team=team)
    out.print(f"По умолчанию: {config.default.value} ({STRATEGY_RU[config.default]}).")
    for name, value in sorted(config.teams.items()):
        out.print(f"Команда «{name}»: {value.value} ({STRATEGY_RU[value]}).")


# ---------------------------------------------------------------- manager leaves


@manager_app.command("leave")
def leave(
    manager: Annotated[str, typer.Argument(help="Менеджер: id, e-mail или точное ФИО.")],
    db: DbOption = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Выполнить (без флага — только показать план).")
    ] = False,
    seed: SeedOption = 0,
    today: TodayOption = None,
) -> None:
    """Уход менеджера: его клиенты и открытые дела распределяются между коллегами."""
    engine = database.open_database(db)
    report = ts.manager_leaves(
        engine=engine, manager=manager, apply=apply, today=_day(today), seed=seed, actor="cli"
    )
    out.print(
        _table(
            f"Клиенты менеджера {report.manager} (#{report.manager_id})",
            ["клиент", "название", "роль", "кому", "сверх ёмкости", "почему"],
            [
                [
                    m.client_id,
                    m.client,
                    m.role,
                    m.manager or "— некому",
                    "да" if m.over_capacity else "",
                    m.reason,
                ]
                for m in report.moves
            ],
        )
    )
    if report.other_work:
        out.print(
            f"Открытые сделки/дела по {len(report.other_work)} другим клиентам перейдут их "
            "ответственным (или руководителю)."
        )
    out.print(
        f"Открытых сделок у менеджера: {report.open_deals_before} → {report.open_deals_after}; "
        f"открытых дел: {report.open_activities_before} → {report.open_activities_after}; "
        "всего открытых сделок/дел в базе: "
        f"{report.total_open_before[0]}/{report.total_open_before[1]} → "
        f"{report.total_open_after[0]}/{report.total_open_after[1]}."
    )
    if report.applied:
        out.print(
            f"Готово: менеджер {report.manager} отмечен неактивным, передано {len(report.moves)}."
        )
    else:
        stuck = len(report.unplaced)
        note = f" Некому передать: {stuck}." if stuck else ""
        out.print(f"Это план; чтобы выполнить, добавьте --apply.{note}")


# ---------------------------------------------------------------- rules


@rules_app.command("list")
def rules_list(db: DbOption = None) -> None:
    """Правила условных ролей в порядке применения."""
    engine = database.open_database(db)
    rows = ts.list_rules(engine=engine)
    out.print(
        _table(
            "Правила ролей",
            ["приоритет", "название", "роль", "условие", "кому", "активно"],
            [
                [r.priority, r.name, r.role, r.condition, r.target, "да" if r.active else "нет"]
                for r in rows
            ],
        )
    )
    out.print(f"Правил: {len(rows)}.")


@rules_app.command("import")
def rules_import(
    file: Annotated[Path, typer.Argument(help="Файл правил: .csv, .xlsx, .json или .toml.")],
    db: DbOption = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Файл — вся таблица: удалить правила не из файла.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Проверить, не записывая.")] = False,
) -> None:
    """Загрузить правила (всё или ничего; правила сопоставляются по названию)."""
    engine = database.open_database(db)
    result = ts.import_rules(engine=engine, path=file, replace=replace, dry_run=dry_run)
    prefix = "Проверено (ничего не записано)" if dry_run else "Загружено"
    out.print(
        f"{prefix}: новых {result.inserted}, изменено {result.updated}, без изменений "
        f"{result.unchanged}, удалено {result.removed}."
    )


@rules_app.command("export")
def rules_export(
    file: Annotated[Path, typer.Argument(help="Куда записать: .csv, .xlsx, .json или .toml.")],
    db: DbOption = None,
) -> None:
    """Выгрузить правила в файл, который загружается обратно без изменений."""
    engine = database.open_database(db)
    n = ts.export_rules(engine=engine, path=file)
    out.print(f"Записано правил: {n} → {file}")


@rules_app.command("set")
def rules_set(
    name: Annotated[str, typer.Argument(help="Название правила (по нему правило заменяется).")],
    role: Annotated[str, typer.Option(help="Роль: acquisition, sales, account, service, admin.")],
    target: Annotated[str, typer.Option(help="Кому: manager:ID, manager:e-mail или group:ГРУППА.")],
    condition: Annotated[
        str, typer.Option(help="Условие, например «tier=VIP; purchases<1000»; пусто — все.")
    ] = "",
    priority: Annotated[int, typer.Option(help="Порядок применения: меньше — раньше.")] = 100,
    active: Annotated[bool, typer.Option("--active/--inactive", help="Включено ли.")] = True,
    db: DbOption = None,
) -> None:
    """Создать или изменить одно правило."""
    engine = database.open_database(db)
    row = ts.save_rule(
        engine=engine,
        name=name,
        role=role,
        target=target,
        condition=condition,
        priority=priority,
        active=active,
    )
    out.print(
        f"Правило «{row.name}»: {row.role} ← {row.target} если {row.condition} "
        f"(приоритет {row.priority}{'' if row.active else ', выключено'})."
    )


@rules_app.command("delete")
def rules_delete(
    name: Annotated[str, typer.Argument(help="Название правила.")],
    db: DbOption = None,
) -> None:
    """Удалить правило."""
    engine = database.open_database(db)
    if not ts.delete_rule(engine=engine, name=name):
        raise BadInputError(f"Правило «{name}» не найдено.")
    out.print(f"Правило «{name}» удалено.")


@rules_app.command("needs")
def rules_needs(
    status: Annotated[
        ClientStatus | None, typer.Option(help="Статус клиента, для которого задать роли.")
    ] = None,
    roles: Annotated[
        str | None,
        typer.Option(help="Роли через запятую, например «account,service»; «-» — никаких."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Какие роли нужны клиенту по статусу (до правил); с --status и --roles — задать."""
    engine = database.open_database(db)
    if (status is None) != (roles is None):
        raise BadInputError("Укажите вместе --status и --roles (или ни одного).")
    if status is not None and roles is not None:
        wanted = [ts.parse_role(r) for r in roles.split(",") if r.strip() and r.strip() != "-"]
        config = rs.set_needed_roles(engine=engine, status=status, roles=wanted)
    else:
        config = rs.needed_roles_config(engine=engine)
    for key, values in config.items():
        out.print(f"{key.value}: {', '.join(r.value for r in values) or '—'}")


# ---------------------------------------------------------------- handoff


def handoff(
    db: DbOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Показать, не записывая.")] = False,
    seed: SeedOption = 0,
    today: TodayOption = None,
) -> None:
    """Передать купивших клиентов от охотников аккаунт-менеджерам (повтор ничего не меняет)."""
    engine = database.open_database(db)
    report = ts.run_handoff(
        engine=engine, today=_day(today), dry_run=dry_run, seed=seed, actor="cli"
    )
    out.print(
        _table(
            "Передача клиентов после первой покупки"
            + (" (пробный прогон, ничего не записано)" if dry_run else ""),
            [
                "клиент",
                "название",
                "охотник",
                "аккаунт-менеджер",
                "статус",
                "сверх ёмкости",
                "почему",
            ],
            [
                [
                    i.client_id,
                    i.client,
                    ", ".join(f"#{h}" for h in i.hunter_ids) or "—",
                    i.manager or "— некому",
                    i.status_before
                    if i.status_before == i.status_after
                    else f"{i.status_before} → {i.status_after}",
                    "да" if i.over_capacity else "",
                    i.reason,
                ]
                for i in report.items
            ],
        )
    )
    out.print(
        f"Передано: {len(report.handed_off)}; остались у охотника (некому передать): "
        f"{len(report.unassigned)}."
    )
