"""Company overview numbers for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from clientbase.db.tables import Activity, Client, Deal, Manager
from clientbase.db.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Overview:
    """Headline counts of the client base."""

    managers: int
    clients: int
    clients_by_status: dict[str, int]
    clients_by_tier: dict[str, int]
    deals: int
    activities: int


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
        return Overview(
            managers=int(s.scalar(select(func.count()).select_from(Manager)) or 0),
            clients=sum(by_status.values()),
            clients_by_status=by_status,
            clients_by_tier=by_tier,
            deals=int(s.scalar(select(func.count()).select_from(Deal)) or 0),
            activities=int(s.scalar(select(func.count()).select_from(Activity)) or 0),
        )
