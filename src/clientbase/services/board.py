"""The daily board (планёрка): each manager's day at a glance for the morning meeting.

It composes what the other use cases already compute — the KPI scorecard of the month
(plan, fact, run-rate forecast), the rotation warning list (clients turning dormant this
week), the capacity report (buried clients, coverage) — with three board-only counts:
today's won deals, overdue tasks and inbound requests nobody answered.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Engine

from clientbase.core import kpi as kpi_core
from clientbase.db import board_repository as repo
from clientbase.db.uow import UnitOfWork
from clientbase.errors import NotFoundError
from clientbase.services import capacity, kpi, rotation

UNANSWERED_DAYS = 14
DORMANT_SOON_DAYS = 7


@dataclass(slots=True)
class BoardRow:
    """One manager's line of the board."""

    manager_id: int
    manager: str
    role_group: str
    team: str | None
    won_today: int
    volume_today: float
    volume_month: float
    plan_month: float | None
    attainment: float | None
    forecast: float
    forecast_attainment: float | None
    overdue_tasks: int
    unanswered: int
    dormant_soon: list[rotation.WarningRow] = field(default_factory=list)
    buried: list[capacity.BuriedClient] = field(default_factory=list)
    coverage: float | None = None
    utilization: float | None = None

    @property
    def alerts(self) -> list[str]:
        """What the head of sales should ask about this morning, in words."""
        out = []
        if self.forecast_attainment is not None and self.forecast_attainment < 0.9:
            out.append(f"прогноз выполнения плана {100 * self.forecast_attainment:.0f} %")
        if self.overdue_tasks:
            out.append(f"просрочено задач: {self.overdue_tasks}")
        if self.unanswered:
            out.append(f"без ответа обращений: {self.unanswered}")
        if self.dormant_soon:
            out.append(f"станут «спящими» на неделе: {len(self.dormant_soon)}")
        if self.buried:
            out.append(f"без контакта 30 дней: {len(self.buried)}")
        return out


@dataclass(slots=True)
class Board:
    """The board of one morning."""

    today: dt.date
    period: str
    rows: list[BoardRow]


# The board is read many times a morning and costs seconds on a 100 000-client base: one
# computation serves every reader for a few minutes (per database and day).
CACHE_SECONDS = 300.0
_cache: dict[tuple[str, dt.date, int], tuple[float, Board]] = {}
_cache_lock = threading.Lock()


def daily_board(
    *,
    engine: Engine,
    today: dt.date | None = None,
    manager_ids: set[int] | None = None,
    buried_days: int = 30,
    fresh: bool = False,
) -> Board:
    """The board for every manager (or the given ones) this morning."""
    today = today or dt.date.today()
    key = (f"{id(engine)}:{engine.url}", today, buried_days)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and not fresh and time.monotonic() - cached[0] < CACHE_SECONDS:
        whole = cached[1]
    else:
        whole = _compute(engine, today, buried_days)
        with _cache_lock:
            _cache[key] = (time.monotonic(), whole)
    rows = [r for r in whole.rows if manager_ids is None or r.manager_id in manager_ids]
    if manager_ids is not None and len(manager_ids) == 1 and not rows:
        raise NotFoundError(f"Менеджер #{next(iter(manager_ids))} не ведёт продажи.")
    return Board(today=whole.today, period=whole.period, rows=rows)


def _compute(engine: Engine, today: dt.date, buried_days: int) -> Board:
    """The board of every salesperson."""
    period = kpi_core.month_of(today.year, today.month).label
    card = kpi.scorecard(engine=engine, period=period, today=today)
    now = dt.datetime.combine(today, dt.time(23, 59, 59))
    with UnitOfWork(engine) as uow:
        won = repo.won_on(uow.session, today)
        overdue = repo.overdue_tasks(uow.session, dt.datetime.combine(today, dt.time()))
        unanswered = repo.unanswered_requests(
            uow.session, now - dt.timedelta(days=UNANSWERED_DAYS), now
        )
    warnings: dict[int, list[rotation.WarningRow]] = defaultdict(list)
    for w in rotation.warning_list(engine=engine, today=today, days=DORMANT_SOON_DAYS):
        warnings[w.manager_id].append(w)
    buried = capacity.buried_clients(engine, days=buried_days, today=today, limit=1_000_000)
    silent: dict[int, list[capacity.BuriedClient]] = defaultdict(list)
    for c in buried.clients:
        silent[c.manager_id].append(c)
    loads = {m.manager_id: m for m in buried.managers}
    rows = []
    for r in card.rows:
        if not r.active or r.role_group not in ("hunter", "farmer", "head"):
            continue
        k = r.kpis
        load = loads.get(r.manager_id)
        n_won, amount = won.get(r.manager_id, (0, 0.0))
        rows.append(
            BoardRow(
                manager_id=r.manager_id,
                manager=r.manager,
                role_group=r.role_group,
                team=r.team,
                won_today=n_won,
                volume_today=amount,
                volume_month=k.volume,
                plan_month=k.plan,
                attainment=k.attainment,
                forecast=r.forecast,
                forecast_attainment=r.forecast_attainment,
                overdue_tasks=overdue.get(r.manager_id, 0),
                unanswered=unanswered.get(r.manager_id, 0),
                dormant_soon=warnings.get(r.manager_id, []),
                buried=silent.get(r.manager_id, []),
                coverage=load.coverage if load else None,
                utilization=load.utilization if load else None,
            )
        )
    rows.sort(key=lambda row: (-len(row.alerts), row.manager))
    return Board(today=today, period=period, rows=rows)
