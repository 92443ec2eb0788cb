"""Queries of the daily board: today's sales, overdue tasks, unanswered requests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from clientbase.db.tables import Activity, Deal


def won_on(session: Session, day: dt.date) -> dict[int, tuple[int, float]]:
    """manager → (won deals, won amount) closed on the day."""
    stmt = (
        select(Deal.manager_id, func.count(), func.coalesce(func.sum(Deal.amount), 0))
        .where(Deal.outcome == "won", Deal.closed == day, Deal.manager_id.is_not(None))
        .group_by(Deal.manager_id)
    )
    return {int(m or 0): (int(n), float(s)) for m, n, s in session.execute(stmt)}


def overdue_tasks(session: Session, now: dt.datetime) -> dict[int, int]:
    """manager → open tasks whose due time has passed."""
    stmt = (
        select(Activity.manager_id, func.count())
        .where(
            Activity.type == "task",
            Activity.completed.is_(False),
            Activity.due.is_not(None),
            Activity.due < now,
            Activity.manager_id.is_not(None),
        )
        .group_by(Activity.manager_id)
    )
    return {int(m or 0): int(n) for m, n in session.execute(stmt)}


def unanswered_requests(session: Session, since: dt.datetime, now: dt.datetime) -> dict[int, int]:
    """manager → inbound requests since `since` with no outbound answer or meeting after them."""
    a, b = Activity, aliased(Activity)
    answered = exists().where(
        b.client_id == a.client_id,
        b.started >= a.started,
        b.id != a.id,
        or_(b.direction == "outbound", b.type == "meeting"),
    )
    stmt = (
        select(a.manager_id, func.count())
        .where(
            a.type == "inbound",
            a.manager_id.is_not(None),
            and_(a.started >= since, a.started <= now),
            ~answered,
        )
        .group_by(a.manager_id)
    )
    return {int(m or 0): int(n) for m, n in session.execute(stmt)}
