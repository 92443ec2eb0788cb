"""All queries of the rotation of dormant clients (SPEC §6): reads for the policy and the
receiver choice, the writes of a run, and the outcomes the effect report is built from."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    String,
    and_,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from clientbase.core.types import Role
from clientbase.db import tables as t

ACCOUNT = Role.ACCOUNT.value


@dataclass(frozen=True, slots=True)
class HeldClient:
    """A client with its current account manager: what the policy and the move need."""

    id: int
    name: str
    tier: str
    status: str
    region: str | None
    industry: str | None
    product_line: str | None
    channel: str | None
    ownership: str | None
    potential: float
    revenue_12m: float
    hours: float | None
    locked: bool
    owner_id: int
    owner_since: dt.date


@dataclass(frozen=True, slots=True)
class ManagerLoadRow:
    """Open account responsibilities of one manager by tier, and their explicit hours."""

    by_tier: dict[str, int]
    # tier → (clients with hours of their own, the sum of those hours)
    explicit: dict[str, tuple[int, float]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one member client bought within the observation window of its run."""

    won_deals: int
    revenue: float
    first_won: dt.date | None


class RotationRepository:
    """Reads and writes of rotation runs on one session (the service's unit of work)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------ reads

    def held_clients(
        self, *, excluded_statuses: tuple[str, ...], manager_id: int | None = None
    ) -> list[HeldClient]:
        """Clients with an open `account` responsibility, optionally of one manager."""
        c, r = t.Client, t.Responsibility
        # Plain columns, not ORM objects: a hundred thousand clients load in a second.
        stmt = (
            select(
                c.id,
                c.name,
                c.tier,
                c.status,
                c.region,
                c.industry,
                c.product_line,
                c.channel,
                c.ownership,
                c.potential,
                c.revenue_12m,
                c.hours,
                c.locked,
                r.manager_id,
                r.since,
            )
            .join(r, and_(r.client_id == c.id, r.role == ACCOUNT, r.until.is_(None)))
            .where(c.status.not_in(excluded_statuses))
            .order_by(c.id)
        )
        if manager_id is not None:
            stmt = stmt.where(r.manager_id == manager_id)
        return [
            HeldClient(
                id=row.id,
                name=row.name,
                tier=row.tier,
                status=row.status,
                region=row.region,
                industry=row.industry,
                product_line=row.product_line,
                channel=row.channel,
                ownership=row.ownership,
                potential=float(row.potential or 0.0),
                revenue_12m=float(row.revenue_12m or 0.0),
                hours=None if row.hours is None else float(row.hours),
                locked=bool(row.locked),
                owner_id=int(row.manager_id),
                owner_since=row.since,
            )
            for row in self.session.execute(stmt)
        ]

    def won_dates(
        self, *, until: dt.date, manager_id: int | None = None
    ) -> dict[int, list[dt.date]]:
        """Close dates of won deals up to `until`, per client (of one manager's book if given)."""
        d = t.Deal
        stmt = select(d.client_id, d.closed).where(
            d.outcome == "won", d.closed.is_not(None), d.closed <= until
        )
        if manager_id is not None:
            stmt = stmt.where(d.client_id.in_(self._book(manager_id)))
        dates: dict[int, list[dt.date]] = defaultdict(list)
        for client_id, closed in self.session.execute(stmt):
            if closed is not None:
                dates[int(client_id)].append(closed)
        return dict(dates)

    def open_deal_stages(
        self, *, until: dt.date, manager_id: int | None = None
    ) -> dict[int, list[str | None]]:
        """Stages of the open deals created up to `until`, per client."""
        d = t.Deal
        stmt = select(d.client_id, d.stage).where(d.outcome == "open", d.created <= until)
        if manager_id is not None:
            stmt = stmt.where(d.client_id.in_(self._book(manager_id)))
        stages: dict[int, list[str | None]] = defaultdict(list)
        for client_id, stage in self.session.execute(stmt):
            stages[int(client_id)].append(stage)
        return dict(stages)

    def _book(self, manager_id: int) -> Any:
        r = t.Responsibility
        return select(r.client_id).where(
            r.role == ACCOUNT, r.until.is_(None), r.manager_id == manager_id
        )

    def recent_holders(self, client_ids: list[int], *, keep: int = 2) -> dict[int, list[int]]:
        """The last `keep` distinct account managers of each client, newest first."""
        r = t.Responsibility
        stmt = (
            select(r.client_id, r.manager_id)
            .where(r.role == ACCOUNT)
            .order_by(r.client_id, r.until.is_not(None), r.since.desc(), r.id.desc())
        )
        wanted = set(client_ids)
        holders: dict[int, list[int]] = defaultdict(list)
        for client_id, manager_id in self.session.execute(stmt):
            if client_id not in wanted:
                continue
            seen = holders[client_id]
            if len(seen) < keep and manager_id not in seen:
                seen.append(int(manager_id))
        return dict(holders)

    def managers(self) -> list[t.Manager]:
        """Every manager, by id."""
        return list(self.session.scalars(select(t.Manager).order_by(t.Manager.id)))

    def absent_on(self, day: dt.date) -> set[int]:
        """Managers absent on `day`."""
        a = t.Absence
        stmt = select(a.manager_id).where(a.start_date <= day, a.end_date >= day)
        return {int(x) for x in self.session.scalars(stmt)}

    def account_loads(self) -> dict[int, ManagerLoadRow]:
        """Open account responsibilities per manager by tier (the load a receiver carries)."""
        r, c = t.Responsibility, t.Client
        stmt = (
            select(
                r.manager_id,
                c.tier,
                func.count(),
                func.count(c.hours),
                func.coalesce(func.sum(c.hours), 0.0),
            )
            .join(c, c.id == r.client_id)
            .where(r.role == ACCOUNT, r.until.is_(None))
            .group_by(r.manager_id, c.tier)
        )
        loads: dict[int, ManagerLoadRow] = {}
        for mid, tier, n, n_explicit, explicit in self.session.execute(stmt):
            row = loads.setdefault(int(mid), ManagerLoadRow({}, {}))
            row.by_tier[tier] = int(n)
            row.explicit[tier] = (int(n_explicit), float(explicit or 0.0))
        return loads

    def meta(self, key: str) -> str | None:
        """A value of app_meta."""
        row = self.session.get(t.AppMeta, key)
        return None if row is None else row.value

    def set_meta(self, key: str, value: str) -> None:
        """Store a value in app_meta."""
        row = self.session.get(t.AppMeta, key)
        if row is None:
            self.session.add(t.AppMeta(key=key, value=value))
        else:
            row.value = value

    def run_on(self, day: dt.date) -> t.RotationRun | None:
        """The run of a date, if any."""
        return self.session.scalar(select(t.RotationRun).where(t.RotationRun.run_date == day))

    def run(self, run_id: int) -> t.RotationRun | None:
        """A run by id, if any."""
        return self.session.get(t.RotationRun, run_id)

    def latest_run_date(self) -> dt.date | None:
        """The date of the latest run."""
        return self.session.scalar(select(func.max(t.RotationRun.run_date)))

    def runs(self) -> list[t.RotationRun]:
        """All runs, oldest first."""
        return list(self.session.scalars(select(t.RotationRun).order_by(t.RotationRun.run_date)))

    def on_trial(self, *, since: dt.date, until: dt.date) -> dict[int, tuple[int, dt.date]]:
        """Clients in a run dated within [since, until): client → (run id, run date), latest."""
        m, run = t.RotationMember, t.RotationRun
        stmt = (
            select(m.client_id, run.id, run.run_date)
            .join(run, run.id == m.run_id)
            .where(run.run_date >= since, run.run_date < until, m.arm.in_(("rotated", "holdout")))
            .order_by(run.run_date)
        )
        return {int(cid): (int(rid), day) for cid, rid, day in self.session.execute(stmt)}

    def members(self, run_id: int | None = None) -> list[t.RotationMember]:
        """Members of one run (or of every run)."""
        stmt = select(t.RotationMember).order_by(t.RotationMember.run_id, t.RotationMember.id)
        if run_id is not None:
            stmt = stmt.where(t.RotationMember.run_id == run_id)
        return list(self.session.scalars(stmt))

    def outcomes(self, *, window: int) -> dict[tuple[int, int], Outcome]:
        """(run id, client id) → won deals closed within (run date, run date + window]."""
        m, run, d = t.RotationMember, t.RotationRun, t.Deal
        stmt = (
            select(m.run_id, m.client_id, run.run_date, d.closed, d.amount)
            .join(run, run.id == m.run_id)
            .join(
                d,
                and_(
                    d.client_id == m.client_id,
                    d.outcome == "won",
                    d.closed.is_not(None),
                    d.closed > run.run_date,
                ),
            )
            .where(m.arm.in_(("rotated", "holdout")))
        )
        found: dict[tuple[int, int], Outcome] = {}
        for run_id, client_id, run_date, closed, amount in self.session.execute(stmt):
            if closed is None or (closed - run_date).days > window:
                continue
            key = (int(run_id), int(client_id))
            old = found.get(key, Outcome(0, 0.0, None))
            first = closed if old.first_won is None else min(old.first_won, closed)
            found[key] = Outcome(old.won_deals + 1, old.revenue + float(amount or 0.0), first)
        return found

    def manager_names(self) -> dict[int, str]:
        """Names of all managers by id."""
        return {
            int(i): str(n) for i, n in self.session.execute(select(t.Manager.id, t.Manager.name))
        }

    def client_names(self, ids: set[int]) -> dict[int, str]:
        """Names of the given clients."""
        if not ids:
            return {}
        stmt = select(t.Client.id, t.Client.name).where(t.Client.id.in_(ids))
        return {int(i): str(n) for i, n in self.session.execute(stmt)}

    # ------------------------------------------------------------------ writes

    def add_run(self, run: t.RotationRun) -> int:
        """Insert a run and return its id."""
        self.session.add(run)
        self.session.flush()
        return run.id

    def add_members(self, members: list[dict[str, Any]]) -> None:
        """Insert the members of a run (one multi-row statement)."""
        if members:
            self.session.execute(insert(t.RotationMember), members)

    def apply_moves(
        self,
        *,
        run_id: int,
        day: dt.date,
        reason: str,
        actor: str,
        halfway: Callable[[], None] | None = None,
    ) -> tuple[int, int]:
        """Move every `rotated` member of the run to its new manager, set-based (SPEC §5).

        The open account responsibility is closed with `until = day`, the new one opened
        with `since = day`, a history row written per client, and the client's open deals
        and open activities held by the previous manager follow it (one `open_work` history
        row per client says how many). Statements join the run's members, so ten thousand
        moves are a handful of statements, and the write lock is held for seconds.

        Returns how many open deals and open activities followed their clients.
        """
        m, r, d, a = t.RotationMember, t.Responsibility, t.Deal, t.Activity
        rotated = and_(m.run_id == run_id, m.arm == "rotated", m.to_manager_id.is_not(None))
        moved = select(m.client_id).where(rotated)
        deal_counts: dict[int, int] = dict(
            self.session.execute(
                select(d.client_id, func.count())
                .join(m, and_(m.client_id == d.client_id, m.from_manager_id == d.manager_id))
                .where(rotated, d.outcome == "open")
                .group_by(d.client_id)
            ).all()
        )
        activity_counts = {
            int(cid or 0): int(n)
            for cid, n in self.session.execute(
                select(a.client_id, func.count())
                .join(m, and_(m.client_id == a.client_id, m.from_manager_id == a.manager_id))
                .where(rotated, a.completed.is_(False))
                .group_by(a.client_id)
            )
        }
        self.session.execute(
            update(r)
            .where(r.role == ACCOUNT, r.until.is_(None), r.client_id.in_(moved))
            .values(until=day)
        )
        self.session.execute(
            insert(r).from_select(
                ["client_id", "role", "manager_id", "since", "reason"],
                select(
                    m.client_id,
                    literal(ACCOUNT, String),
                    m.to_manager_id,
                    literal(day, Date),
                    literal(reason, String),
                ).where(rotated),
            )
        )
        if halfway is not None:
            halfway()
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        self.session.execute(
            insert(t.ChangeHistory).from_select(
                ["entity", "entity_id", "field", "old_value", "new_value", "reason", "actor", "at"],
                select(
                    literal("client", String),
                    m.client_id,
                    literal(f"responsible:{ACCOUNT}", String),
                    cast(m.from_manager_id, String),
                    cast(m.to_manager_id, String),
                    literal(reason, String),
                    literal(actor, String),
                    literal(now, DateTime),
                ).where(rotated),
            )
        )
        new_owner = (
            select(m.to_manager_id).where(rotated, m.client_id == d.client_id).scalar_subquery()
        )
        self.session.execute(
            update(d)
            .where(
                d.outcome == "open",
                exists().where(
                    rotated, m.client_id == d.client_id, m.from_manager_id == d.manager_id
                ),
            )
            .values(manager_id=new_owner),
            execution_options={"synchronize_session": False},
        )
        new_holder = (
            select(m.to_manager_id).where(rotated, m.client_id == a.client_id).scalar_subquery()
        )
        self.session.execute(
            update(a)
            .where(
                a.completed.is_(False),
                exists().where(
                    rotated, m.client_id == a.client_id, m.from_manager_id == a.manager_id
                ),
            )
            .values(manager_id=new_holder),
            execution_options={"synchronize_session": False},
        )
        pairs = {
            int(cid): (old, new)
            for cid, old, new in self.session.execute(
                select(m.client_id, m.from_manager_id, m.to_manager_id).where(rotated)
            )
        }
        rows = [
            {
                "entity": "client",
                "entity_id": cid,
                "field": "open_work",
                "old_value": str(pairs[cid][0]),
                "new_value": f"{pairs[cid][1]}: deals {deal_counts.get(cid, 0)}, "
                f"activities {activity_counts.get(cid, 0)}",
                "reason": reason,
                "actor": actor,
                "at": now,
            }
            for cid in sorted(set(deal_counts) | set(activity_counts))
        ]
        if rows:
            self.session.execute(insert(t.ChangeHistory), rows)
        return sum(deal_counts.values()), sum(activity_counts.values())


def lock_holder(session: Session, name: str) -> str | None:
    """Who holds the job lock `name` now, if anyone."""
    return session.scalar(select(t.JobLock.holder).where(t.JobLock.name == name))
