"""Queries of client teams, routing and handoff (all SQL of issue 6 lives here)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.orm import Session

from clientbase.core.roles import ClientFacts
from clientbase.core.types import ClientStatus, Role, RoleGroup, Tier
from clientbase.db import tables as t
from clientbase.errors import BadInputError, NotFoundError

CHUNK = 500
ROUTING_REASON = "routing"

# Which client-team roles count toward a manager's load, by his role group (as capacity).
GROUP_ROLES: dict[RoleGroup, tuple[Role, ...]] = {
    RoleGroup.FARMER: (Role.ACCOUNT,),
    RoleGroup.HUNTER: (Role.ACQUISITION, Role.SALES),
    RoleGroup.SERVICE: (Role.SERVICE,),
    RoleGroup.ADMIN: (Role.ADMIN,),
    RoleGroup.HEAD: (Role.ACCOUNT,),
}


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# ---------------------------------------------------------------- lookups


def find_client(session: Session, ref: str) -> t.Client:
    """A client by id, external id or exact name; an unknown or ambiguous one is refused."""
    ref = ref.strip()
    if ref.isdigit() and len(ref) < 12:
        found = session.get(t.Client, int(ref))
        if found is not None:
            return found
    rows = list(session.scalars(select(t.Client).where(t.Client.external_id == ref).limit(2)))
    if not rows:
        rows = list(session.scalars(select(t.Client).where(t.Client.name == ref).limit(2)))
    if not rows:
        raise NotFoundError(f"Клиент «{ref}» не найден (id, внешний id или точное название).")
    if len(rows) > 1:
        raise BadInputError(f"Клиент «{ref}»: найдено несколько; укажите id.")
    return rows[0]


def find_manager(session: Session, ref: str) -> t.Manager:
    """A manager by id, e-mail or exact full name; an unknown or ambiguous one is refused."""
    ref = ref.strip()
    if ref.isdigit() and len(ref) < 12:
        found = session.get(t.Manager, int(ref))
        if found is not None:
            return found
    rows = list(
        session.scalars(
            select(t.Manager).where(func.lower(t.Manager.email) == ref.lower()).limit(2)
        )
    )
    if not rows:
        rows = list(session.scalars(select(t.Manager).where(t.Manager.name == ref).limit(2)))
    if not rows:
        raise NotFoundError(f"Менеджер «{ref}» не найден (id, e-mail или точное ФИО).")
    if len(rows) > 1:
        raise BadInputError(f"Менеджер «{ref}»: найдено несколько; укажите id.")
    return rows[0]


def all_managers(session: Session) -> list[t.Manager]:
    """Every manager, by id."""
    return list(session.scalars(select(t.Manager).order_by(t.Manager.id)))


def absent_manager_ids(session: Session, today: dt.date) -> set[int]:
    """Managers with an absence covering `today`."""
    return set(
        session.scalars(
            select(t.Absence.manager_id).where(
                t.Absence.start_date <= today, t.Absence.end_date >= today
            )
        )
    )


# ---------------------------------------------------------------- teams


def team_rows(session: Session, client_id: int) -> list[tuple[t.Responsibility, t.Manager]]:
    """Every responsibility of a client, current and past, with its manager."""
    r, m = t.Responsibility, t.Manager
    stmt = (
        select(r, m)
        .join(m, m.id == r.manager_id)
        .where(r.client_id == client_id)
        .order_by(r.role, r.since.desc(), r.id.desc())
    )
    return [(resp, mgr) for resp, mgr in session.execute(stmt)]


def open_responsibilities(
    session: Session, client_ids: list[int] | None = None, *, manager_id: int | None = None
) -> list[t.Responsibility]:
    """Active responsibilities of some clients, or of one manager."""
    r = t.Responsibility
    stmt = select(r).where(r.until.is_(None))
    if manager_id is not None:
        stmt = stmt.where(r.manager_id == manager_id)
    if client_ids is None:
        return list(session.scalars(stmt.order_by(r.client_id, r.role)))
    found: list[t.Responsibility] = []
    for part in _chunks(client_ids):
        found.extend(session.scalars(stmt.where(r.client_id.in_(part))))
    return found


def close_responsibility(
    session: Session, client_id: int, role: str, today: dt.date
) -> t.Responsibility | None:
    """End the client's active responsibility for a role (flushed, so a new one may start)."""
    r = t.Responsibility
    current = session.scalars(
        select(r).where(r.client_id == client_id, r.role == role, r.until.is_(None))
    ).first()
    if current is not None:
        current.until = max(today, current.since)
        session.flush()
    return current


def history(session: Session, client_id: int, *, limit: int = 200) -> list[t.ChangeHistory]:
    """Change-history rows of a client, newest first."""
    h = t.ChangeHistory
    stmt = (
        select(h)
        .where(h.entity == "client", h.entity_id == client_id)
        .order_by(h.at.desc(), h.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def cascade_open_work(session: Session, client_id: int, old: int, new: int) -> tuple[int, int]:
    """Move the client's open deals and open activities from `old` to `new` manager."""
    deals = session.execute(
        update(t.Deal)
        .where(t.Deal.client_id == client_id, t.Deal.manager_id == old, t.Deal.outcome == "open")
        .values(manager_id=new)
    )
    activities = session.execute(
        update(t.Activity)
        .where(
            t.Activity.client_id == client_id,
            t.Activity.manager_id == old,
            t.Activity.completed.is_(False),
        )
        .values(manager_id=new)
    )
    return int(deals.rowcount), int(activities.rowcount)  # type: ignore[attr-defined]


def open_work_of(session: Session, manager_id: int) -> tuple[int, int]:
    """How many open deals and open activities a manager holds."""
    deals = session.scalar(
        select(func.count()).where(t.Deal.manager_id == manager_id, t.Deal.outcome == "open")
    )
    activities = session.scalar(
        select(func.count()).where(
            t.Activity.manager_id == manager_id, t.Activity.completed.is_(False)
        )
    )
    return int(deals or 0), int(activities or 0)


def open_work_for_client(session: Session, client_id: int, manager_id: int) -> tuple[int, int]:
    """Open deals and open activities of one client held by one manager."""
    deals = session.scalar(
        select(func.count()).where(
            t.Deal.client_id == client_id, t.Deal.manager_id == manager_id, t.Deal.outcome == "open"
        )
    )
    activities = session.scalar(
        select(func.count()).where(
            t.Activity.client_id == client_id,
            t.Activity.manager_id == manager_id,
            t.Activity.completed.is_(False),
        )
    )
    return int(deals or 0), int(activities or 0)


def open_work_totals(session: Session) -> tuple[int, int]:
    """Open deals and open activities in the whole base (they must reconcile after a move)."""
    deals = session.scalar(select(func.count()).where(t.Deal.outcome == "open"))
    activities = session.scalar(select(func.count()).where(t.Activity.completed.is_(False)))
    return int(deals or 0), int(activities or 0)


def open_work_clients(session: Session, manager_id: int) -> list[int | None]:
    """Clients of a manager's open deals and open activities (None = activity of no client)."""
    deals = select(t.Deal.client_id).where(
        t.Deal.manager_id == manager_id, t.Deal.outcome == "open"
    )
    acts = select(t.Activity.client_id).where(
        t.Activity.manager_id == manager_id, t.Activity.completed.is_(False)
    )
    return sorted(
        set(session.scalars(deals)) | set(session.scalars(acts)),
        key=lambda x: -1 if x is None else x,
    )


def move_open_work(
    session: Session, manager_id: int, client_id: int | None, new: int
) -> tuple[int, int]:
    """Move one manager's open deals and activities of one client (or of none) to `new`."""
    if client_id is None:
        acts = session.execute(
            update(t.Activity)
            .where(
                t.Activity.manager_id == manager_id,
                t.Activity.client_id.is_(None),
                t.Activity.completed.is_(False),
            )
            .values(manager_id=new)
        )
        return 0, int(acts.rowcount)  # type: ignore[attr-defined]
    return cascade_open_work(session, client_id, manager_id, new)


# ---------------------------------------------------------------- loads and facts


def weighted_loads(session: Session, tier_weight: dict[Tier, int]) -> dict[int, float]:
    """Each manager's load in capacity slots, counted as the capacity report counts it."""
    r, m, c = t.Responsibility, t.Manager, t.Client
    in_group = or_(
        *[
            and_(m.role_group == g.value, r.role.in_([x.value for x in roles]))
            for g, roles in GROUP_ROLES.items()
        ]
    )
    # Hunters count only active prospects (SPEC §3).
    counted = or_(m.role_group != RoleGroup.HUNTER.value, c.status == ClientStatus.PROSPECT.value)
    weight = case(
        *[(c.tier == tier.value, w) for tier, w in tier_weight.items()],
        else_=1,
    )
    stmt = (
        select(r.manager_id, func.sum(weight))
        .select_from(r)
        .join(m, m.id == r.manager_id)
        .join(c, c.id == r.client_id)
        .where(r.until.is_(None), in_group, counted)
        .group_by(r.manager_id)
    )
    return {int(mid): float(n or 0) for mid, n in session.execute(stmt)}


def purchase_totals(
    session: Session, client_ids: list[int] | None = None
) -> dict[int, tuple[float, int]]:
    """Σ amount and count of won deals per client."""
    d = t.Deal
    stmt = (
        select(d.client_id, func.coalesce(func.sum(d.amount), 0.0), func.count())
        .where(d.outcome == "won")
        .group_by(d.client_id)
    )
    result: dict[int, tuple[float, int]] = {}
    parts: Iterable[list[int] | None] = [None] if client_ids is None else _chunks(client_ids)
    for part in parts:
        q = stmt if part is None else stmt.where(d.client_id.in_(part))
        for cid, total, n in session.execute(q):
            result[int(cid)] = (float(total or 0.0), int(n))
    return result


def facts_of(client: t.Client, totals: dict[int, tuple[float, int]]) -> ClientFacts:
    """A client row as the rule engine sees it."""
    purchases, won = totals.get(client.id, (0.0, 0))
    return ClientFacts(
        id=client.id,
        name=client.name,
        status=ClientStatus(client.status),
        tier=client.tier,
        region=client.region,
        city=client.city,
        industry=client.industry,
        product_line=client.product_line,
        channel=client.channel,
        ownership=client.ownership,
        potential=float(client.potential or 0.0),
        revenue_12m=float(client.revenue_12m or 0.0),
        purchases=purchases,
        won_deals=won,
    )


def clients_by_id(session: Session, client_ids: list[int]) -> dict[int, t.Client]:
    """Client rows by id."""
    found: dict[int, t.Client] = {}
    for part in _chunks(sorted(set(client_ids))):
        for c in session.scalars(select(t.Client).where(t.Client.id.in_(part))):
            found[c.id] = c
    return found


def first_won_dates(session: Session, client_ids: list[int]) -> dict[int, dt.date]:
    """Date of each client's first won deal (closed, else created)."""
    d = t.Deal
    day = func.coalesce(d.closed, d.created)
    result: dict[int, dt.date] = {}
    for part in _chunks(client_ids):
        stmt = (
            select(d.client_id, func.min(day), func.max(day))
            .where(d.outcome == "won", d.client_id.in_(part))
            .group_by(d.client_id)
        )
        for cid, first, _ in session.execute(stmt):
            if first is not None:
                result[int(cid)] = (
                    first if isinstance(first, dt.date) else dt.date.fromisoformat(str(first))
                )
    return result


def handoff_candidates(
    session: Session, client_ids: list[int] | None = None, *, prospects_only: bool = False
) -> list[int]:
    """Clients with a won deal that are not lost and still sit with a hunter or lack an account.

    The pure rule is `core.roles.handoff_due`; this query finds its candidates set-based.
    """
    c, r, m, d = t.Client, t.Responsibility, t.Manager, t.Deal
    has_won = exists(select(d.id).where(d.client_id == c.id, d.outcome == "won"))
    hunter_holds = exists(
        select(r.id)
        .join(m, m.id == r.manager_id)
        .where(
            r.client_id == c.id,
            r.until.is_(None),
            r.role.in_([Role.ACQUISITION.value, Role.SALES.value]),
            m.role_group == RoleGroup.HUNTER.value,
        )
    )
    has_account = exists(
        select(r.id)
        .join(m, m.id == r.manager_id)
        .where(
            r.client_id == c.id,
            r.until.is_(None),
            r.role == Role.ACCOUNT.value,
            m.role_group != RoleGroup.HUNTER.value,
        )
    )
    if prospects_only:
        # What an import of won deals hands off: prospects a hunter is working on. The
        # cheap tests come first: SQLite evaluates the terms in this order, and a big
        # import's won clients are mostly not with a hunter (no scan of their deals).
        conditions = [c.status == ClientStatus.PROSPECT.value, hunter_holds, has_won]
    else:
        conditions = [
            has_won,
            c.status != ClientStatus.LOST.value,
            or_(c.status == ClientStatus.PROSPECT.value, hunter_holds, ~has_account),
        ]
    stmt = select(c.id).where(*conditions).order_by(c.id)
    if client_ids is None:
        return list(session.scalars(stmt))
    found: list[int] = []
    for part in _chunks(sorted(set(client_ids))):
        found.extend(session.scalars(stmt.where(c.id.in_(part))))
    return sorted(found)


def clients_missing_roles(session: Session, client_ids: list[int] | None = None) -> list[t.Client]:
    """Clients (not lost) whose team has no active responsible at all for some default role.

    The caller decides the exact roles with the rule table; this narrows the scan to
    clients lacking the status default (prospect: acquisition; existing: account) or with
    rules possibly adding roles — so every non-lost client is a candidate when rules exist.
    """
    c, r = t.Client, t.Responsibility

    def lacks(*roles: Role) -> Any:
        return ~exists(
            select(r.id).where(
                r.client_id == c.id, r.until.is_(None), r.role.in_([x.value for x in roles])
            )
        )

    stmt = (
        select(c)
        .where(
            or_(
                and_(c.status == ClientStatus.PROSPECT.value, lacks(Role.ACQUISITION)),
                and_(
                    c.status.in_([ClientStatus.ACTIVE.value, ClientStatus.DORMANT.value]),
                    lacks(Role.ACCOUNT),
                ),
            )
        )
        .order_by(c.id)
    )
    if client_ids is None:
        return list(session.scalars(stmt))
    found: list[t.Client] = []
    for part in _chunks(sorted(set(client_ids))):
        found.extend(session.scalars(stmt.where(c.id.in_(part))))
    return found


def non_lost_clients(session: Session, client_ids: list[int] | None = None) -> list[t.Client]:
    """Clients that may need a team (every status but lost)."""
    c = t.Client
    stmt = select(c).where(c.status != ClientStatus.LOST.value).order_by(c.id)
    if client_ids is None:
        return list(session.scalars(stmt))
    found: list[t.Client] = []
    for part in _chunks(sorted(set(client_ids))):
        found.extend(session.scalars(stmt.where(c.id.in_(part))))
    return found


def routed_counts(session: Session, since: dt.date, until: dt.date) -> dict[tuple[int, str], int]:
    """How many responsibilities routing started per manager and role in a period."""
    r = t.Responsibility
    stmt = (
        select(r.manager_id, r.role, func.count())
        .where(r.reason.like(f"{ROUTING_REASON}%"), r.since >= since, r.since <= until)
        .group_by(r.manager_id, r.role)
    )
    return {(int(m), str(role)): int(n) for m, role, n in session.execute(stmt)}


# ---------------------------------------------------------------- rules and settings


def role_rules(session: Session) -> list[t.RoleRule]:
    """Every rule, in evaluation order."""
    rr = t.RoleRule
    return list(session.scalars(select(rr).order_by(rr.priority, rr.name, rr.id)))


def rule_by_name(session: Session, name: str) -> t.RoleRule | None:
    """The rule with this name, if any."""
    return session.scalars(select(t.RoleRule).where(t.RoleRule.name == name)).first()


def get_meta(session: Session, key: str) -> Any:
    """A JSON value from app_meta (None when absent or unreadable)."""
    row = session.get(t.AppMeta, key)
    if row is None:
        return None
    try:
        return json.loads(row.value)
    except json.JSONDecodeError:
        return None


def set_meta(session: Session, key: str, value: Any) -> None:
    """Store a JSON value in app_meta."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    row = session.get(t.AppMeta, key)
    if row is None:
        session.add(t.AppMeta(key=key, value=text))
    elif row.value != text:
        row.value = text


def transfer(
    session: Session,
    *,
    client_id: int,
    role: str,
    manager_id: int,
    today: dt.date,
    reason: str,
    actor: str,
) -> tuple[int | None, int, int]:
    """Give a client's role to a manager with history; open work follows the client.

    Returns the previous manager (None if the role was vacant) and how many open deals and
    open activities followed. Giving the role to its current holder changes nothing.
    """
    r = t.Responsibility
    current = session.scalars(
        select(r).where(r.client_id == client_id, r.role == role, r.until.is_(None))
    ).first()
    if current is not None and current.manager_id == manager_id:
        return manager_id, 0, 0
    old = current.manager_id if current is not None else None
    if current is not None:
        current.until = max(today, current.since)
        # The partial unique index allows one open row per client and role: the closing
        # UPDATE must reach the database before the new row's INSERT.
        session.flush()
    session.add(
        t.Responsibility(
            client_id=client_id, role=role, manager_id=manager_id, since=today, reason=reason
        )
    )
    session.add(
        t.ChangeHistory(
            entity="client",
            entity_id=client_id,
            field=f"responsible:{role}",
            old_value=None if old is None else str(old),
            new_value=str(manager_id),
            reason=reason,
            actor=actor,
        )
    )
    deals = activities = 0
    if old is not None:
        deals, activities = cascade_open_work(session, client_id, old, manager_id)
        record_open_work(session, client_id, old, manager_id, deals, activities, reason, actor)
    session.flush()
    return old, deals, activities


def record_open_work(
    session: Session,
    client_id: int,
    old: int,
    new: int,
    deals: int,
    activities: int,
    reason: str,
    actor: str,
) -> None:
    """One history row per client saying how much open work followed it (as plans do)."""
    if deals or activities:
        session.add(
            t.ChangeHistory(
                entity="client",
                entity_id=client_id,
                field="open_work",
                old_value=str(old),
                new_value=f"{new}: deals {deals}, activities {activities}",
                reason=reason,
                actor=actor,
            )
        )
