"""Company overview numbers for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, Select, case, func, select, true

from clientbase.core.access import Scope
from clientbase.db.repository import visible_clients, visible_managers
from clientbase.db.tables import Activity, Client, Deal, Manager
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
