"""Routing of new clients and leads, the routing queue and the fairness report (SPEC §4).

An arrival is routed like this: an existing client goes to its responsible; otherwise the
rule table (`role_rules`) may name a manager or a role group for each role the client
needs; the pool is then every active, present manager of that group whose segments admit
the client (VIP only from grade 4 or the head of sales) and who may hold the role (hunters
and farmers apart); the strategy of the pool's team picks one — least relative load with a
seeded random tie-break by default — and capacity is respected. Nobody able to take it →
the client stays in the unassigned queue with the reason. Every decision is written as a
responsibility whose reason starts with "routing", which is what the fairness report counts.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from clientbase.core.access import Scope
from clientbase.core.capacity import Drivers, client_capacity
from clientbase.core.roles import (
    DEFAULT_GROUP,
    DEFAULT_NEEDED,
    ClientFacts,
    Condition,
    RoleRule,
    RuleMatch,
    Target,
    needed_roles,
    role_violation,
)
from clientbase.core.routing import Candidate, RouterState, RoutingStrategy, pick
from clientbase.core.types import (
    PRINCIPLE_LIST_FIELD,
    ClientStatus,
    Eligibility,
    Principle,
    Role,
    RoleGroup,
    Tier,
    roles_allowed,
)
from clientbase.db import tables as t
from clientbase.db import teams_repository as repo
from clientbase.db.repository import visible_clients
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError
from clientbase.io import readers
from clientbase.io.mapping import plan_columns
from clientbase.io.values import CellValueError, is_blank, parse_number, text_of
from clientbase.services.capacity import stored_tables

# The same lock as plans and rotation: one use case at a time changes who owns whom.
from clientbase.services.locks import ASSIGNMENTS_LOCK

CONFIG_KEY = "routing_config"
STATE_KEY = "routing_state"
NEEDED_KEY = "needed_roles"
# VIP clients only to managers of this grade or the head of sales (as the distribution).
VIP_MIN_GRADE = 4
TIER_WORDS = {"vip": "VIP", "a": "A", "b": "B", "c": "C", "а": "A", "в": "B", "с": "C"}
STATUS_WORDS = {s.value: s.value for s in ClientStatus} | {
    "потенциальный": "prospect",
    "лид": "prospect",
    "активный": "active",
    "спящий": "dormant",
    "потерян": "lost",
}


@dataclass(frozen=True, slots=True)
class Decision:
    """One routing decision: a client and role given to a manager (or to nobody) and why."""

    client_id: int
    client: str
    role: str
    manager_id: int | None
    manager: str | None
    reason: str
    rule: str | None = None
    over_capacity: bool = False
    existing: bool = False

    @property
    def assigned(self) -> bool:
        """Whether somebody got the client."""
        return self.manager_id is not None


@dataclass(slots=True)
class RoutingReport:
    """What a routing run decided: assigned, unassigned (the queue), existing clients."""

    decisions: list[Decision] = field(default_factory=list)
    created_clients: int = 0
    dry_run: bool = False

    @property
    def assigned(self) -> list[Decision]:
        """Decisions that gave the client to a manager (existing clients excluded)."""
        return [d for d in self.decisions if d.assigned and not d.existing]

    @property
    def unassigned(self) -> list[Decision]:
        """The unassigned queue: clients and roles nobody could take, with the reason."""
        return [d for d in self.decisions if not d.assigned]

    @property
    def existing(self) -> list[Decision]:
        """Arrivals that were already clients: they go to their responsible."""
        return [d for d in self.decisions if d.existing]


@dataclass(frozen=True, slots=True)
class Pool:
    """A manager as routing sees him."""

    id: int
    name: str
    group: RoleGroup
    team: str | None
    grade: int
    capacity: int
    eligibility: Eligibility
    available: bool


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    """Strategy per team (`teams`) and for pools without a configured team (`default`)."""

    default: RoutingStrategy = RoutingStrategy.LEAST_LOAD
    teams: dict[str, RoutingStrategy] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form stored in app_meta `routing_config`."""
        return {"default": self.default.value, "teams": {k: v.value for k, v in self.teams.items()}}

    @classmethod
    def from_dict(cls, data: Any) -> RoutingConfig:
        """Inverse of `to_dict`; unknown strategies fall back to the default."""
        if not isinstance(data, dict):
            return cls()
        values = {s.value for s in RoutingStrategy}
        default = data.get("default")
        teams = data.get("teams") if isinstance(data.get("teams"), dict) else {}
        return cls(
            default=RoutingStrategy(default) if default in values else RoutingStrategy.LEAST_LOAD,
            teams={str(k): RoutingStrategy(v) for k, v in (teams or {}).items() if v in values},
        )


def rule_from_row(row: t.RoleRule) -> RoleRule:
    """A stored rule as the core sees it."""
    where = f"правило «{row.name}»"
    return RoleRule(
        name=row.name,
        role=Role(row.role),
        target=Target.from_dict(row.target, where=where),
        condition=Condition.from_dict(row.condition, where=where),
        priority=row.priority,
        active=row.active,
    )


def needed_defaults(session: Session) -> dict[ClientStatus, tuple[Role, ...]]:
    """Roles each status needs: app_meta `needed_roles` ({"active": ["account", …]}) or defaults."""
    data = repo.get_meta(session, NEEDED_KEY)
    result = dict(DEFAULT_NEEDED)
    if isinstance(data, dict):
        for status, roles in data.items():
            if status in {s.value for s in ClientStatus} and isinstance(roles, list):
                result[ClientStatus(status)] = tuple(
                    Role(r) for r in roles if r in {x.value for x in Role}
                )
    return result


class RoutingContext:
    """Managers, loads, rules and strategy state read once inside one unit of work."""

    def __init__(
        self,
        session: Session,
        *,
        today: dt.date,
        seed: int = 0,
        strategy: RoutingStrategy | None = None,
        exclude: frozenset[int] = frozenset(),
    ) -> None:
        self.session = session
        self.today = today
        self.seed = seed
        self.strategy = strategy
        tables = stored_tables(session)
        self.tier_weight = {tier: float(w) for tier, w in tables.tier_weight.items()}
        absent = repo.absent_manager_ids(session, today)
        self.managers: dict[int, Pool] = {}
        self.by_email: dict[str, int] = {}
        for m in repo.all_managers(session):
            group = RoleGroup(m.role_group)
            capacity = client_capacity(
                group,
                Drivers(m.complexity, m.readiness, m.support, m.tools, m.grade),
                override=m.capacity_override,
                tables=tables,
            ).clients
            self.managers[m.id] = Pool(
                id=m.id,
                name=m.name,
                group=group,
                team=m.team,
                grade=m.grade,
                capacity=capacity,
                eligibility=Eligibility.parse(
                    {p: getattr(m, f) for p, f in PRINCIPLE_LIST_FIELD.items()}
                ),
                available=m.active and m.id not in absent and m.id not in exclude,
            )
            if m.email:
                self.by_email[m.email.lower()] = m.id
        self.loads = repo.weighted_loads(session, tables.tier_weight)
        self.rules = [rule_from_row(r) for r in repo.role_rules(session)]
        self.needed = needed_defaults(session)
        self.config = RoutingConfig.from_dict(repo.get_meta(session, CONFIG_KEY))
        self.state = RouterState.from_dict(repo.get_meta(session, STATE_KEY))

    # -- who may take a client
    def weight(self, facts: ClientFacts) -> float:
        """Capacity slots the client takes (a VIP weighs more)."""
        try:
            return self.tier_weight.get(Tier(facts.tier), 1.0)
        except ValueError:
            return 1.0

    def eligible(self, pool: Pool, facts: ClientFacts, role: Role) -> bool:
        """Whether a manager may take this client in this role today."""
        if not pool.available or role_violation(pool.group, role) is not None:
            return False
        if not pool.eligibility.admits(_segment(facts)):
            return False
        return not (
            facts.tier == Tier.VIP.value
            and pool.group is not RoleGroup.HEAD
            and pool.grade < VIP_MIN_GRADE
        )

    def counts_for(self, pool: Pool, facts: ClientFacts, role: Role) -> bool:
        """Whether this responsibility adds to the manager's load (as capacity counts it)."""
        if role not in repo.GROUP_ROLES.get(pool.group, ()):
            return False
        return pool.group is not RoleGroup.HUNTER or facts.status is ClientStatus.PROSPECT

    def _strategy_for(self, pools: list[Pool]) -> tuple[RoutingStrategy, str]:
        teams = {p.team for p in pools}
        team = next(iter(teams)) if len(teams) == 1 else None
        if self.strategy is not None:
            return self.strategy, team or "*"
        if team is not None and team in self.config.teams:
            return self.config.teams[team], team
        return self.config.default, team or "*"

    def resolve_manager(self, ref: str) -> Pool | None:
        """A rule's manager target (id or e-mail)."""
        if ref.isdigit() and int(ref) in self.managers:
            return self.managers[int(ref)]
        mid = self.by_email.get(ref.lower())
        return self.managers.get(mid) if mid is not None else None

    def choose(
        self,
        facts: ClientFacts,
        role: Role,
        match: RuleMatch | None = None,
        *,
        allow_over_capacity: bool = False,
        reason_prefix: str = repo.ROUTING_REASON,
    ) -> Decision:
        """Decide who takes `role` for the client (nothing is written)."""
        notes: list[str] = []
        group = DEFAULT_GROUP[role]
        rule_name = match.rule.name if match else None
        if match is not None:
            target = match.rule.target
            if target.kind == "manager":
                pool = self.resolve_manager(target.value)
                if pool is not None and pool.available and role_violation(pool.group, role) is None:
                    return self._decision(
                        facts,
                        role,
                        pool,
                        f"{reason_prefix}:rule:{match.rule.name}",
                        rule_name,
                        over=not self._fits(pool, facts, role),
                        explain=f"правило «{match.rule.name}» называет менеджера",
                    )
                notes.append(
                    f"правило «{match.rule.name}»: менеджер {target.value} недоступен или "
                    "не может иметь эту роль"
                )
            elif target.group is not None:
                group = target.group
        candidates = [
            p for p in self.managers.values() if p.group is group and self.eligible(p, facts, role)
        ]
        if not candidates and group is not RoleGroup.HEAD and role in roles_allowed(RoleGroup.HEAD):
            # A segment nobody of the group covers goes to the head of sales (SPEC §1).
            heads = [
                p
                for p in self.managers.values()
                if p.group is RoleGroup.HEAD and self.eligible(p, facts, role)
            ]
            if heads:
                notes.append(f"в группе «{group.value}» никто не обслуживает сегмент")
                candidates = heads
        if not candidates:
            notes.append(self._why_nobody(facts, role, group))
        strategy, team = self._strategy_for(candidates)
        key = f"{role.value}:{candidates[0].group.value if candidates else group.value}:{team}"
        rng = random.Random(f"{self.seed}:{facts.id}:{role.value}")
        choice = pick(
            [
                Candidate(p.id, float(p.capacity), self.loads.get(p.id, 0.0))
                for p in sorted(candidates, key=lambda p: p.id)
            ],
            strategy=strategy,
            weight=self.weight(facts),
            rng=rng,
            state=self.state,
            pool=key,
            allow_over_capacity=allow_over_capacity,
        )
        explain = "; ".join([*notes, choice.reason] if candidates else notes)
        if choice.manager_id is None:
            return Decision(facts.id, facts.name, role.value, None, None, explain, rule_name)
        tag = f"rule:{rule_name}" if rule_name else strategy.value
        return self._decision(
            facts,
            role,
            self.managers[choice.manager_id],
            f"{reason_prefix}:{tag}",
            rule_name,
            over=choice.over_capacity,
            explain=explain,
        )

    def _why_nobody(self, facts: ClientFacts, role: Role, group: RoleGroup) -> str:
        """Why no manager of the group may take the client: the count behind each cause."""
        members = [p for p in self.managers.values() if p.group is group]
        if not members:
            return f"в группе «{group.value}» нет менеджеров"
        away = [p.name for p in members if not p.available]
        segment = [p for p in members if p.available and not p.eligibility.admits(_segment(facts))]
        parts = []
        if away:
            parts.append(f"отсутствуют или неактивны: {', '.join(away[:3])}")
        if segment:
            parts.append(f"сегмент клиента не у {len(segment)} из {len(members)}")
        rest = len(members) - len(away) - len(segment)
        if rest > 0 and facts.tier == Tier.VIP.value:
            parts.append(f"VIP только с грейда {VIP_MIN_GRADE}")
        return f"группа «{group.value}»: " + ("; ".join(parts) or "роль не разрешена группе")

    def _fits(self, pool: Pool, facts: ClientFacts, role: Role) -> bool:
        if not self.counts_for(pool, facts, role):
            return True
        return self.loads.get(pool.id, 0.0) + self.weight(facts) <= pool.capacity

    def _decision(
        self,
        facts: ClientFacts,
        role: Role,
        pool: Pool,
        reason: str,
        rule: str | None,
        *,
        over: bool,
        explain: str,
    ) -> Decision:
        # Remember the load right away so that the next arrival of the same run sees it.
        if self.counts_for(pool, facts, role):
            self.loads[pool.id] = self.loads.get(pool.id, 0.0) + self.weight(facts)
        return Decision(
            facts.id,
            facts.name,
            role.value,
            pool.id,
            pool.name,
            f"{reason} — {explain}",
            rule,
            over_capacity=over,
        )

    def release(self, manager_id: int, facts: ClientFacts, role: Role) -> None:
        """The manager no longer holds this client (his load goes down)."""
        pool = self.managers.get(manager_id)
        if pool is not None and self.counts_for(pool, facts, role):
            self.loads[manager_id] = max(0.0, self.loads.get(manager_id, 0.0) - self.weight(facts))

    def save(self) -> None:
        """Store the round-robin / weighted state for the next run."""
        repo.set_meta(self.session, STATE_KEY, self.state.to_dict())


def _segment(facts: ClientFacts) -> dict[Principle, str | None]:
    return {
        Principle.REGION: facts.region,
        Principle.INDUSTRY: facts.industry,
        Principle.PRODUCT_LINE: facts.product_line,
        Principle.TIER: facts.tier,
        Principle.CHANNEL: facts.channel,
        Principle.OWNERSHIP: facts.ownership,
    }


def stored_reason(decision: Decision) -> str:
    """The responsibility's reason column: the short machine part of the decision."""
    return decision.reason.split(" — ", 1)[0][:200]


def _route_clients(
    ctx: RoutingContext,
    clients: list[t.Client],
    report: RoutingReport,
    *,
    write: bool,
    actor: str,
) -> None:
    ids = [c.id for c in clients]
    totals = repo.purchase_totals(ctx.session, ids)
    held: dict[int, set[str]] = {}
    for r in repo.open_responsibilities(ctx.session, ids):
        held.setdefault(r.client_id, set()).add(r.role)
    # Big clients first: they get the first pick of the least loaded managers.
    for client in sorted(clients, key=lambda c: (-float(c.potential or 0), c.id)):
        facts = repo.facts_of(client, totals)
        for role, match in needed_roles(facts, ctx.rules, defaults=ctx.needed).items():
            if role.value in held.get(client.id, set()):
                continue
            decision = ctx.choose(facts, role, match)
            report.decisions.append(decision)
            if write and decision.manager_id is not None:
                repo.transfer(
                    ctx.session,
                    client_id=client.id,
                    role=role.value,
                    manager_id=decision.manager_id,
                    today=ctx.today,
                    reason=stored_reason(decision),
                    actor=actor,
                )


def route_queue(
    *,
    engine: Engine,
    today: dt.date | None = None,
    dry_run: bool = False,
    seed: int = 0,
    strategy: RoutingStrategy | None = None,
    client_ids: list[int] | None = None,
    actor: str = "system",
) -> RoutingReport:
    """Route every client whose team lacks a needed role; one transaction."""
    today = today or dt.date.today()
    report = RoutingReport(dry_run=dry_run)
    with UnitOfWork(engine, write=not dry_run, lock=None if dry_run else ASSIGNMENTS_LOCK) as uow:
        ctx = RoutingContext(uow.session, today=today, seed=seed, strategy=strategy)
        clients = (
            repo.non_lost_clients(uow.session, client_ids)
            if ctx.rules or _needs_configured(uow.session)
            else repo.clients_missing_roles(uow.session, client_ids)
        )
        _route_clients(ctx, clients, report, write=not dry_run, actor=actor)
        if not dry_run:
            ctx.save()
            uow.commit()
    return report


def _needs_configured(session: Session) -> bool:
    """Whether the roles each status needs were configured (then every client is checked)."""
    return repo.get_meta(session, NEEDED_KEY) is not None


# ---------------------------------------------------------------- leads from a file


@dataclass(frozen=True, slots=True)
class Lead:
    """One row of a leads file."""

    row: int
    external_id: str | None
    values: dict[str, Any]


LEAD_TEXT = ("region", "city", "industry", "product_line", "channel", "ownership", "tax_id")


def _lead(record: dict[str, Any], row: int, fail: Callable[[str, str], None]) -> Lead | None:
    """One record (canonical clients fields) as a lead; problems go to `fail(field, msg)`."""
    name = text_of(record.get("name")).strip() if record.get("name") is not None else ""
    if not name:
        fail("name", "пустое название")
        return None
    values: dict[str, Any] = {"name": name[:300]}
    for f in LEAD_TEXT:
        if record.get(f) is not None:
            values[f] = text_of(record[f]).strip()[:120] or None
    if record.get("tier") is not None:
        tier = TIER_WORDS.get(text_of(record["tier"]).strip().lower())
        if tier is None:
            fail("tier", f"значимость «{record['tier']}»: ожидается VIP, A, B или C")
        values["tier"] = tier
    if record.get("status") is not None:
        status = STATUS_WORDS.get(text_of(record["status"]).strip().lower())
        if status is None:
            fail("status", f"статус «{record['status']}» не распознан")
        values["status"] = status
    for f in ("potential", "revenue_12m"):
        if record.get(f) is not None:
            try:
                number = parse_number(record[f])
            except CellValueError as exc:
                fail(f, str(exc))
                continue
            if number < 0:
                fail(f, "не может быть отрицательным")
            values[f] = number
    external = text_of(record["client_id"]).strip() if record.get("client_id") else None
    return Lead(row, external or None, values)


def read_leads(path: Path) -> list[Lead]:
    """Read a leads file (the clients columns of SPEC §8); every error names row and column."""
    table = readers.read_table(path)
    plan = plan_columns(table.headers, "clients")
    if "name" not in plan.fields:
        raise BadInputError(
            f"{table.file}, строка {table.header_row}: нет обязательной колонки name (название)."
        )
    errors: list[str] = []
    leads: list[Lead] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        record: dict[str, Any] = {}
        for index, name in plan.columns.items():
            value = row.values[index] if index < len(row.values) else None
            record[name] = None if is_blank(value) else value

        def fail(name: str, message: str, number: int = row.number) -> None:
            errors.append(
                f"{table.file}, строка {number}, колонка «{plan.column_of(name)}»: {message}"
            )

        lead = _lead(record, row.number, fail)
        if lead is None:
            continue
        key = lead.external_id or lead.values["name"]
        if key in seen:
            fail("client_id" if lead.external_id else "name", f"повтор строки {seen[key]}")
        seen[key] = row.number
        leads.append(lead)
    if errors:
        more = f" (и ещё {len(errors) - 10})" if len(errors) > 10 else ""
        raise BadInputError("; ".join(errors[:10]) + more)
    return leads


def route_lead(
    *,
    engine: Engine,
    lead: dict[str, Any],
    today: dt.date | None = None,
    dry_run: bool = False,
    seed: int = 0,
    strategy: RoutingStrategy | None = None,
    source: str = "leads",
    actor: str = "system",
) -> RoutingReport:
    """Route one arriving lead (a web form, an API call): canonical clients fields."""
    errors: list[str] = []

    def fail(name: str, message: str) -> None:
        errors.append(f"поле «{name}»: {message}")

    parsed = _lead({k: None if is_blank(v) else v for k, v in lead.items()}, 1, fail)
    if errors or parsed is None:
        raise BadInputError("Лид: " + "; ".join(errors))
    return route_leads(
        engine=engine,
        leads=[parsed],
        today=today,
        dry_run=dry_run,
        seed=seed,
        strategy=strategy,
        source=source,
        actor=actor,
    )


def route_file(
    *,
    engine: Engine,
    path: Path,
    today: dt.date | None = None,
    dry_run: bool = False,
    seed: int = 0,
    strategy: RoutingStrategy | None = None,
    source: str = "leads",
    actor: str = "system",
) -> RoutingReport:
    """Route a leads file: existing clients to their responsible, new ones created and routed.

    One transaction: the new clients and their responsibilities are written together.
    """
    return route_leads(
        engine=engine,
        leads=read_leads(path),
        today=today,
        dry_run=dry_run,
        seed=seed,
        strategy=strategy,
        source=source,
        actor=actor,
    )


def lead_answer(engine: Engine, report: RoutingReport, scope: Scope | None) -> dict[str, Any]:
    """What the API answers for routed leads, cut to the caller's department.

    A decision about a client the caller may not see (an existing client of another
    department, or a new one given to another department's manager) keeps only its role,
    whether the client existed and a neutral reason: no id, name or manager.
    """
    condition = visible_clients(scope)
    visible: set[int] | None = None
    if condition is not None:
        ids = [d.client_id for d in report.decisions]
        with UnitOfWork(engine) as uow:
            visible = set(
                uow.session.scalars(select(t.Client.id).where(condition, t.Client.id.in_(ids)))
            )
    decisions: list[dict[str, Any]] = []
    for d in report.decisions:
        if visible is None or d.client_id in visible:
            decisions.append(asdict(d))
        else:
            decisions.append(
                {
                    "hidden": True,
                    "role": d.role,
                    "existing": d.existing,
                    "reason": "клиент ведёт другой отдел",
                }
            )
    return {"decisions": decisions, "created_clients": report.created_clients}


def route_leads(
    *,
    engine: Engine,
    leads: list[Lead],
    today: dt.date | None = None,
    dry_run: bool = False,
    seed: int = 0,
    strategy: RoutingStrategy | None = None,
    source: str = "leads",
    actor: str = "system",
) -> RoutingReport:
    """Route parsed leads in one transaction (see `route_file`)."""
    today = today or dt.date.today()
    report = RoutingReport(dry_run=dry_run)
    with UnitOfWork(engine, write=not dry_run, lock=None if dry_run else ASSIGNMENTS_LOCK) as uow:
        session = uow.session
        ctx = RoutingContext(session, today=today, seed=seed, strategy=strategy)
        to_route: list[t.Client] = []
        for lead in leads:
            client = _existing(session, lead, source)
            if client is not None:
                owners = {
                    r.role: r.manager_id for r in repo.open_responsibilities(session, [client.id])
                }
                owner = next(
                    (owners[r] for r in ("account", "acquisition", "sales") if r in owners), None
                )
                if owner is not None:
                    pool = ctx.managers.get(owner)
                    role = next(r for r in ("account", "acquisition", "sales") if r in owners)
                    report.decisions.append(
                        Decision(
                            client.id,
                            client.name,
                            role,
                            owner,
                            pool.name if pool else str(owner),
                            "существующий клиент — его ответственный",
                            existing=True,
                        )
                    )
                    continue
                if client.status == ClientStatus.LOST.value:
                    # A lost client coming back is win-back work the head assigns by hand.
                    report.decisions.append(
                        Decision(
                            client.id,
                            client.name,
                            Role.ACCOUNT.value,
                            None,
                            None,
                            "существующий потерянный клиент без ответственного: "
                            "назначьте вручную (team set)",
                            existing=True,
                        )
                    )
                    continue
                to_route.append(client)
                continue
            values = dict(lead.values)
            values.setdefault("status", ClientStatus.PROSPECT.value)
            values["tier_given"] = "tier" in values
            client = t.Client(
                source=source, external_id=lead.external_id or values["name"][:120], **values
            )
            session.add(client)
            session.flush()
            report.created_clients += 1
            to_route.append(client)
        _route_clients(ctx, to_route, report, write=True, actor=actor)
        if not dry_run:
            ctx.save()
            uow.commit()
    return report


def _existing(session: Session, lead: Lead, source: str) -> t.Client | None:
    c = t.Client
    if lead.external_id:
        found = session.scalars(
            select(c).where(c.external_id == lead.external_id).order_by(c.source != source, c.id)
        ).first()
        if found is not None:
            return found
    tax_id = lead.values.get("tax_id")
    if tax_id:
        found = session.scalars(select(c).where(c.tax_id == tax_id).order_by(c.id)).first()
        if found is not None:
            return found
    name = str(lead.values["name"])
    # SQLite lowers only ASCII letters: try the exact name first.
    return session.scalars(
        select(c)
        .where(or_(c.name == name, func.lower(c.name) == name.lower()))
        .order_by(c.name != name, c.id)
    ).first()


# ---------------------------------------------------------------- configuration


def routing_config(*, engine: Engine) -> RoutingConfig:
    """The strategy per team."""
    with UnitOfWork(engine) as uow:
        return RoutingConfig.from_dict(repo.get_meta(uow.session, CONFIG_KEY))


def set_strategy(
    *, engine: Engine, strategy: RoutingStrategy, team: str | None = None
) -> RoutingConfig:
    """Set the strategy of one team, or the default one (team None)."""
    with UnitOfWork(engine, write=True) as uow:
        config = RoutingConfig.from_dict(repo.get_meta(uow.session, CONFIG_KEY))
        teams = dict(config.teams)
        if team is None:
            config = RoutingConfig(default=strategy, teams=teams)
        else:
            teams[team] = strategy
            config = RoutingConfig(default=config.default, teams=teams)
        repo.set_meta(uow.session, CONFIG_KEY, config.to_dict())
        uow.commit()
    return config


def set_needed_roles(
    *, engine: Engine, status: ClientStatus, roles: list[Role]
) -> dict[ClientStatus, tuple[Role, ...]]:
    """Configure the roles every client of a status needs (before the rule table adds more)."""
    for role in roles:
        if status is ClientStatus.PROSPECT and role is Role.ACCOUNT:
            raise BadInputError("Потенциальному клиенту не нужен account: его ведёт охотник.")
        if status is not ClientStatus.PROSPECT and role is Role.ACQUISITION:
            raise BadInputError(
                f"Клиенту со статусом {status.value} не нужен acquisition: он уже покупал."
            )
    with UnitOfWork(engine, write=True) as uow:
        current = needed_defaults(uow.session)
        current[status] = tuple(dict.fromkeys(roles))
        repo.set_meta(
            uow.session,
            NEEDED_KEY,
            {s.value: [r.value for r in rs] for s, rs in current.items()},
        )
        uow.commit()
    return current


def needed_roles_config(*, engine: Engine) -> dict[ClientStatus, tuple[Role, ...]]:
    """The roles each status needs (configured or default)."""
    with UnitOfWork(engine) as uow:
        return needed_defaults(uow.session)


# ---------------------------------------------------------------- fairness


@dataclass(frozen=True, slots=True)
class FairnessRow:
    """One manager's share of routed clients against his share of the group's capacity."""

    manager_id: int
    manager: str
    role_group: str
    role: str
    routed: int
    share: float  # % of the clients routed in this role to this group
    capacity: int
    capacity_share: float  # % of the group's capacity
    deviation: float  # share − capacity share, percentage points


@dataclass(frozen=True, slots=True)
class FairnessReport:
    """Shares of routed clients per manager vs capacity shares over a period."""

    since: dt.date
    until: dt.date
    rows: list[FairnessRow]

    @property
    def max_deviation(self) -> float:
        """Largest |deviation| in percentage points (0 when nothing was routed)."""
        return max((abs(r.deviation) for r in self.rows), default=0.0)


def fairness_report(
    *, engine: Engine, since: dt.date, until: dt.date, today: dt.date | None = None
) -> FairnessReport:
    """Per role and group: routed share of each active manager vs his capacity share."""
    with UnitOfWork(engine) as uow:
        ctx = RoutingContext(uow.session, today=today or until)
        counts = repo.routed_counts(uow.session, since, until)
        rows: list[FairnessRow] = []
        roles = sorted({role for _, role in counts})
        for role in roles:
            by_group: dict[RoleGroup, list[Pool]] = {}
            for mid, r in counts:
                if r == role and mid in ctx.managers:
                    by_group.setdefault(ctx.managers[mid].group, [])
            for group in by_group:
                members = [
                    p
                    for p in ctx.managers.values()
                    if p.group is group
                    and (p.available or counts.get((p.id, role), 0) > 0)
                    and p.capacity > 0
                ]
                total = sum(counts.get((p.id, role), 0) for p in members) or 1
                cap = sum(p.capacity for p in members) or 1
                for p in sorted(members, key=lambda p: p.id):
                    n = counts.get((p.id, role), 0)
                    share = 100.0 * n / total
                    cap_share = 100.0 * p.capacity / cap
                    rows.append(
                        FairnessRow(
                            p.id,
                            p.name,
                            group.value,
                            role,
                            n,
                            round(share, 2),
                            p.capacity,
                            round(cap_share, 2),
                            round(share - cap_share, 2),
                        )
                    )
    return FairnessReport(since=since, until=until, rows=rows)
