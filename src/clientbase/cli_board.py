"""`clientbase board`: the daily board (планёрка) for the morning meeting."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from clientbase.cli_common import DbOption, out
from clientbase.services import board, database


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}".replace(",", " ")


def _share(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f} %"


def board_command(
    db: DbOption = None,
    manager: Annotated[int | None, typer.Option(help="Доска одного менеджера (о себе).")] = None,
    today: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Как будто сегодня эта дата.")
    ] = None,
) -> None:
    """Планёрка: план и факт, прогноз, просрочки, обращения без ответа, «спящие», «похороненные»."""
    engine = database.open_database(db)
    result = board.daily_board(
        engine=engine,
        today=today.date() if today else None,
        manager_ids={manager} if manager is not None else None,
        fresh=True,
    )
    table = Table(title=f"Планёрка {result.today:%d.%m.%Y} (месяц {result.period})")
    for title in (
        "Менеджер",
        "Сегодня",
        "Месяц: факт",
        "План",
        "Выполнение",
        "Прогноз",
        "Просрочено задач",
        "Без ответа",
        "Станут спящими",
        "Без контакта",
        "Охват",
    ):
        table.add_column(title)
    for r in result.rows:
        table.add_row(
            r.manager,
            _money(r.volume_today),
            _money(r.volume_month),
            _money(r.plan_month),
            _share(r.attainment),
            _share(r.forecast_attainment),
            str(r.overdue_tasks),
            str(r.unanswered),
            str(len(r.dormant_soon)),
            str(len(r.buried)),
            "—" if r.coverage is None else f"{r.coverage:.0f} %",
        )
    out.print(table)
    if manager is not None and result.rows:
        row = result.rows[0]
        for w in row.dormant_soon:
            out.print(f"Станет «спящим» {w.dormant_on:%d.%m}: {w.client} (#{w.client_id})")
        for c in row.buried[:50]:
            out.print(f"Без контакта {c.days_silent or '∞'} дн.: {c.name} (#{c.client_id})")
    for r in result.rows:
        if r.alerts and manager is None:
            out.print(f"[bold]{r.manager}[/]: " + "; ".join(r.alerts), highlight=False)
