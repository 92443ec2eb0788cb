"""Queries of cross-sell routing: clients by reference, account owners, existing opportunities."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clientbase.core.types import Role
from clientbase.db import tables as t

CHUNK = 500
SOURCE = "cross_sell"
STAGE = "cross-sell"
_DEAL_REF = re.compile(r"сделка #(\d+) ")


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def get_meta(session: Session, key: str) -> Any:
    """A JSON value of app_meta, or None."""
    row = session.get(t.AppMeta, key)
    if row is None:
        return None
    try:
        return json.loads(row.value)
    except json.JSONDecodeError:
        return None


def set_meta(session: Session, key: str, value: Any) -> None:
    """Store a JSON value in app_meta."""
    text = json.dumps(value, ensure_ascii=False)
    row = session.get(t.AppMeta, key)
    if row is None:
        session.add(t.AppMeta(key=key, value=text))
    else:
        row.value = text


def clients_by_reference(session: Session, refs: list[str]) -> dict[str, list[t.Client]]:
    """Clients matching each reference: id, then external id, then exact name (all matches)."""
    found: dict[str, list[t.Client]] = {}
    c = t.Client
    ids = sorted({int(r) for r in refs if r.isdigit() and len(r) < 12})
    by_id: dict[int, t.Client] = {}
    for part in _chunks(ids):
        for client in session.scalars(select(c).where(c.id.in_(part))):
            by_id[client.id] = client
    rest = sorted({r for r in refs if not (r.isdigit() and len(r) < 12 and int(r) in by_id)})
    by_external: dict[str, list[t.Client]] = {}
    by_name: dict[str, list[t.Client]] = {}
    for part in _chunks(rest):
        for client in session.scalars(select(c).where(c.external_id.in_(part)).order_by(c.id)):
            by_external.setdefault(str(client.external_id), []).append(client)
        for client in session.scalars(select(c).where(c.name.in_(part)).order_by(c.id)):
            by_name.setdefault(client.name, []).append(client)
    for ref in refs:
        if ref.isdigit() and len(ref) < 12 and int(ref) in by_id:
            found[ref] = [by_id[int(ref)]]
        else:
            found[ref] = by_external.get(ref) or by_name.get(ref) or []
    return found


def account_owners(session: Session, client_ids: list[int]) -> dict[int, int]:
    """The active account manager of each client (clients without one are left out)."""
    r = t.Responsibility
    owners: dict[int, int] = {}
    for part in _chunks(sorted(set(client_ids))):
        rows = session.execute(
            select(r.client_id, r.manager_id).where(
                r.client_id.in_(part), r.role == Role.ACCOUNT.value, r.until.is_(None)
            )
        )
        owners.update({int(cid): int(mid) for cid, mid in rows})
    return owners


def managers(session: Session) -> list[t.Manager]:
    """Every manager, by id."""
    return list(session.scalars(select(t.Manager).order_by(t.Manager.id)))


def absent_ids(session: Session, today: dt.date) -> set[int]:
    """Managers with an absence covering `today`."""
    a = t.Absence
    return set(
        session.scalars(select(a.manager_id).where(a.start_date <= today, a.end_date >= today))
    )


def existing_opportunities(session: Session, external_ids: list[str]) -> dict[str, t.Deal]:
    """Cross-sell deals already created for these external ids."""
    d = t.Deal
    found: dict[str, t.Deal] = {}
    for part in _chunks(sorted(set(external_ids))):
        for deal in session.scalars(select(d).where(d.source == SOURCE, d.external_id.in_(part))):
            found[str(deal.external_id)] = deal
    return found


def open_cross_sell_counts(session: Session) -> dict[int, int]:
    """Open cross-sell deals per manager."""
    d = t.Deal
    rows = session.execute(
        select(d.manager_id, func.count())
        .where(d.source == SOURCE, d.outcome == "open", d.manager_id.is_not(None))
        .group_by(d.manager_id)
    )
    return {int(mid): int(n) for mid, n in rows if mid is not None}


@dataclass(frozen=True, slots=True)
class NewOpportunity:
    """A routed opportunity to write: the deal and the history row that says why."""

    client_id: int
    manager_id: int
    amount: float
    product_line: str | None
    external_id: str
    account_id: int | None
    account: str | None
    manager: str
    reason: str


def add_opportunities(
    session: Session, items: list[NewOpportunity], *, today: dt.date, actor: str
) -> list[int]:
    """Open cross-sell deals for the chosen managers and the clients' history rows; deal ids.

    One flush for all the deals (not one per deal): a run of 10 000 stays a few seconds.
    """
    deals = [
        t.Deal(
            client_id=item.client_id,
            manager_id=item.manager_id,
            amount=item.amount,
            created=today,
            outcome="open",
            stage=STAGE,
            product_line=item.product_line,
            source=SOURCE,
            external_id=item.external_id,
        )
        for item in items
    ]
    session.add_all(deals)
    session.flush()
    session.add_all(
        [
            t.ChangeHistory(
                entity="client",
                entity_id=item.client_id,
                field="cross_sell",
                old_value=f"{item.account} (#{item.account_id})"
                if item.account_id is not None
                else None,
                new_value=f"сделка #{deal.id} ({item.product_line or '—'}) → "
                f"{item.manager} (#{item.manager_id})",
                reason=item.reason[:200],
                actor=actor,
            )
            for item, deal in zip(items, deals, strict=True)
        ]
    )
    session.flush()
    return [deal.id for deal in deals]


def cross_sell_deals(
    session: Session, *, manager_id: int | None = None, open_only: bool = True, limit: int = 1000
) -> list[tuple[t.Deal, str, str | None]]:
    """Cross-sell deals, newest first, with the client's and the manager's names."""
    d, c, m = t.Deal, t.Client, t.Manager
    stmt = (
        select(d, c.name, m.name)
        .join(c, c.id == d.client_id)
        .outerjoin(m, m.id == d.manager_id)
        .where(d.source == SOURCE)
        .order_by(d.created.desc(), d.id.desc())
        .limit(limit)
    )
    if open_only:
        stmt = stmt.where(d.outcome == "open")
    if manager_id is not None:
        stmt = stmt.where(d.manager_id == manager_id)
    return [(deal, client, manager) for deal, client, manager in session.execute(stmt)]


def routing_reasons(session: Session, client_ids: list[int]) -> dict[int, str]:
    """The recorded reason of every cross-sell routing of these clients, by deal id."""
    h = t.ChangeHistory
    found: dict[int, str] = {}
    for part in _chunks(sorted(set(client_ids))):
        rows = session.execute(
            select(h.new_value, h.reason).where(
                h.entity == "client", h.field == "cross_sell", h.entity_id.in_(part)
            )
        )
        for new_value, reason in rows:
            # The new value is written by `add_opportunities`: «сделка #ID (товар) → …».
            match = _DEAL_REF.match(new_value or "")
            if match:
                found[int(match.group(1))] = reason
    return found
