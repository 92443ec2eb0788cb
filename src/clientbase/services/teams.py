"""Client teams (SPEC §5): a client's team with history, manual transfers, hunter→farmer
handoff, a manager leaving, and the conditional role rule table.

Every function takes keyword-only arguments and returns dataclasses that a web page can
render as they are. Writers run in one unit of work each (one transaction); the ones that
change who owns whom take the same "assignments" lock as plans and rotation.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from clientbase.core.roles import (
    GROUP_RU,
    ROLE_RU,
    Condition,
    RoleRule,
    Target,
    evaluate,
    needed_roles,
    role_violation,
)
from clientbase.core.types import ClientStatus, Role, RoleGroup
from clientbase.db import tables as t
from clientbase.db import teams_repository as repo
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError, InfeasibleError
from clientbase.io import readers, writers
from clientbase.io.mapping import normalize_header
from clientbase.io.values import is_blank, parse_bool, parse_int, text_of
from clientbase.services.locks import ASSIGNMENTS_LOCK
from clientbase.services.routing import (
    RoutingContext,
    needed_defaults,
    rule_from_row,
)

HANDOFF = "handoff"
HUNTER_ROLES = (Role.ACQUISITION.value, Role.SALES.value)


# ---------------------------------------------------------------- a client's team


@dataclass(frozen=True, slots=True)
class TeamMember:
    """One responsibility of a client, current (until None) or past."""

    role: str
    role_ru: str
    manager_id: int
    manager: str
    role_group: str
    since: dt.date
    until: dt.date | None
    reason: str


@dataclass(frozen=True, slots=True)
class NeededRole:
    """A role the client's team needs, the rule that decides it, and who holds it now."""

    role: str
    role_ru: str
    rule: str | None
    holder: TeamMember | None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One change-history row of the client."""

    at: dt.datetime
    field: str
    old_value: str | None
    new_value: str | None
    reason: str
    actor: str


@dataclass(frozen=True, slots=True)
class ClientTeam:
    """A client's team today, the roles it needs, past holders and the change history."""

    client_id: int
    client: str
    status: str
    tier: str
    needed: list[NeededRole]
    current: list[TeamMember]
    past: list[TeamMember]
    history: list[HistoryEntry]


def _member(resp: t.Responsibility, mgr: t.Manager) -> TeamMember:
    return TeamMember(
        role=resp.role,
        role_ru=ROLE_RU[Role(resp.role)],
        manager_id=mgr.id,
        manager=mgr.name,
        role_group=mgr.role_group,
        since=resp.since,
        until=resp.until,
        reason=resp.reason,
    )


def client_team(*, engine: Engine, client: str | int) -> ClientTeam:
    """The team of a client (by id, external id or exact name) with its history."""
    with UnitOfWork(engine) as uow:
        session = uow.session
        row = repo.find_client(session, str(client))
        members = [_member(r, m) for r, m in repo.team_rows(session, row.id)]
        current = [m for m in members if m.until is None]
        past = [m for m in members if m.until is not None]
        rules = [rule_from_row(r) for r in repo.role_rules(session)]
        facts = repo.facts_of(row, repo.purchase_totals(session, [row.id]))
        holders = {m.role: m for m in current}
        needed = [
            NeededRole(
                role=role.value,
                role_ru=ROLE_RU[role],
                rule=match.rule.name if match else None,
                holder=holders.get(role.value),
            )
            for role, match in needed_roles(facts, rules, defaults=needed_defaults(session)).items()
        ]
        history = [
            HistoryEntry(h.at, h.field, h.old_value, h.new_value, h.reason, h.actor)
            for h in repo.history(session, row.id)
        ]
        return ClientTeam(
            client_id=row.id,
            client=row.name,
            status=row.status,
            tier=row.tier,
            needed=needed,
            current=current,
            past=past,
            history=history,
        )


# ---------------------------------------------------------------- manual transfer


@dataclass(frozen=True, slots=True)
class TransferResult:
    """What a manual transfer changed."""

    client_id: int
    client: str
    role: str
    old_manager_id: int | None
    old_manager: str | None
    manager_id: int
    manager: str
    changed: bool
    deals_moved: int = 0
    activities_moved: int = 0


def parse_role(text: str) -> Role:
    """A role from its name; an unknown one is refused with the list."""
    try:
        return Role(text.strip().lower())
    except ValueError as exc:
        raise BadInputError(
            f"Неизвестная роль «{text}»; допустимы: {', '.join(r.value for r in Role)}."
        ) from exc


def set_responsible(
    *,
    engine: Engine,
    client: str | int,
    role: str,
    manager: str | int,
    today: dt.date | None = None,
    actor: str = "system",
    reason: str = "manual",
) -> TransferResult:
    """Give a client's role to a manager by hand; open deals and activities follow.

    Refused (BadInputError) when the manager is inactive or his group may not hold the role
    — a hunter as `account`, a farmer as `acquisition` — with a message naming the rule.
    """
    today = today or dt.date.today()
    wanted = parse_role(role)
    with UnitOfWork(engine, write=True, lock=ASSIGNMENTS_LOCK) as uow:
        session = uow.session
        row = repo.find_client(session, str(client))
        mgr = repo.find_manager(session, str(manager))
        if not mgr.active:
            raise BadInputError(f"Менеджер {mgr.name} (#{mgr.id}) неактивен; выберите другого.")
        violation = role_violation(RoleGroup(mgr.role_group), wanted)
        if violation is not None:
            raise BadInputError(
                f"{mgr.name} (#{mgr.id}, {GROUP_RU[RoleGroup(mgr.role_group)]}) не может "
                f"получить роль {wanted.value} у клиента #{row.id}: {violation}."
            )
        old, deals, activities = repo.transfer(
            session,
            client_id=row.id,
            role=wanted.value,
            manager_id=mgr.id,
            today=today,
            reason=reason,
            actor=actor,
        )
        old_row = session.get(t.Manager, old) if old is not None else None
        result = TransferResult(
            client_id=row.id,
            client=row.name,
            role=wanted.value,
            old_manager_id=old,
            old_manager=old_row.name if old_row else None,
            manager_id=mgr.id,
            manager=mgr.name,
            changed=old != mgr.id,
            deals_moved=deals,
            activities_moved=activities,
        )
        uow.commit()
    return result


@dataclass(frozen=True, slots=True)
class EndResult:
    """A responsibility ended by hand."""

    client_id: int
    client: str
    role: str
    manager_id: int | None
    manager: str | None


def end_responsibility(
    *,
    engine: Engine,
    client: str | int,
    role: str,
    today: dt.date | None = None,
    actor: str = "system",
    reason: str = "manual",
) -> EndResult:
    """End a client's responsible for a role (e.g. no more service); history kept.

    Refused when the holder has open deals or activities of the client: give the role to
    someone else instead (`set_responsible`), so that no open work is left with nobody.
    """
    today = today or dt.date.today()
    wanted = parse_role(role)
    with UnitOfWork(engine, write=True, lock=ASSIGNMENTS_LOCK) as uow:
        session = uow.session
        row = repo.find_client(session, str(client))
        current = next(
            (r for r in repo.open_responsibilities(session, [row.id]) if r.role == wanted.value),
            None,
        )
        if current is None:
            return EndResult(row.id, row.name, wanted.value, None, None)
        mgr = session.get(t.Manager, current.manager_id)
        still_holds = {r.manager_id for r in repo.open_responsibilities(session, [row.id])} - {
            current.manager_id
        }
        deals, activities = repo.open_work_for_client(session, row.id, current.manager_id)
        if (deals or activities) and current.manager_id not in still_holds:
            raise BadInputError(
                f"У {mgr.name if mgr else current.manager_id} по клиенту #{row.id} открыто "
                f"сделок: {deals}, дел: {activities}; передайте роль другому (team set), "
                "а не снимайте её."
            )
        repo.close_responsibility(session, row.id, wanted.value, today)
        session.add(
            t.ChangeHistory(
                entity="client",
                entity_id=row.id,
                field=f"responsible:{wanted.value}",
                old_value=str(current.manager_id),
                new_value=None,
                reason=reason,
                actor=actor,
            )
        )
        uow.commit()
        return EndResult(
            row.id, row.name, wanted.value, current.manager_id, mgr.name if mgr else None
        )


# ---------------------------------------------------------------- handoff


@dataclass(frozen=True, slots=True)
class HandoffItem:
    """One client handed (or not) from the hunter to an account manager."""

    client_id: int
    client: str
    hunter_ids: tuple[int, ...]
    manager_id: int | None
    manager: str | None
    reason: str
    status_before: str
    status_after: str
    over_capacity: bool = False
    deals_moved: int = 0
    activities_moved: int = 0


@dataclass(slots=True)
class HandoffReport:
    """What a handoff run did: handed off, and left with the hunter (nobody could take them)."""

    items: list[HandoffItem] = field(default_factory=list)
    dry_run: bool = False

    @property
    def handed_off(self) -> list[HandoffItem]:
        """Clients that now have an account manager."""
        return [i for i in self.items if i.manager_id is not None]

    @property
    def unassigned(self) -> list[HandoffItem]:
        """Clients nobody could take; they stay with the hunter and are retried next run."""
        return [i for i in self.items if i.manager_id is None]


def handoff_won_prospects(
    *,
    session: Session,
    today: dt.date,
    client_ids: list[int] | set[int] | None = None,
    seed: int = 0,
    actor: str = "system",
    prospects_only: bool = False,
) -> HandoffReport:
    """Hand clients with a won deal from the hunter to an account manager (SPEC §5).

    Runs inside the caller's transaction (the deals import calls it before its commit).
    The account manager is chosen by the rule table, then routing among the farmers who
    serve the segment (least relative load); when all of them are full the least loaded one
    still gets the paying client, flagged `over_capacity`, rather than leaving it with the
    hunter. The hunter's acquisition/sales responsibilities end (his won deals stay his, so
    he keeps the credit in KPIs), his open deals and activities follow the client, a
    prospect becomes active, and every change is written to the history with reason
    "handoff". Idempotent: a handed-off client is no longer a candidate.
    `prospects_only` limits it to prospects a hunter holds (what an import of won deals
    hands off; other candidates wait for `clientbase handoff`).
    """
    ids = repo.handoff_candidates(
        session,
        None if client_ids is None else list(client_ids),
        prospects_only=prospects_only,
    )
    report = HandoffReport()
    if not ids:
        return report
    ctx = RoutingContext(session, today=today, seed=seed)
    clients = repo.clients_by_id(session, ids)
    totals = repo.purchase_totals(session, ids)
    first_won = repo.first_won_dates(session, ids)
    open_by_client: dict[int, list[t.Responsibility]] = defaultdict(list)
    for r in repo.open_responsibilities(session, ids):
        open_by_client[r.client_id].append(r)
    groups = {mid: p.group for mid, p in ctx.managers.items()}
    for cid in sorted(ids, key=lambda i: (-float(clients[i].potential or 0), i)):
        client = clients[cid]
        status_before = client.status
        opened = open_by_client[cid]
        hunters = [
            r
            for r in opened
            if r.role in HUNTER_ROLES and groups.get(r.manager_id) is RoleGroup.HUNTER
        ]
        account = next((r for r in opened if r.role == Role.ACCOUNT.value), None)
        after = (
            ClientStatus.ACTIVE.value
            if status_before == ClientStatus.PROSPECT.value
            else status_before
        )
        facts = replace(repo.facts_of(client, totals), status=ClientStatus(after))
        manager_id: int | None
        reason = HANDOFF
        over = False
        moved_deals = moved_acts = 0
        if account is not None and groups.get(account.manager_id) is not RoleGroup.HUNTER:
            manager_id = account.manager_id
            reason = f"{HANDOFF}: аккаунт-менеджер уже назначен"
        else:
            match = evaluate(ctx.rules, facts).get(Role.ACCOUNT)
            decision = ctx.choose(
                facts, Role.ACCOUNT, match, allow_over_capacity=True, reason_prefix=HANDOFF
            )
            manager_id = decision.manager_id
            reason = decision.reason
            over = decision.over_capacity
            if manager_id is None:
                report.items.append(
                    HandoffItem(
                        cid,
                        client.name,
                        tuple(r.manager_id for r in hunters),
                        None,
                        None,
                        reason,
                        status_before,
                        status_before,
                    )
                )
                continue
            stored = HANDOFF if decision.rule is None else f"{HANDOFF}:rule:{decision.rule}"
            _, d, a = repo.transfer(
                session,
                client_id=cid,
                role=Role.ACCOUNT.value,
                manager_id=manager_id,
                today=today,
                reason=stored,
                actor=actor,
            )
            moved_deals, moved_acts = moved_deals + d, moved_acts + a
        for resp in hunters:
            resp.until = max(today, resp.since)
            session.add(
                t.ChangeHistory(
                    entity="client",
                    entity_id=cid,
                    field=f"responsible:{resp.role}",
                    old_value=str(resp.manager_id),
                    new_value=None,
                    reason=HANDOFF,
                    actor=actor,
                )
            )
            d, a = repo.cascade_open_work(session, cid, resp.manager_id, manager_id)
            repo.record_open_work(session, cid, resp.manager_id, manager_id, d, a, HANDOFF, actor)
            moved_deals, moved_acts = moved_deals + d, moved_acts + a
            ctx.release(resp.manager_id, repo.facts_of(client, totals), Role(resp.role))
        if after != status_before:
            client.status = after
            client.version += 1
            session.add(
                t.ChangeHistory(
                    entity="client",
                    entity_id=cid,
                    field="status",
                    old_value=status_before,
                    new_value=after,
                    reason=HANDOFF,
                    actor=actor,
                )
            )
        if client.first_purchase is None and cid in first_won:
            client.first_purchase = first_won[cid]
        session.flush()
        mgr = ctx.managers.get(manager_id)
        report.items.append(
            HandoffItem(
                cid,
                client.name,
                tuple(r.manager_id for r in hunters),
                manager_id,
                mgr.name if mgr else str(manager_id),
                reason,
                status_before,
                after,
                over,
                moved_deals,
                moved_acts,
            )
        )
    return report


def run_handoff(
    *,
    engine: Engine,
    today: dt.date | None = None,
    dry_run: bool = False,
    client_ids: list[int] | None = None,
    seed: int = 0,
    actor: str = "system",
) -> HandoffReport:
    """Hand off every client with a won deal still held by a hunter; one transaction."""
    today = today or dt.date.today()
    with UnitOfWork(engine, write=True, lock=ASSIGNMENTS_LOCK) as uow:
        report = handoff_won_prospects(
            session=uow.session, today=today, client_ids=client_ids, seed=seed, actor=actor
        )
        report.dry_run = dry_run
        if not dry_run:
            uow.commit()
    return report


# ---------------------------------------------------------------- a manager leaves


@dataclass(frozen=True, slots=True)
class LeaveMove:
    """One responsibility of the leaving manager and who takes it."""

    client_id: int
    client: str
    role: str
    manager_id: int | None
    manager: str | None
    reason: str
    over_capacity: bool = False


@dataclass(frozen=True, slots=True)
class WorkMove:
    """Open deals/activities of the leaving manager for a client he was not responsible for."""

    client_id: int | None
    manager_id: int | None
    manager: str | None


@dataclass(slots=True)
class LeaveReport:
    """What happens (preview) or happened (applied) when a manager leaves."""

    manager_id: int
    manager: str
    applied: bool
    moves: list[LeaveMove] = field(default_factory=list)
    other_work: list[WorkMove] = field(default_factory=list)
    open_deals_before: int = 0
    open_activities_before: int = 0
    open_deals_after: int = 0
    open_activities_after: int = 0
    total_open_before: tuple[int, int] = (0, 0)
    total_open_after: tuple[int, int] = (0, 0)

    @property
    def unplaced(self) -> list[LeaveMove]:
        """Responsibilities nobody can take (the leave is refused while there are any)."""
        return [m for m in self.moves if m.manager_id is None]


def manager_leaves(
    *,
    engine: Engine,
    manager: str | int,
    apply: bool = False,
    today: dt.date | None = None,
    seed: int = 0,
    actor: str = "system",
) -> LeaveReport:
    """A manager leaves: every client of his redistributed by routing, open work follows.

    Without `apply` nothing is written (a preview). With it, in one transaction: each of
    his responsibilities goes to a manager of the same group chosen by the rule table and
    routing (segments, VIP grade, hunters and farmers apart; least relative load — over
    capacity only when every eligible colleague is full, flagged), his open deals and
    activities follow each client, the rest of his open work goes to the client's
    responsible (or the head of sales), and he is made inactive. If any client cannot be
    placed at all the leave is refused (InfeasibleError) and nothing changes.
    """
    today = today or dt.date.today()
    with UnitOfWork(engine, write=True, lock=ASSIGNMENTS_LOCK) as uow:
        session = uow.session
        mgr = repo.find_manager(session, str(manager))
        report = LeaveReport(manager_id=mgr.id, manager=mgr.name, applied=apply)
        report.open_deals_before, report.open_activities_before = repo.open_work_of(session, mgr.id)
        report.total_open_before = repo.open_work_totals(session)
        reason = f"leave #{mgr.id}"
        ctx = RoutingContext(session, today=today, seed=seed, exclude=frozenset({mgr.id}))
        held = repo.open_responsibilities(session, manager_id=mgr.id)
        clients = repo.clients_by_id(session, [r.client_id for r in held])
        totals = repo.purchase_totals(session, list(clients))
        for resp in sorted(
            held, key=lambda r: (-float(clients[r.client_id].potential or 0), r.client_id, r.role)
        ):
            client = clients[resp.client_id]
            facts = repo.facts_of(client, totals)
            role = Role(resp.role)
            match = evaluate(ctx.rules, facts).get(role)
            decision = ctx.choose(
                facts, role, match, allow_over_capacity=True, reason_prefix=reason
            )
            report.moves.append(
                LeaveMove(
                    client.id,
                    client.name,
                    role.value,
                    decision.manager_id,
                    decision.manager,
                    decision.reason,
                    decision.over_capacity,
                )
            )
        # Who takes the rest of his open work: the client's responsible after the moves.
        new_owner: dict[int, int] = {}
        for move in report.moves:
            if move.manager_id is not None and move.client_id not in new_owner:
                new_owner[move.client_id] = move.manager_id
        heads = [p.id for p in ctx.managers.values() if p.group is RoleGroup.HEAD and p.available]
        order = (Role.ACCOUNT, Role.ACQUISITION, Role.SALES, Role.SERVICE, Role.ADMIN)
        for cid in repo.open_work_clients(session, mgr.id):
            if cid is not None and cid in new_owner:
                continue
            target: int | None = None
            if cid is not None:
                current = {
                    r.role: r.manager_id
                    for r in repo.open_responsibilities(session, [cid])
                    if r.manager_id != mgr.id
                }
                target = next((current[r.value] for r in order if r.value in current), None)
            if target is None and heads:
                target = heads[0]
            pool = ctx.managers.get(target) if target is not None else None
            report.other_work.append(WorkMove(cid, target, pool.name if pool else None))
        if not apply:
            report.open_deals_after, report.open_activities_after = (
                report.open_deals_before,
                report.open_activities_before,
            )
            report.total_open_after = report.total_open_before
            return report
        stuck = [m for m in report.moves if m.manager_id is None]
        stuck_work = [w for w in report.other_work if w.manager_id is None]
        if stuck or stuck_work:
            names = ", ".join(f"#{m.client_id} ({m.role}): {m.reason}" for m in stuck[:10])
            if stuck_work:
                names += ("; " if names else "") + "открытые дела без ответственного у клиента"
            raise InfeasibleError(
                f"Менеджер {mgr.name} (#{mgr.id}) не может уйти: некому передать {len(stuck)} "
                f"ответственностей — {names}. Расширьте сегменты коллег или ёмкость, "
                "либо назначьте вручную (team set)."
            )
        for move in report.moves:
            assert move.manager_id is not None
            stored = reason if " — " not in move.reason else move.reason.split(" — ", 1)[0]
            repo.transfer(
                session,
                client_id=move.client_id,
                role=move.role,
                manager_id=move.manager_id,
                today=today,
                reason=stored[:200],
                actor=actor,
            )
        for cid in repo.open_work_clients(session, mgr.id):
            new = new_owner.get(cid) if cid is not None else None
            if new is None:
                new = next(w.manager_id for w in report.other_work if w.client_id == cid)
            assert new is not None
            d, a = repo.move_open_work(session, mgr.id, cid, new)
            if cid is not None:
                repo.record_open_work(session, cid, mgr.id, new, d, a, reason, actor)
        if mgr.active:
            mgr.active = False
            mgr.version += 1
            session.add(
                t.ChangeHistory(
                    entity="manager",
                    entity_id=mgr.id,
                    field="active",
                    old_value="true",
                    new_value="false",
                    reason=reason,
                    actor=actor,
                )
            )
        session.flush()
        report.open_deals_after, report.open_activities_after = repo.open_work_of(session, mgr.id)
        report.total_open_after = repo.open_work_totals(session)
        uow.commit()
    return report


# ---------------------------------------------------------------- rule table


@dataclass(frozen=True, slots=True)
class RuleRow:
    """A rule as listed and exported."""

    id: int
    name: str
    priority: int
    role: str
    condition: str
    target: str
    active: bool


@dataclass(frozen=True, slots=True)
class RulesImport:
    """What importing a rules file changed."""

    inserted: int
    updated: int
    unchanged: int
    removed: int
    dry_run: bool


RULE_COLUMNS = ("name", "priority", "role", "condition", "target", "active")
_RULE_ALIASES = {
    "name": "name",
    "название": "name",
    "правило": "name",
    "priority": "priority",
    "приоритет": "priority",
    "role": "role",
    "роль": "role",
    "condition": "condition",
    "условие": "condition",
    "target": "target",
    "цель": "target",
    "кому": "target",
    "active": "active",
    "активно": "active",
    "активна": "active",
}


def list_rules(*, engine: Engine) -> list[RuleRow]:
    """The rule table in evaluation order."""
    with UnitOfWork(engine) as uow:
        rows = []
        for r in repo.role_rules(uow.session):
            rule = rule_from_row(r)
            rows.append(
                RuleRow(
                    r.id,
                    r.name,
                    r.priority,
                    r.role,
                    rule.condition.render(),
                    rule.target.render(),
                    r.active,
                )
            )
        return rows


def _rule(record: dict[str, Any], where: str) -> RoleRule:
    name = text_of(record.get("name")).strip() if not is_blank(record.get("name")) else ""
    if not name:
        raise BadInputError(f"{where}, колонка «name»: пустое название правила.")
    if len(name) > 200:
        raise BadInputError(f"{where}, колонка «name»: название длиннее 200 символов.")
    raw_priority = record.get("priority")
    try:
        priority = 100 if is_blank(raw_priority) else parse_int(raw_priority)
    except ValueError as exc:
        raise BadInputError(f"{where}, колонка «priority»: ожидается целое число.") from exc
    role_text = "" if is_blank(record.get("role")) else text_of(record["role"])
    try:
        role = Role(role_text.strip().lower())
    except ValueError as exc:
        raise BadInputError(
            f"{where}, колонка «role»: «{role_text}» — ожидается одна из "
            f"{', '.join(r.value for r in Role)}."
        ) from exc
    raw_condition = record.get("condition")
    if isinstance(raw_condition, dict):
        condition = Condition.from_dict(raw_condition, where=f"{where}, колонка «condition»")
    else:
        text = "" if is_blank(raw_condition) else text_of(raw_condition)
        condition = Condition.parse(text, where=f"{where}, колонка «condition»")
    raw_target = record.get("target")
    if is_blank(raw_target):
        raise BadInputError(f"{where}, колонка «target»: не указано, кому достаётся роль.")
    if isinstance(raw_target, dict):
        target = Target.from_dict(raw_target, where=f"{where}, колонка «target»")
    else:
        target = Target.parse(text_of(raw_target), where=f"{where}, колонка «target»")
    if target.group is not None:
        violation = role_violation(target.group, role)
        if violation is not None:
            raise BadInputError(
                f"{where}: группа {target.group.value} и роль {role.value} — {violation}."
            )
    raw_active = record.get("active")
    try:
        active = True if is_blank(raw_active) else parse_bool(raw_active)
    except ValueError as exc:
        raise BadInputError(f"{where}, колонка «active»: ожидается да/нет.") from exc
    return RoleRule(
        name=name, role=role, target=target, condition=condition, priority=priority, active=active
    )


def read_rules_file(path: Path) -> list[RoleRule]:
    """Read a rules file: CSV/XLSX (name, priority, role, condition, target), JSON or TOML."""
    suffix = path.suffix.lower()
    records: list[tuple[str, dict[str, Any]]] = []
    if suffix in (".json", ".toml"):
        data: Any = readers.read_settings(path, what="Правила ролей:")
        items = data.get("rules") if isinstance(data, dict) else data
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise BadInputError(
                f"{path.name}: ожидается список правил ([[rules]] в TOML, "
                '{"rules": [...]} или [...] в JSON).'
            )
        for n, item in enumerate(items, 1):
            records.append(
                (f"{path.name}, правило {n}", {str(k).lower(): v for k, v in item.items()})
            )
    else:
        table = readers.read_table(path)
        columns: dict[int, str] = {}
        for i, header in enumerate(table.headers):
            field_name = _RULE_ALIASES.get(normalize_header(header or ""))
            if field_name is not None and field_name not in columns.values():
                columns[i] = field_name
        for required in ("name", "role", "target"):
            if required not in columns.values():
                raise BadInputError(
                    f"{table.file}, строка {table.header_row}: нет обязательной колонки "
                    f"{required}; колонки: {', '.join(RULE_COLUMNS)}."
                )
        for row in table.rows:
            record = {
                name: row.values[i] if i < len(row.values) else None for i, name in columns.items()
            }
            records.append((f"{table.file}, строка {row.number}", record))
    rules: list[RoleRule] = []
    seen: dict[str, str] = {}
    for where, record in records:
        rule = _rule(record, where)
        if rule.name in seen:
            raise BadInputError(f"{where}: правило «{rule.name}» уже есть ({seen[rule.name]}).")
        seen[rule.name] = where
        rules.append(rule)
    return rules


def save_rule(
    *,
    engine: Engine,
    name: str,
    role: str,
    target: str,
    condition: str = "",
    priority: int = 100,
    active: bool = True,
) -> RuleRow:
    """Create or change one rule (the app's rule editor); text forms as in files."""
    rule = _rule(
        {
            "name": name,
            "role": role,
            "target": target,
            "condition": condition,
            "priority": priority,
            "active": active,
        },
        "правило",
    )
    with UnitOfWork(engine, write=True) as uow:
        _store_rules(uow.session, [rule], where="правило")
        uow.session.flush()
        row = repo.rule_by_name(uow.session, rule.name)
        assert row is not None
        result = RuleRow(
            row.id,
            row.name,
            row.priority,
            row.role,
            rule.condition.render(),
            rule.target.render(),
            row.active,
        )
        uow.commit()
    return result


def delete_rule(*, engine: Engine, name: str) -> bool:
    """Delete a rule by name; False when there was none."""
    with UnitOfWork(engine, write=True) as uow:
        row = repo.rule_by_name(uow.session, name)
        if row is None:
            return False
        uow.session.delete(row)
        uow.commit()
    return True


def _store_rules(session: Session, rules: list[RoleRule], *, where: str) -> tuple[int, int, int]:
    """Upsert rules by name after checking named managers; (inserted, updated, unchanged)."""
    inserted = updated = unchanged = 0
    for rule in rules:
        if rule.target.kind == "manager":
            mgr = repo.find_manager(session, rule.target.value)
            violation = role_violation(RoleGroup(mgr.role_group), rule.role)
            if violation is not None:
                raise BadInputError(
                    f"{where}: правило «{rule.name}»: {mgr.name} не может получить роль "
                    f"{rule.role.value}: {violation}."
                )
        values = {
            "priority": rule.priority,
            "role": rule.role.value,
            "condition": rule.condition.to_dict(),
            "target": rule.target.to_dict(),
            "active": rule.active,
        }
        row = repo.rule_by_name(session, rule.name)
        if row is None:
            session.add(
                t.RoleRule(name=rule.name, source="file", external_id=rule.name[:120], **values)
            )
            inserted += 1
            continue
        if all(getattr(row, k) == v for k, v in values.items()):
            unchanged += 1
            continue
        for k, v in values.items():
            setattr(row, k, v)
        row.version += 1
        updated += 1
    return inserted, updated, unchanged


def import_rules(
    *, engine: Engine, path: Path, replace: bool = False, dry_run: bool = False
) -> RulesImport:
    """Import a rules file, all or nothing; rules are matched by name.

    With `replace` the file is the whole table: rules not in it are removed. A manager
    named by a target must exist (id or e-mail) and be allowed the role.
    """
    rules = read_rules_file(path)
    removed = 0
    with UnitOfWork(engine, write=True) as uow:
        session = uow.session
        inserted, updated, unchanged = _store_rules(session, rules, where=path.name)
        if replace:
            names = {r.name for r in rules}
            for row in repo.role_rules(session):
                if row.name not in names:
                    session.delete(row)
                    removed += 1
        session.flush()
        if not dry_run:
            uow.commit()
    return RulesImport(inserted, updated, unchanged, removed, dry_run)


def export_rules(*, engine: Engine, path: Path) -> int:
    """Write the rule table as CSV/XLSX (text conditions), JSON or TOML; return the count."""
    rows = list_rules(engine=engine)
    suffix = path.suffix.lower()
    if suffix == ".json":
        data = [
            {
                "name": r.name,
                "priority": r.priority,
                "role": r.role,
                "condition": r.condition,
                "target": r.target,
                "active": r.active,
            }
            for r in rows
        ]
        path.write_text(json.dumps({"rules": data}, ensure_ascii=False, indent=2), encoding="utf-8")
        return len(rows)
    if suffix == ".toml":
        lines: list[str] = []
        for r in rows:
            lines += [
                "[[rules]]",
                f"name = {json.dumps(r.name, ensure_ascii=False)}",
                f"priority = {r.priority}",
                f"role = {json.dumps(r.role)}",
                f"condition = {json.dumps(r.condition, ensure_ascii=False)}",
                f"target = {json.dumps(r.target, ensure_ascii=False)}",
                f"active = {'true' if r.active else 'false'}",
                "",
            ]
        path.write_text("\n".join(lines), encoding="utf-8")
        return len(rows)
    table = [[r.name, r.priority, r.role, r.condition, r.target, r.active] for r in rows]
    if suffix == ".xlsx":
        return writers.write_xlsx(path, list(RULE_COLUMNS), table)
    return writers.write_csv(path, list(RULE_COLUMNS), table)
