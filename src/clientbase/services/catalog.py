"""Read-only use cases: lists of clients and managers."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine

from clientbase.core.access import Scope
from clientbase.core.filters import ClientFilter, ClientRow, ManagerFilter, ManagerRow

__all__ = ["ClientFilter", "ManagerFilter"]
from clientbase.db.repository import ClientCardRepository, ClientRepository, ManagerRepository
from clientbase.db.uow import UnitOfWork
from clientbase.errors import NotFoundError


@dataclass(frozen=True, slots=True)
class ClientPage:
    """One page of a filtered client list and the total behind it."""

    rows: list[ClientRow]
    total: int


def list_clients(
    engine: Engine,
    f: ClientFilter,
    *,
    limit: int = 50,
    offset: int = 0,
    scope: Scope | None = None,
) -> ClientPage:
    """Clients matching the filter that the scope may see, a page at a time."""
    with UnitOfWork(engine) as uow:
        repo = ClientRepository(uow.session, scope)
        return ClientPage(rows=repo.find(f, limit=limit, offset=offset), total=repo.count(f))


# Filter choices change rarely but cost six scans of the clients table: kept per database
# for a minute, and recomputed at once when the number of clients changes (an import).
SEGMENT_VALUES_TTL = 60.0
_segment_cache: dict[str, tuple[float, int, dict[str, list[str]]]] = {}
_segment_lock = threading.Lock()


def segment_values(engine: Engine) -> dict[str, list[str]]:
    """Distinct values of every segment attribute present among clients."""
    key = f"{id(engine)}:{engine.url}"
    with UnitOfWork(engine) as uow:
        repo = ClientRepository(uow.session)
        total = repo.count(ClientFilter())
        with _segment_lock:
            cached = _segment_cache.get(key)
        if cached and cached[1] == total and time.monotonic() - cached[0] < SEGMENT_VALUES_TTL:
            return cached[2]
        values = repo.segment_values()
    with _segment_lock:
        _segment_cache[key] = (time.monotonic(), total, values)
    return values


def manager_choices(engine: Engine, *, scope: Scope | None = None) -> list[tuple[int, str]]:
    """(id, name) of every manager the scope may see, for a picker."""
    with UnitOfWork(engine) as uow:
        return ManagerRepository(uow.session, scope).choices()


def visible_manager_ids(engine: Engine, *, scope: Scope | None = None) -> set[int]:
    """Ids of the managers the scope may see: what reports are cut to."""
    with UnitOfWork(engine) as uow:
        return ManagerRepository(uow.session, scope).ids()


def list_managers(
    engine: Engine, f: ManagerFilter, *, scope: Scope | None = None
) -> list[ManagerRow]:
    """Managers matching the filter (within the scope) with their current number of clients."""
    with UnitOfWork(engine) as uow:
        return ManagerRepository(uow.session, scope).find(f)


@dataclass(frozen=True, slots=True)
class TeamMember:
    """One responsibility on a client card."""

    role: str
    manager_id: int
    manager: str
    since: dt.date
    until: dt.date | None
    reason: str


@dataclass(frozen=True, slots=True)
class DealLine:
    """One deal on a client card."""

    id: int
    manager: str | None
    amount: float
    currency: str
    created: dt.date
    closed: dt.date | None
    outcome: str
    stage: str | None


@dataclass(frozen=True, slots=True)
class ActivityLine:
    """One activity on a client card."""

    id: int
    manager: str | None
    type: str
    direction: str | None
    started: dt.datetime
    completed: bool


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One recorded change on a client card."""

    at: dt.datetime
    field: str
    old: str | None
    new: str | None
    reason: str
    actor: str


@dataclass(frozen=True, slots=True)
class ClientCard:
    """A client with its team, deals, activities and change history."""

    client: ClientRow
    team: list[TeamMember]
    deals: list[DealLine]
    activities: list[ActivityLine]
    history: list[HistoryLine]


def client_card(engine: Engine, client_id: int, *, scope: Scope | None = None) -> ClientCard:
    """Everything about one client; NotFoundError when there is none the scope may see.

    A client outside the scope is "not found", exactly like a missing one: its existence
    is not revealed.
    """
    with UnitOfWork(engine) as uow:
        repo = ClientCardRepository(uow.session)
        found = ClientRepository(uow.session, scope).find(
            ClientFilter(client_id=client_id), limit=1
        )
        if not found:
            raise NotFoundError(f"Клиент #{client_id} не найден.")
        row = found[0]
        history = repo.history(client_id)
        # Owner fields store manager ids; show names instead.
        ids = {int(v) for h in history for v in (h.old_value, h.new_value) if v and v.isdigit()}
        names = repo.manager_names(ids)

        def show(value: str | None) -> str | None:
            if value and value.isdigit() and int(value) in names:
                return names[int(value)]
            return value

        return ClientCard(
            client=row,
            team=[
                TeamMember(r.role, m.id, m.name, r.since, r.until, r.reason)
                for r, m in repo.team(client_id)
            ],
            deals=[
                DealLine(
                    d.id, n, float(d.amount), d.currency, d.created, d.closed, d.outcome, d.stage
                )
                for d, n in repo.deals(client_id)
            ],
            activities=[
                ActivityLine(a.id, n, a.type, a.direction, a.started, a.completed)
                for a, n in repo.activities(client_id)
            ],
            history=[
                HistoryLine(h.at, h.field, show(h.old_value), show(h.new_value), h.reason, h.actor)
                for h in history
            ],
        )
