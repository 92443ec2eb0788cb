"""Company overview numbers for the dashboard."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, Select, case, func, select, true

from clientbase.core.access import Scope
from clientbase.db.repository import visible_clients, visible_managers
from clientbase.db.tables import Activity, Client, Deal, Manager, PlanTarget
from clientbase.db.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class SegmentLine:
    """Clients and potential of one segment value."""

    value: str
    clients: int
    potential: float
    dormant: int


@dataclass(frozen=True, slots=True)
class Overview:
    """Headline counts of the client base."""

    managers: int
    clients: int
    clients_by_status: dict[str, int]
    clients_by_tier: dict[str, int]
    deals: int
    activities: int
    by_region: list[SegmentLine]


def company_overview(engine: Engine, *, scope: Scope | None = None) -> Overview:
    """Counts of managers, clients by status and tier, deals and activities (in the scope)."""
    seen = _or_all(visible_clients(scope))
    staff = _or_all(visible_managers(scope))
    with UnitOfWork(engine) as uow:
        s = uow.session
        by_status: dict[str, int] = {
            status: int(n)
            for status, n in s.execute(
                select(Client.status, func.count()).where(seen).group_by(Client.status)
            )
        }
        by_tier: dict[str, int] = {
            tier: int(n)
            for tier, n in s.execute(
                select(Client.tier, func.count()).where(seen).group_by(Client.tier)
            )
        }
        dormant = func.sum(case((Client.status == "dormant", 1), else_=0))
        by_region = [
            SegmentLine(region or "—", int(n), float(p or 0), int(d or 0))
            for region, n, p, d in s.execute(
                select(Client.region, func.count(), func.sum(Client.potential), dormant)
                .where(seen)
                .group_by(Client.region)
                .order_by(func.sum(Client.potential).desc())
            )
        ]
        return Overview(
            managers=int(s.scalar(select(func.count()).select_from(Manager).where(staff)) or 0),
            clients=sum(by_status.values()),
            clients_by_status=by_status,
            clients_by_tier=by_tier,
            deals=int(s.scalar(_count(Deal, scope)) or 0),
            activities=int(s.scalar(_count(Activity, scope)) or 0),
            by_region=by_region,
        )


def _or_all(condition: ColumnElement[bool] | None) -> ColumnElement[bool]:
    """The condition, or one that holds for every row."""
    return true() if condition is None else condition


def _count(table: type[Deal] | type[Activity], scope: Scope | None) -> Select[int]:
    """Rows of deals or activities of the clients the scope may see."""
    stmt = select(func.count()).select_from(table)
    visible = visible_clients(scope)
    if visible is not None:
        stmt = stmt.where(table.client_id.in_(select(Client.id).where(visible)))
    return stmt


@dataclass(frozen=True, slots=True)
class Alerts:
    """What the dashboard flags for the head of sales (within the user's scope)."""

    month: str
    won_month: float
    plan_month: float | None
    attainment: float | None
    forecast_attainment: float | None
    overloaded: int  # managers above 100 % of capacity
    buried: int  # held clients without contact for 30 days
    coverage: float | None  # % of held clients contacted in 30 days


# The alerts read the capacity report (seconds on a 100 000-client base): one computation
# per database, scope and day serves every dashboard for a minute.
ALERTS_TTL = 60.0
_alerts_cache: dict[tuple[str, object, dt.date], tuple[float, Alerts]] = {}
_alerts_lock = threading.Lock()


def dashboard_alerts(
    engine: Engine,
    *,
    scope: Scope | None = None,
    today: dt.date | None = None,
    visible_managers_ids: set[int] | None = None,
) -> Alerts:
    """This month's won volume against the plan with a run-rate forecast, overloaded
    managers, buried clients and coverage — for the managers the user may see."""
    today = today or dt.date.today()
    key = (f"{id(engine)}:{engine.url}", scope, today)
    with _alerts_lock:
        cached = _alerts_cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < ALERTS_TTL:
        return cached[1]
    from clientbase.services import capacity

    start = today.replace(day=1)
    next_month = (start + dt.timedelta(days=32)).replace(day=1)
    month = f"{start:%Y-%m}"
    staff = _or_all(visible_managers(scope))
    with UnitOfWork(engine) as uow:
        s = uow.session
        ids = select(Manager.id).where(staff)
        won = s.scalar(
            select(func.coalesce(func.sum(Deal.amount), 0)).where(
                Deal.outcome == "won",
                Deal.closed >= start,
                Deal.closed <= today,
                Deal.manager_id.in_(ids),
            )
        )
        plan = s.scalar(
            select(func.sum(PlanTarget.amount)).where(
                PlanTarget.period == month, PlanTarget.manager_id.in_(ids)
            )
        )
    report = capacity.buried_clients(engine, today=today, limit=1)
    visible = visible_managers_ids
    loads = [m for m in report.managers if visible is None or m.manager_id in visible]
    held = sum(m.clients for m in loads)
    buried = sum(m.buried for m in loads)
    won_f, plan_f = float(won or 0), float(plan) if plan else None
    elapsed = (today - start).days + 1
    forecast = won_f * (next_month - start).days / elapsed
    alerts = Alerts(
        month=month,
        won_month=won_f,
        plan_month=plan_f,
        attainment=won_f / plan_f if plan_f else None,
        forecast_attainment=forecast / plan_f if plan_f else None,
        overloaded=sum(1 for m in loads if m.status == "over"),
        buried=buried,
        coverage=100.0 * (held - buried) / held if held else None,
    )
    with _alerts_lock:
        _alerts_cache[key] = (time.monotonic(), alerts)
    return alerts
