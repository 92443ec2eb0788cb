"""Queries of the credit split and the bonus statement (issue 12).

Three set-based statements per period: the won deals with their client's segments, the
client-team rows that overlap the period, and the first purchases of new clients (the same
query the KPI "new clients" uses, so the hunter credited there is the one credited here).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from clientbase.core.kpi import Period
from clientbase.db import kpi_repository as kpi_repo
from clientbase.db.tables import AppMeta, Client, Deal, Responsibility
from clientbase.errors import BadInputError


@dataclass(frozen=True, slots=True)
class WonDeal:
    """A won deal of the period with the segment values of its client."""

    deal_id: int
    client_id: int
    client: str
    manager_id: int | None
    amount: float
    closed: dt.date
    segments: dict[str, str | None]


@dataclass(frozen=True, slots=True)
class TeamRow:
    """One client-team row (role held by a manager from `since` until `until`)."""

    client_id: int
    role: str
    manager_id: int
    since: dt.date
    until: dt.date | None


def won_deals(session: Session, period: Period, *, manager_id: int | None = None) -> list[WonDeal]:
    """Won deals closed in the period, by close date and id, with the client's segments."""
    d, c = Deal, Client
    q = (
        select(
            d.id,
            d.client_id,
            c.name,
            d.manager_id,
            d.amount,
            d.closed,
            c.tier,
            c.region,
            c.industry,
            # A deal's own product line, when it has one, is what was sold.
            func.coalesce(d.product_line, c.product_line),
            c.channel,
            c.ownership,
        )
        .join(c, c.id == d.client_id)
        .where(d.outcome == "won", d.closed >= period.start, d.closed <= period.end)
        .order_by(d.closed, d.id)
    )
    if manager_id is not None:
        q = q.where(d.manager_id == manager_id)
    out = []
    for i, ci, name, mi, amount, closed, tier, region, ind, pl, ch, own in session.execute(q):
        segments = {
            "tier": tier,
            "region": region,
            "industry": ind,
            "product_line": pl,
            "channel": ch,
            "ownership": own,
        }
        out.append(
            WonDeal(int(i), int(ci), name, mi, float(amount or 0), closed or period.start, segments)
        )
    return out


def team_rows(session: Session, period: Period) -> dict[int, list[TeamRow]]:
    """client → its team rows that overlap the period, for the clients who bought in it."""
    d, r = Deal, Responsibility
    buyers = (
        select(d.client_id)
        .where(d.outcome == "won", d.closed >= period.start, d.closed <= period.end)
        .distinct()
    )
    q = (
        select(r.client_id, r.role, r.manager_id, r.since, r.until)
        .where(
            r.client_id.in_(buyers),
            r.since <= period.end,
            or_(r.until.is_(None), r.until >= period.start),
        )
        .order_by(r.client_id, r.since, r.id)
    )
    out: dict[int, list[TeamRow]] = defaultdict(list)
    for cid, role, mid, since, until in session.execute(q):
        out[int(cid)].append(TeamRow(int(cid), role, int(mid), since, until))
    return dict(out)


def team_on(rows: list[TeamRow], day: dt.date) -> dict[str, int]:
    """role → manager holding it on `day` (a row ending that day has handed it over)."""
    team: dict[str, int] = {}
    for row in rows:  # ordered by since: a later start wins over an overlapping earlier one
        if row.since <= day and (row.until is None or row.until > day):
            team[row.role] = row.manager_id
    return team


def first_purchases(session: Session, period: Period) -> dict[int, int]:
    """deal → the manager credited with the new client (the hunter), for first purchases."""
    # The KPI's own definition of a new client and of who is credited with him; one
    # definition keeps the hunter's bonus and his KPI "new clients" equal.
    sub = kpi_repo._new_clients_query(period).subquery()
    q = select(sub.c.deal_id, sub.c.manager_id).where(
        sub.c.deal_id.is_not(None), sub.c.manager_id.is_not(None)
    )
    return {int(deal): int(mid) for deal, mid in session.execute(q)}


def month_kpis(
    session: Session, month: Period
) -> tuple[dict[int, float], dict[int, int], dict[int, float | None], dict[int, float]]:
    """Per manager for one month: plan, new clients, retention and KPI volume."""
    plans = kpi_repo.plans(session, month)
    new = kpi_repo.new_clients(session, month)
    facts = kpi_repo.deal_facts(session, month, month.previous())
    retention = {
        mid: (f.retained / f.prev_buyers if f.prev_buyers else None) for mid, f in facts.items()
    }
    volume = {mid: f.volume for mid, f in facts.items()}
    return plans, new, retention, volume


def company_won_volume(session: Session, period: Period) -> float:
    """Σ amount of every won deal closed in the period (with or without a manager)."""
    d = Deal
    q = select(func.coalesce(func.sum(d.amount), 0)).where(
        and_(d.outcome == "won", d.closed >= period.start, d.closed <= period.end)
    )
    return round(float(session.execute(q).scalar_one()), 2)


def read_meta(session: Session, key: str) -> Any | None:
    """The JSON value stored under `key` in app_meta (None when absent)."""
    row = session.get(AppMeta, key)
    if row is None:
        return None
    try:
        return json.loads(row.value)
    except json.JSONDecodeError as exc:
        raise BadInputError(f"app_meta «{key}»: не JSON ({exc}).") from exc


def write_meta(session: Session, key: str, value: Any) -> None:
    """Store a JSON value under `key` in app_meta (insert or replace)."""
    text = json.dumps(value, ensure_ascii=False)
    row = session.get(AppMeta, key)
    if row is None:
        session.add(AppMeta(key=key, value=text))
    else:
        row.value = text


def delete_meta(session: Session, key: str) -> bool:
    """Remove `key` from app_meta; True when it was there."""
    row = session.get(AppMeta, key)
    if row is None:
        return False
    session.delete(row)
    return True
