"""All queries of the rotation of dormant clients (SPEC §6): reads for the policy and the
receiver choice, the writes of a run, and the outcomes the effect report is built from."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
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
        stmt = (
            select(c, r.manager_id, r.since)
            .join(r, and_(r.client_id == c.id, r.role == ACCOUNT, r.until.is_(None)))
            .where(c.status.not_in(excluded_statuses))
            .order_by(c.id)
        )
        if manager_id is not None:
            stmt = stmt.where(r.manager_id == manager_id)
        return [
            HeldClient(
                id=client.id,
                name=client.name,
                tier=client.tier,
                status=client.status,
                region=client.region,
                industry=client.industry,
                product_line=client.product_line,
                channel=client.channel,
                ownership=client.ownership,
                potential=float(client.potential),
                revenue_12m=float(client.revenue_12m),
                hours=None if client.hours is None else float(client.hours),
                locked=client.locked,
                owner_id=int(owner),
                owner_since=since,
            )
            for client, owner, since in self.session.execute(stmt)
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

    def add_members(self, members: list[t.RotationMember]) -> None:
        """Insert the members of a run."""
        self.session.add_all(members)

    def move_account(
        self,
        *,
        client_id: int,
        old: int,
        new: int,
        day: dt.date,
        reason: str,
        actor: str,
    ) -> tuple[int, int]:
        """Close the open account responsibility, open the new one, write the history, and
        hand the client's open deals and open activities to the new manager (SPEC §5).

        Returns how many open deals and open activities followed the client.
        """
        r = t.Responsibility
        self.session.execute(
            update(r)
            .where(r.client_id == client_id, r.role == ACCOUNT, r.until.is_(None))
            .values(until=day)
        )
        self.session.add(
            r(client_id=client_id, role=ACCOUNT, manager_id=new, since=day, reason=reason)
        )
        self.session.add(
            t.ChangeHistory(
                entity="client",
                entity_id=client_id,
                field=f"responsible:{ACCOUNT}",
                old_value=str(old),
                new_value=str(new),
                reason=reason,
                actor=actor,
            )
        )
        deals = self.session.execute(
            update(t.Deal)
            .where(t.Deal.client_id == client_id, t.Deal.outcome == "open")
            .where(t.Deal.manager_id == old)
            .values(manager_id=new)
        )
        activities = self.session.execute(
            update(t.Activity)
            .where(t.Activity.client_id == client_id, t.Activity.completed.is_(False))
            .where(t.Activity.manager_id == old)
            .values(manager_id=new)
        )
        n_deals = int(deals.rowcount)  # type: ignore[attr-defined]
        n_activities = int(activities.rowcount)  # type: ignore[attr-defined]
        if n_deals or n_activities:
            self.session.add(
                t.ChangeHistory(
                    entity="client",
                    entity_id=client_id,
                    field="open_work",
                    old_value=str(old),
                    new_value=f"{new}: deals {n_deals}, activities {n_activities}",
                    reason=reason,
                    actor=actor,
                )
            )
        return n_deals, n_activities


def lock_holder(session: Session, name: str) -> str | None:
    """Who holds the job lock `name` now, if anyone."""
    return session.scalar(select(t.JobLock.holder).where(t.JobLock.name == name))
