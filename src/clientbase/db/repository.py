"""All queries over clients and managers live here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from clientbase.core.access import Scope
from clientbase.core.filters import ClientFilter, ClientRow, ManagerFilter, ManagerRow
from clientbase.core.types import Role
from clientbase.db.tables import Activity, ChangeHistory, Client, Deal, Manager, Responsibility

Column = ColumnElement[Any] | QueryableAttribute[Any]


def _ci_equals(column: Column, value: str) -> ColumnElement[bool]:
    return func.lower(column) == value.lower()


def _ci_in_values(column: Column, value: str) -> ColumnElement[bool]:
    """Case-insensitive equality that still uses the column's index.

    The distinct values of the column (few) are compared case-insensitively, and the rows
    are then matched exactly against those: on SQLite, where `lower()` is a Python
    function, this calls it once per distinct value instead of once per row.
    """
    # The LIMIT keeps SQLite from pushing the lower() test down into the per-row scan.
    distinct = select(column.label("v")).distinct().limit(1_000_000).subquery()
    matching = select(distinct.c.v).where(func.lower(distinct.c.v) == value.lower())
    return column.in_(matching)


# Columns a client list may be sorted by (name in the UI/API → column).
SORTABLE: dict[str, Any] = {
    "name": Client.name,
    "region": Client.region,
    "industry": Client.industry,
    "tier": Client.tier,
    "status": Client.status,
    "potential": Client.potential,
    "revenue_12m": Client.revenue_12m,
    "last_purchase": Client.last_purchase,
}


def visible_clients(scope: Scope | None) -> ColumnElement[bool] | None:
    """Condition on Client.id for the clients a scope may see; None when all are visible.

    A manager sees the clients he holds in any open role; a head with a team sees the
    clients held (in any open role) by managers of that team.
    """
    if scope is None or scope.is_everything:
        return None
    if scope.is_manager:
        if scope.manager_id is None:
            return false()
        held = select(Responsibility.client_id).where(
            Responsibility.until.is_(None), Responsibility.manager_id == scope.manager_id
        )
        return Client.id.in_(held)
    in_team = (
        select(Responsibility.client_id)
        .join(Manager, Manager.id == Responsibility.manager_id)
        .where(Responsibility.until.is_(None), Manager.team == scope.team)
    )
    return Client.id.in_(in_team)


def visible_managers(scope: Scope | None) -> ColumnElement[bool] | None:
    """Condition on Manager.id for the managers a scope may see; None when all are."""
    if scope is None or scope.is_everything:
        return None
    if scope.is_manager:
        return Manager.id == (scope.manager_id if scope.manager_id is not None else -1)
    return Manager.team == scope.team


class ClientRepository:
    """Reads of clients with their owner, within what the scope may see."""

    def __init__(self, session: Session, scope: Scope | None = None) -> None:
        self.session = session
        self.scope = scope

    def _conditions(self, f: ClientFilter) -> list[ColumnElement[bool]]:
        """The filter as conditions on the clients table alone (no joins)."""
        conditions: list[ColumnElement[bool]] = []
        visible = visible_clients(self.scope)
        if visible is not None:
            conditions.append(visible)
        for field in ("region", "industry", "channel", "ownership", "tier", "status"):
            value = getattr(f, field)
            if value:
                conditions.append(_ci_in_values(getattr(Client, field), value))
        if f.product_line:
            conditions.append(func.lower(Client.product_line).contains(f.product_line.lower()))
        if f.owner_id is not None:
            conditions.append(_owned_by(f.owner_id))
        if f.client_id is not None:
            conditions.append(Client.id == f.client_id)
        if f.search:
            like = f"%{f.search.lower()}%"
            conditions.append(
                or_(func.lower(Client.name).like(like), Client.tax_id.like(f"%{f.search}%"))
            )
        return conditions

    def find(self, f: ClientFilter, *, limit: int = 50, offset: int = 0) -> list[ClientRow]:
        """A page of clients matching the filter, ordered by potential then name.

        The page's ids are chosen on the clients table alone (index-driven sort), and only
        those rows are joined to their owners.
        """
        column = SORTABLE.get(f.sort, Client.potential)
        order = column.desc() if f.descending else column.asc()
        page_ids = (
            select(Client.id)
            .where(*self._conditions(f))
            .order_by(order, Client.name, Client.id)
            .limit(limit)
            .offset(offset)
            .subquery()
        )
        acct = aliased(Responsibility)
        hunt = aliased(Responsibility)
        owner = aliased(Manager)
        owner_id = func.coalesce(acct.manager_id, hunt.manager_id)
        stmt = (
            select(Client, owner_id.label("owner_id"), owner.name)
            .join(page_ids, page_ids.c.id == Client.id)
            .outerjoin(
                acct,
                and_(
                    acct.client_id == Client.id,
                    acct.role == Role.ACCOUNT.value,
                    acct.until.is_(None),
                ),
            )
            .outerjoin(
                hunt,
                and_(
                    hunt.client_id == Client.id,
                    hunt.role == Role.ACQUISITION.value,
                    hunt.until.is_(None),
                ),
            )
            .outerjoin(owner, owner.id == owner_id)
            .order_by(order, Client.name, Client.id)
        )
        rows = []
        for client, owner_id_value, owner_name in self.session.execute(stmt):
            rows.append(
                ClientRow(
                    id=client.id,
                    name=client.name,
                    region=client.region,
                    city=client.city,
                    industry=client.industry,
                    product_line=client.product_line,
                    channel=client.channel,
                    ownership=client.ownership,
                    tier=client.tier,
                    status=client.status,
                    potential=float(client.potential),
                    revenue_12m=float(client.revenue_12m),
                    last_purchase=client.last_purchase.isoformat()
                    if client.last_purchase
                    else None,
                    owner_id=owner_id_value,
                    owner=owner_name,
                    locked=client.locked,
                )
            )
        return rows

    def segment_values(self) -> dict[str, list[str]]:
        """Distinct values of every segment attribute, for filter choices."""
        values: dict[str, list[str]] = {}
        for field in ("region", "industry", "product_line", "channel", "ownership", "tier"):
            column = getattr(Client, field)
            values[field] = [
                v for v in self.session.scalars(select(column).distinct().order_by(column)) if v
            ]
        return values

    def count(self, f: ClientFilter) -> int:
        """How many clients match the filter."""
        stmt = select(func.count()).select_from(Client).where(*self._conditions(f))
        return int(self.session.scalar(stmt) or 0)


def _held(role: Role, manager_id: int | None = None) -> Any:
    """Ids of clients with an open responsibility of `role` (held by the manager, if given)."""
    conditions = [Responsibility.role == role.value, Responsibility.until.is_(None)]
    if manager_id is not None:
        conditions.append(Responsibility.manager_id == manager_id)
    return select(Responsibility.client_id).where(*conditions)


def _owned_by(manager_id: int) -> ColumnElement[bool]:
    """The client's owner is the manager: its account manager, else its hunter."""
    return or_(
        Client.id.in_(_held(Role.ACCOUNT, manager_id)),
        and_(
            Client.id.in_(_held(Role.ACQUISITION, manager_id)),
            Client.id.not_in(_held(Role.ACCOUNT)),
        ),
    )


def _allows(column: Column, value: str) -> ColumnElement[bool]:
    """A `;`-separated list column allows `value` when it holds `*` or the value itself."""
    padded = func.lower(";" + column + ";")
    return or_(column == "*", padded.contains(f";{value.lower()};"))


class ManagerRepository:
    """Reads of managers with their current number of clients, within the scope."""

    def __init__(self, session: Session, scope: Scope | None = None) -> None:
        self.session = session
        self.scope = scope

    def find(self, f: ManagerFilter) -> list[ManagerRow]:
        """Managers matching the filter, with the number of clients they hold."""
        load = (
            select(Responsibility.manager_id, func.count(func.distinct(Responsibility.client_id)))
            .where(Responsibility.until.is_(None))
            .group_by(Responsibility.manager_id)
            .subquery()
        )
        columns = [
            Manager.id,
            Manager.name,
            Manager.email,
            Manager.role_group,
            Manager.team,
            Manager.grade,
            Manager.active,
            Manager.regions,
            Manager.industries,
            Manager.product_lines,
            Manager.channels,
            Manager.ownerships,
            Manager.tiers,
        ]
        # Plain columns, not ORM objects: a thousand managers load in milliseconds.
        stmt = select(*columns, func.coalesce(load.c[1], 0).label("clients")).outerjoin(
            load, load.c.manager_id == Manager.id
        )
        conditions: list[ColumnElement[bool]] = []
        visible = visible_managers(self.scope)
        if visible is not None:
            conditions.append(visible)
        if f.role_group:
            conditions.append(Manager.role_group == f.role_group.lower())
        if f.team:
            conditions.append(_ci_equals(Manager.team, f.team))
        if f.active is not None:
            conditions.append(Manager.active.is_(f.active))
        for field, column in (
            ("region", Manager.regions),
            ("industry", Manager.industries),
            ("product_line", Manager.product_lines),
            ("channel", Manager.channels),
            ("ownership", Manager.ownerships),
            ("tier", Manager.tiers),
        ):
            value = getattr(f, field)
            if value:
                conditions.append(_allows(column, value))
        if f.search:
            like = f"%{f.search.lower()}%"
            conditions.append(
                or_(func.lower(Manager.name).like(like), func.lower(Manager.email).like(like))
            )
        stmt = stmt.where(*conditions).order_by(Manager.role_group, Manager.name, Manager.id)
        return [
            ManagerRow(**{**row._asdict(), "clients": int(row.clients)})
            for row in self.session.execute(stmt)
        ]

    def ids(self) -> set[int]:
        """Ids of every manager the scope may see (no load figures: cheap)."""
        stmt = select(Manager.id)
        visible = visible_managers(self.scope)
        if visible is not None:
            stmt = stmt.where(visible)
        return {int(i) for i in self.session.scalars(stmt)}

    def choices(self) -> list[tuple[int, str]]:
        """(id, name) of every manager, by name: for pickers."""
        stmt = select(Manager.id, Manager.name).order_by(Manager.name, Manager.id)
        visible = visible_managers(self.scope)
        if visible is not None:
            stmt = stmt.where(visible)
        return [(int(i), str(n)) for i, n in self.session.execute(stmt)]


class ClientCardRepository:
    """Everything shown on one client's card."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def client(self, client_id: int) -> Client | None:
        """The client row, None when absent."""
        return self.session.get(Client, client_id)

    def team(self, client_id: int) -> list[tuple[Responsibility, Manager]]:
        """All responsibilities of the client, active first, newest first."""
        stmt = (
            select(Responsibility, Manager)
            .join(Manager, Manager.id == Responsibility.manager_id)
            .where(Responsibility.client_id == client_id)
            .order_by(Responsibility.until.is_not(None), Responsibility.since.desc())
        )
        return [(r, m) for r, m in self.session.execute(stmt)]

    def deals(self, client_id: int, *, limit: int = 100) -> list[tuple[Deal, str | None]]:
        """The client's deals, newest first, with the manager's name."""
        stmt = (
            select(Deal, Manager.name)
            .outerjoin(Manager, Manager.id == Deal.manager_id)
            .where(Deal.client_id == client_id)
            .order_by(func.coalesce(Deal.closed, Deal.created).desc(), Deal.id.desc())
            .limit(limit)
        )
        return [(d, n) for d, n in self.session.execute(stmt)]

    def activities(self, client_id: int, *, limit: int = 100) -> list[tuple[Activity, str | None]]:
        """The client's activities, newest first, with the manager's name."""
        stmt = (
            select(Activity, Manager.name)
            .outerjoin(Manager, Manager.id == Activity.manager_id)
            .where(Activity.client_id == client_id)
            .order_by(Activity.started.desc(), Activity.id.desc())
            .limit(limit)
        )
        return [(a, n) for a, n in self.session.execute(stmt)]

    def history(self, client_id: int) -> list[ChangeHistory]:
        """Recorded changes of the client's owner, roles, segment and tier."""
        stmt = (
            select(ChangeHistory)
            .where(ChangeHistory.entity == "client", ChangeHistory.entity_id == client_id)
            .order_by(ChangeHistory.at.desc(), ChangeHistory.id.desc())
        )
        return list(self.session.scalars(stmt))

    def manager_names(self, ids: set[int]) -> dict[int, str]:
        """Names of managers by id."""
        if not ids:
            return {}
        return {
            mid: name
            for mid, name in self.session.execute(
                select(Manager.id, Manager.name).where(Manager.id.in_(ids))
            )
        }
