"""Seasonal capacity on the database: the month table in app_meta and managers' absences.

The capacity report (`manager_loads(period=…)`) and the distribution engine
(`plans.build_instance`, for the month of the plan's date) both read the adjustment through
`period_adjustments`, so a plan and the report for the same month agree on every capacity.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from clientbase.core.season import (
    DEFAULT_SEASON,
    Adjustment,
    SeasonTable,
    adjustment,
    season_from_dict,
    season_to_dict,
    working_days,
)
from clientbase.db import tables as t
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError
from clientbase.io import readers

SEASON_KEY = "seasonal_capacity"


def stored_season(session: Session) -> SeasonTable:
    """The table stored in app_meta `seasonal_capacity`, else the neutral one."""
    raw = session.get(t.AppMeta, SEASON_KEY)
    if raw is None:
        return DEFAULT_SEASON
    try:
        data = json.loads(raw.value)
    except json.JSONDecodeError as exc:
        raise BadInputError(f"app_meta «{SEASON_KEY}»: не JSON ({exc}).") from exc
    return season_from_dict(data)


def load_season(*, engine: Engine) -> SeasonTable:
    """The stored season table (read-only unit of work)."""
    with UnitOfWork(engine) as uow:
        return stored_season(uow.session)


def read_season_file(path: Path) -> SeasonTable:
    """Read a season table from a .toml or .json file."""
    data = readers.read_settings(path, what="Файл сезонной ёмкости")
    return season_from_dict(data)


def import_season(*, engine: Engine, path: Path) -> SeasonTable:
    """Check a season file and store it in app_meta (one transaction)."""
    table = read_season_file(path)
    save_season(engine=engine, table=table)
    return table


def save_season(*, engine: Engine, table: SeasonTable) -> None:
    """Store the table in app_meta `seasonal_capacity`."""
    value = json.dumps(season_to_dict(table), ensure_ascii=False)
    with UnitOfWork(engine, write=True) as uow:
        row = uow.session.get(t.AppMeta, SEASON_KEY)
        if row is None:
            uow.session.add(t.AppMeta(key=SEASON_KEY, value=value))
        else:
            row.value = value
        uow.commit()


def absences_in(
    session: Session, start: dt.date, end: dt.date
) -> dict[int, list[tuple[dt.date, dt.date]]]:
    """Absences overlapping [start, end], per manager."""
    a = t.Absence
    rows = session.execute(
        select(a.manager_id, a.start_date, a.end_date).where(
            a.start_date <= end, a.end_date >= start
        )
    )
    found: dict[int, list[tuple[dt.date, dt.date]]] = {}
    for mid, first, last in rows:
        found.setdefault(int(mid), []).append((first, last))
    return found


@dataclass(frozen=True, slots=True)
class PeriodAdjustments:
    """The season table and every manager's absences over one period."""

    start: dt.date
    end: dt.date
    table: SeasonTable
    absences: dict[int, list[tuple[dt.date, dt.date]]]
    days: tuple[dt.date, ...]  # the period's working days

    def of(self, manager_id: int) -> Adjustment:
        """The adjustment of one manager (month factor × his presence)."""
        return adjustment(
            self.start, self.end, self.absences.get(manager_id, ()), self.table, days=self.days
        )


def period_adjustments(session: Session, start: dt.date, end: dt.date) -> PeriodAdjustments:
    """Read the season table and the absences of a period."""
    if end < start:
        raise BadInputError("Период: конец раньше начала.")
    table = stored_season(session)
    return PeriodAdjustments(
        start, end, table, absences_in(session, start, end), tuple(working_days(start, end, table))
    )
