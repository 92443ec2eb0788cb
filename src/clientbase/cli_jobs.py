"""`clientbase jobs …`: scheduled jobs for cron or a systemd timer (the same as in-app)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Annotated

import typer
from rich.table import Table

from clientbase.cli_common import DbOption, out
from clientbase.services import database, scheduler

jobs_app = typer.Typer(
    help="Плановые задания: очистка сеансов, снимок KPI, ротация (для cron).",
    no_args_is_help=True,
)


@jobs_app.command("run")
def jobs_run(
    db: DbOption = None,
    job: Annotated[
        str | None,
        typer.Option(help="Только это задание: sessions, kpi_snapshot или rotation."),
    ] = None,
    today: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Как будто сегодня эта дата.")
    ] = None,
) -> None:
    """Выполнить задания, срок которых наступил (повторный вызов в тот же период — пропуск)."""
    if job is not None and job not in scheduler.JOBS:
        raise typer.BadParameter(f"нет задания «{job}»", param_hint="--job")
    engine = database.open_database(db)
    report = scheduler.tick(engine, today=today.date() if today else None, only=job)
    table = Table()
    for title in ("Задание", "Итог", "Подробности"):
        table.add_column(title)
    for line in scheduler.describe(report):
        table.add_row(*line)
    out.print(table)


@jobs_app.command("schedule")
def jobs_schedule(
    db: DbOption = None,
    rotation_day: Annotated[
        int | None, typer.Option(help="День месяца для ротации (1–28); 0 — выключить.", min=0)
    ] = None,
    kpi_snapshot: Annotated[
        bool | None, typer.Option("--kpi-snapshot/--no-kpi-snapshot", help="Снимок KPI.")
    ] = None,
) -> None:
    """Показать или изменить расписание заданий."""
    engine = database.open_database(db)
    current = scheduler.load_schedule(engine)
    if rotation_day is not None or kpi_snapshot is not None:
        current = replace(
            current,
            rotation_day=current.rotation_day if rotation_day is None else (rotation_day or None),
            kpi_snapshot=current.kpi_snapshot if kpi_snapshot is None else kpi_snapshot,
        )
        scheduler.save_schedule(engine, current)
    day = current.rotation_day
    out.print(f"Ротация: {f'{day}-го числа каждого месяца' if day else 'выключена'}.")
    out.print(f"Снимок KPI за прошедший месяц: {'да' if current.kpi_snapshot else 'нет'}.")
    out.print("Очистка истёкших сеансов: ежедневно.")
