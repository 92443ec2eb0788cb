"""Company overview numbers for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, case, func, select

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


def company_overview(engine: Engine) -> Overview:
    """Counts of managers, clients by status and tier, deals and activities."""
    with UnitOfWork(engine) as uow:
        s = uow.session
        by_status: dict[str, int] = {
            status: int(n)
            for status, n in s.execute(select(Client.status, func.count()).group_by(Client.status))
        }
        by_tier: dict[str, int] = {
            tier: int(n)
            for tier, n in s.execute(select(Client.tier, func.count()).group_by(Client.tier))
        }
        dormant = func.sum(case((Client.status == "dormant", 1), else_=0))
        by_region = [
            SegmentLine(region or "—", int(n), float(p or 0), int(d or 0))
            for region, n, p, d in s.execute(
                select(Client.region, func.count(), func.sum(Client.potential), dormant)
                .group_by(Client.region)
                .order_by(func.sum(Client.potential).desc())
            )
        ]
        return Overview(
            managers=int(s.scalar(select(func.count()).select_from(Manager)) or 0),
            clients=sum(by_status.values()),
            clients_by_status=by_status,
            clients_by_tier=by_tier,
            deals=int(s.scalar(select(func.count()).select_from(Deal)) or 0),
            activities=int(s.scalar(select(func.count()).select_from(Activity)) or 0),
            by_region=by_region,
        )
