"""Distribution plans on the database: create a draft, show, compare, apply, discard.

A plan is computed outside any write transaction (the solver may run for seconds), stored
as a draft with the inputs it was computed from and their fingerprint, and applied later in
one short write transaction that refuses when today's data no longer matches the inputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from clientbase.core.access import Scope
from clientbase.core.capacity import Drivers, client_capacity
from clientbase.core.season import month_bounds, seasonal_capacity, seasonal_hours
from clientbase.core.types import (
    PRINCIPLE_LIST_FIELD,
    ClientStatus,
    Eligibility,
    Role,
    RoleGroup,
    Tier,
)
from clientbase.db import tables as t
from clientbase.db import teams_repository as teams_repo
from clientbase.db.repository import visible_managers
from clientbase.db.uow import UnitOfWork
from clientbase.errors import (
    BadInputError,
    ConflictError,
    InfeasibleError,
    NotFoundError,
    OutsideScopeError,
)
from clientbase.planning.schemas import (
    Client,
    Explanation,
    Instance,
    Manager,
    Plan,
    PlanStatus,
    Settings,
    Strategy,
)
from clientbase.planning.solve import make_plan
from clientbase.services.capacity import stored_tables
from clientbase.services.locks import ASSIGNMENTS_LOCK
from clientbase.services.season import period_adjustments

# Which clients need a responsible of each planned role (SPEC §5 defaults).
STATUSES_FOR_ROLE: dict[Role, tuple[str, ...]] = {
    Role.ACCOUNT: (ClientStatus.ACTIVE.value, ClientStatus.DORMANT.value),
    Role.ACQUISITION: (ClientStatus.PROSPECT.value,),
    Role.SALES: (ClientStatus.PROSPECT.value,),
    Role.SERVICE: (ClientStatus.ACTIVE.value, ClientStatus.DORMANT.value),
    Role.ADMIN: (ClientStatus.ACTIVE.value, ClientStatus.DORMANT.value),
}

Solver = Callable[[Instance, Strategy], Plan]


def solve(instance: Instance, strategy: Strategy) -> Plan:
    """The distribution engine: the optimizer or a baseline rule, validated and explained."""
    return make_plan(instance, strategy)


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """A stored plan as listed and shown."""

    id: int
    status: str
    role: str
    strategy: str
    result: str
    moves: int
    unassigned: int
    imbalance: float
    created_at: dt.datetime
    created_by: str
    decided_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What applying a plan changed."""

    moved: int
    assigned: int


@dataclass(frozen=True, slots=True)
class Move:
    """One client changing hands between two plans (or today and a plan)."""

    client_id: str
    client: str
    before: str | None
    after: str | None
    before_id: str | None = None
    after_id: str | None = None


def department(engine: Engine, scope: Scope | None) -> set[str] | None:
    """Ids (as a plan stores them) of the managers of the scope's department; None: all."""
    condition = visible_managers(scope)
    if condition is None:
        return None
    with UnitOfWork(engine) as uow:
        return {str(i) for i in uow.session.scalars(select(t.Manager.id).where(condition))}


def in_department(move: Move, managers: set[str] | None) -> bool:
    """A move concerns the department when the client is its own today (or, when nobody
    holds it today, when the plan gives it to the department)."""
    if managers is None:
        return True
    owner = move.before_id if move.before_id is not None else move.after_id
    return owner in managers


@dataclass(frozen=True, slots=True)
class PlanView:
    """What a user may see of a plan: its own department's moves, counts of the rest."""

    summary: PlanSummary
    plan: Plan
    inputs: dict[str, Any]
    moves: list[Move]
    hidden_moves: int
    managers: set[str] | None

    def shows_manager(self, manager_id: str) -> bool:
        return self.managers is None or manager_id in self.managers


def view_plan(engine: Engine, plan_id: int, scope: Scope | None = None) -> PlanView:
    """A stored plan cut to the user's department (a head limited to one team)."""
    summary, plan, inputs = get_plan(engine, plan_id)
    managers = department(engine, scope)
    moves = moves_of(plan, inputs)
    shown = [m for m in moves if in_department(m, managers)]
    return PlanView(summary, plan, inputs, shown, len(moves) - len(shown), managers)


def explanation_for(
    engine: Engine, plan_id: int, client_id: int, scope: Scope | None = None
) -> Explanation:
    """Why the plan gives this client to its manager; not found outside the department."""
    view = view_plan(engine, plan_id, scope)
    explanation = view.plan.explanations.get(str(client_id))
    owner = next(
        (c.get("owner_id") for c in view.inputs["clients"] if str(c["id"]) == str(client_id)),
        None,
    )
    after = view.plan.assignment.get(str(client_id))
    probe = Move(str(client_id), "", None, None, owner, after)
    if explanation is None or not in_department(probe, view.managers):
        raise NotFoundError(f"В плане #{plan_id} нет клиента {client_id}.")
    return explanation


def _eligibility(m: t.Manager) -> Eligibility:
    return Eligibility.parse({p: getattr(m, f) for p, f in PRINCIPLE_LIST_FIELD.items()})


def build_instance(session: Session, settings: Settings, *, today: dt.date) -> Instance:
    """Read managers, clients needing the role, current owners and locks into an instance.

    Capacities and selling hours are those of the calendar month of `today` (the plan's
    `as_of`): the season table's month factor and each manager's presence scale them; a
    manager absent on `today` or the whole month takes no new clients.
    """
    season = period_adjustments(session, *month_bounds(today))
    absent = set(
        session.scalars(
            select(t.Absence.manager_id).where(
                t.Absence.start_date <= today, t.Absence.end_date >= today
            )
        )
    )
    managers = []
    tables = stored_tables(session)
    for m in session.scalars(select(t.Manager).order_by(t.Manager.id)):
        group = RoleGroup(m.role_group)
        capacity = client_capacity(
            group,
            Drivers(m.complexity, m.readiness, m.support, m.tools, m.grade),
            override=m.capacity_override,
            tables=tables,
        )
        adj = season.of(m.id)
        managers.append(
            Manager(
                id=str(m.id),
                name=m.name,
                role_group=group,
                grade=m.grade,
                active=m.active,
                absent=m.id in absent or adj.fully_absent,
                capacity=seasonal_capacity(capacity.clients, adj),
                hours=seasonal_hours(m.hours, adj) if m.hours is not None else None,
                eligibility=_eligibility(m),
            )
        )
    owner = (
        select(t.Responsibility.client_id, t.Responsibility.manager_id, t.Responsibility.since)
        .where(t.Responsibility.role == settings.role.value, t.Responsibility.until.is_(None))
        .subquery()
    )
    stmt = (
        select(t.Client, owner.c.manager_id, owner.c.since)
        .outerjoin(owner, owner.c.client_id == t.Client.id)
        .where(t.Client.status.in_(STATUSES_FOR_ROLE[settings.role]))
        .order_by(t.Client.id)
    )
    clients = [
        Client(
            id=str(c.id),
            name=c.name,
            tier=Tier(c.tier),
            potential=float(c.potential),
            region=c.region,
            industry=c.industry,
            product_line=c.product_line,
            channel=c.channel,
            ownership=c.ownership,
            revenue_12m=float(c.revenue_12m),
            hours=float(c.hours or 0.0),
            status=ClientStatus(c.status),
            owner_id=str(manager_id) if manager_id is not None else None,
            owner_since=since,
            locked=c.locked,
        )
        for c, manager_id, since in session.execute(stmt)
    ]
    return Instance(managers=tuple(managers), clients=tuple(clients), settings=settings)


def instance_payload(instance: Instance) -> dict[str, Any]:
    """The inputs of a plan as plain JSON (what the head of sales planned from)."""
    return {
        "managers": [
            {
                "id": m.id,
                "name": m.name,
                "role_group": m.role_group.value,
                "grade": m.grade,
                "active": m.active,
                "absent": m.absent,
                "capacity": m.capacity,
                "hours": m.hours,
                "eligibility": {
                    p.value: sorted(v) for p, v in sorted(m.eligibility.allowed.items())
                },
            }
            for m in instance.managers
        ],
        "clients": [
            {
                "id": c.id,
                "name": c.name,
                "tier": c.tier.value,
                "potential": c.potential,
                "segment": [c.region, c.industry, c.product_line, c.channel, c.ownership],
                "revenue_12m": c.revenue_12m,
                "hours": c.hours,
                "status": c.status.value,
                "owner_id": c.owner_id,
                "owner_since": c.owner_since.isoformat() if c.owner_since else None,
                "locked": c.locked,
            }
            for c in instance.clients
        ],
    }


def fingerprint(payload: dict[str, Any]) -> str:
    """A stable hash of a plan's inputs."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _summary(r: t.PlanRecord) -> PlanSummary:
    return PlanSummary(
        id=r.id,
        status=r.status,
        role=r.role,
        strategy=r.strategy,
        result=r.result,
        moves=r.moves,
        unassigned=r.unassigned,
        imbalance=r.imbalance,
        created_at=r.created_at,
        created_by=r.created_by,
        decided_at=r.decided_at,
    )


def create_plan(
    *,
    engine: Engine,
    solver: Solver,
    settings: Settings,
    strategy: Strategy = Strategy.OPTIMAL,
    actor: str = "system",
    today: dt.date | None = None,
) -> tuple[PlanSummary, Plan]:
    """Compute a plan from today's data and store it as a draft (partial plans included)."""
    today = settings.as_of or today or dt.date.today()
    # The plan remembers the date it was computed for, so that apply checks the same world.
    settings = replace(settings, as_of=today)
    with UnitOfWork(engine) as uow:
        instance = build_instance(uow.session, settings, today=today)
    if not instance.clients:
        raise BadInputError(f"Нет клиентов, которым нужна роль «{settings.role.value}».")
    payload = instance_payload(instance)
    plan = solver(instance, strategy)
    with UnitOfWork(engine, write=True) as uow:
        record = t.PlanRecord(
            status="draft",
            role=settings.role.value,
            strategy=strategy.value,
            result=plan.status.value,
            moves=plan.moves,
            unassigned=plan.unassigned,
            imbalance=plan.imbalance,
            fingerprint=fingerprint(payload),
            settings=settings.to_dict(),
            inputs=payload,
            plan=plan.to_dict(),
            created_by=actor,
        )
        uow.session.add(record)
        uow.session.flush()
        summary = _summary(record)
        uow.commit()
    return summary, plan


def _load(session: Session, plan_id: int) -> t.PlanRecord:
    record = session.get(t.PlanRecord, plan_id)
    if record is None:
        raise NotFoundError(f"План #{plan_id} не найден.")
    return record


def list_plans(engine: Engine) -> list[PlanSummary]:
    """All stored plans, newest first."""
    with UnitOfWork(engine) as uow:
        stmt = select(t.PlanRecord).order_by(t.PlanRecord.id.desc())
        return [_summary(r) for r in uow.session.scalars(stmt)]


def get_plan(engine: Engine, plan_id: int) -> tuple[PlanSummary, Plan, dict[str, Any]]:
    """A stored plan, its full content and the inputs it was computed from."""
    with UnitOfWork(engine) as uow:
        record = _load(uow.session, plan_id)
        return _summary(record), Plan.from_dict(record.plan), record.inputs


def moves_of(plan: Plan, inputs: dict[str, Any]) -> list[Move]:
    """Clients the plan moves away from their current owner, by name."""
    names = {m["id"]: m["name"] for m in inputs["managers"]}
    clients = {c["id"]: c for c in inputs["clients"]}
    moves = []
    for cid, after in sorted(plan.assignment.items(), key=lambda kv: int(kv[0])):
        before = clients[cid]["owner_id"] if cid in clients else None
        if before != after:
            moves.append(
                Move(
                    cid,
                    clients[cid]["name"] if cid in clients else cid,
                    names.get(before) if before else None,
                    names.get(after) if after else None,
                    before or None,
                    after or None,
                )
            )
    return moves


def diff_plans(engine: Engine, first: int, second: int, scope: Scope | None = None) -> list[Move]:
    """Clients whose manager differs between two stored plans (in the user's department)."""
    _, plan_a, inputs_a = get_plan(engine, first)
    _, plan_b, inputs_b = get_plan(engine, second)
    managers = department(engine, scope)
    owners = {c["id"]: c.get("owner_id") for c in inputs_a["clients"] + inputs_b["clients"]}
    names = {m["id"]: m["name"] for m in inputs_a["managers"] + inputs_b["managers"]}
    clients = {c["id"]: c["name"] for c in inputs_a["clients"] + inputs_b["clients"]}
    out = []
    for cid in sorted(set(plan_a.assignment) | set(plan_b.assignment), key=int):
        a, b = plan_a.assignment.get(cid), plan_b.assignment.get(cid)
        if a != b and in_department(Move(cid, "", None, None, owners.get(cid), a or b), managers):
            out.append(
                Move(
                    cid,
                    clients.get(cid, cid),
                    names.get(a) if a else None,
                    names.get(b) if b else None,
                )
            )
    return out


def apply_plan(
    *,
    engine: Engine,
    plan_id: int,
    actor: str = "system",
    today: dt.date | None = None,
    scope: Scope | None = None,
) -> ApplyResult:
    """Apply a draft in one transaction: clients moved and clients newly given a manager.

    Refused when the plan is not a draft, is partial, or when the data changed since it was
    computed (someone else applied a plan, a client was locked, a manager left…).
    """
    today = today or dt.date.today()
    if scope is not None and not scope.is_everything:
        view = view_plan(engine, plan_id, scope)
        if view.hidden_moves:
            raise OutsideScopeError(
                f"План #{plan_id} передаёт {view.hidden_moves} клиентов других отделов; "
                "применить его может руководитель всей компании."
            )
    with UnitOfWork(engine, write=True, lock=ASSIGNMENTS_LOCK) as uow:
        session = uow.session
        record = _load(session, plan_id)
        if record.status != "draft":
            raise ConflictError(f"План #{plan_id} уже {_STATUS_RU[record.status]}.")
        if record.result in (PlanStatus.PARTIAL.value, PlanStatus.INFEASIBLE.value):
            raise InfeasibleError(
                f"План #{plan_id} частичный: {record.unassigned} клиентов без ответственного. "
                "Примените исправления из диагноза и пересчитайте план."
            )
        settings = Settings.from_dict(record.settings)
        current = build_instance(session, settings, today=settings.as_of or today)
        if fingerprint(instance_payload(current)) != record.fingerprint:
            raise ConflictError(
                f"Данные изменились после расчёта плана #{plan_id}; пересчитайте план."
            )
        plan = Plan.from_dict(record.plan)
        owners = {c.id: c.owner_id for c in current.clients}
        role = settings.role.value
        reason = f"plan #{plan_id}"
        moved = assigned = 0
        for cid, after in plan.assignment.items():
            before = owners.get(cid)
            if after is None or after == before:
                continue
            # Close the old responsibility, open the new one, write the history; open deals
            # and activities follow the client (one history row says how many).
            teams_repo.transfer(
                session,
                client_id=int(cid),
                role=role,
                manager_id=int(after),
                today=today,
                reason=reason,
                actor=actor,
            )
            if before is not None:
                moved += 1
            else:
                assigned += 1
        # Compare-and-swap on the plan's version: two heads applying at once → one wins.
        done = session.execute(
            update(t.PlanRecord)
            .where(t.PlanRecord.id == plan_id, t.PlanRecord.version == record.version)
            .values(status="applied", decided_at=_utcnow(), version=record.version + 1)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(f"План #{plan_id} только что изменил кто-то другой.")
        uow.commit()
        return ApplyResult(moved=moved, assigned=assigned)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


_STATUS_RU = {"draft": "черновик", "applied": "применён", "discarded": "отклонён"}


def discard_plan(*, engine: Engine, plan_id: int) -> None:
    """Mark a draft as discarded; nothing else changes."""
    with UnitOfWork(engine, write=True) as uow:
        record = _load(uow.session, plan_id)
        if record.status != "draft":
            raise ConflictError(f"План #{plan_id} уже {_STATUS_RU[record.status]}.")
        # Compare-and-swap: a plan applied meanwhile by someone else is never discarded.
        done = uow.session.execute(
            update(t.PlanRecord)
            .where(
                t.PlanRecord.id == plan_id,
                t.PlanRecord.status == "draft",
                t.PlanRecord.version == record.version,
            )
            .values(status="discarded", decided_at=_utcnow(), version=record.version + 1)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(f"План #{plan_id} только что изменил кто-то другой.")
        uow.commit()
