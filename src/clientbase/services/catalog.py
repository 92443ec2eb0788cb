"""Read-only use cases: lists of clients and managers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from clientbase.core.filters import ClientFilter, ClientRow, ManagerFilter, ManagerRow
from clientbase.db.repository import ClientRepository, ManagerRepository
from clientbase.db.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class ClientPage:
    """One page of a filtered client list and the total behind it."""

    rows: list[ClientRow]
    total: int


def list_clients(
    engine: Engine, f: ClientFilter, *, limit: int = 50, offset: int = 0
) -> ClientPage:
    """Clients matching the filter, a page at a time."""
    with UnitOfWork(engine) as uow:
        repo = ClientRepository(uow.session)
        return ClientPage(rows=repo.list(f, limit=limit, offset=offset), total=repo.count(f))


def list_managers(engine: Engine, f: ManagerFilter) -> list[ManagerRow]:
    """Managers matching the filter with their current number of clients."""
    with UnitOfWork(engine) as uow:
        return ManagerRepository(uow.session).list(f)
