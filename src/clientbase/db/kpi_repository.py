"""Every KPI query (SPEC §7): set-based GROUP BY through SQLAlchemy, one statement per fact.

No function here loops over deals or activities in Python: each returns per-manager (or
per-group) counts and sums that `core.kpi` turns into ratios, or a bounded list of rows
behind one number (drill-down).

Credit rules: a deal counts for `deals.manager_id`, the manager responsible when it
closed (transfers cascade to open deals, so the field holds the closer); a new client
counts for the hunter of its `acquisition` responsibility (he keeps the first purchase
after the handoff), else for the manager of its first won deal.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    Engine,
    String,
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import UnaryExpression

from clientbase.core.kpi import Aggregates, Period
from clientbase.db.tables import (
    Activity,
    Client,
    ColleagueFeedback,
    Deal,
    Manager,
    PlanTarget,
    Responsibility,
    Survey,
)

GroupBy = Literal["manager", "team", "role_group", "company"]
# Client-team roles that make a client "held" by a manager, per his role group.
HELD_ROLES: dict[str, tuple[str, ...]] = {
    "farmer": ("account",),
    "head": ("account",),
    "hunter": ("acquisition", "sales"),
    "service": ("service",),
    "admin": ("admin",),
}
CONTACT_TYPES = ("call", "meeting")


@dataclass(frozen=True, slots=True)
class ManagerInfo:
    """Who a manager is, for the scorecard rows."""

    id: int
    name: str
    team: str | None
    role_group: str
    active: bool


# ---------------------------------------------------------------- dialect helpers


def _month_key(engine: Engine | Any, column: Any) -> ColumnElement[str]:
    """'YYYY-MM' of a date column."""
    if engine.dialect.name == "sqlite":
        return func.substr(column, 1, 7)
    return func.to_char(column, "YYYY-MM")


def _minutes_between(engine: Engine | Any, start: Any, end: Any) -> ColumnElement[Any]:
    """Minutes between two moments, counted in whole seconds so both databases agree
    (SQLite's julianday carries float noise below the millisecond)."""
    if engine.dialect.name == "sqlite":
        return func.round((func.julianday(end) - func.julianday(start)) * 86400.0) / 60.0
    return func.round(func.extract("epoch", end - start)) / 60.0


def _scan(session: Session, column: Any) -> Any:
    """The column, with SQLite told not to walk an index for it (`+column`).

    For a period's aggregate SQLite otherwise walks `(manager_id, closed)` in index order
    and fetches every row by id — 5–20 times slower than one sequential scan and a sort of
    the matching rows. PostgreSQL's planner chooses well on its own.
    """
    if _bind(session).dialect.name != "sqlite":
        return column
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def _manager_key(session: Session, column: Any) -> Any:
    """The manager id as a plain value, so SQLite groups with a sort, not the index."""
    if _bind(session).dialect.name != "sqlite":
        return column
    return (column + 0).label("manager_id")


def _in_range(session: Session, column: Any, start: Any, end: Any) -> ColumnElement[bool]:
    col = _scan(session, column)
    return and_(col >= start, col <= end)


def _won_in(d: Any, start: dt.date, end: dt.date) -> ColumnElement[bool]:
    return and_(d.outcome == "won", d.closed >= start, d.closed <= end)


def _bind(session: Session) -> Any:
    return session.get_bind()


# The most of the file SQLite maps into memory for a scorecard's reads (its own limit is 2 GiB).
MMAP_BYTES = 2**31 - 2**16


def prepare_read(session: Session) -> None:
    """Set up a connection for the scorecard's big reads.

    On a SQLite file the pages are read through a memory map (`PRAGMA mmap_size`) instead
    of being copied one by one into SQLite's small page cache — a third less CPU on a scan
    of the deals. The setting stays on the pooled connection, which is harmless: it only
    changes how pages are read. Other databases are left as they are.
    """
    bind = _bind(session)
    if bind.dialect.name != "sqlite" or bind.url.database in (None, "", ":memory:"):
        return
    session.connection().exec_driver_sql(f"PRAGMA mmap_size = {MMAP_BYTES}")


# ---------------------------------------------------------------- managers


def managers(session: Session) -> list[ManagerInfo]:
    """All managers (active or not), by id."""
    m = Manager
    rows = session.execute(
        select(m.id, m.name, m.team, m.role_group, m.active).order_by(m.id)
    ).all()
    return [ManagerInfo(int(i), n, t, g, bool(a)) for i, n, t, g, a in rows]


# ---------------------------------------------------------------- aggregates


def last_year_volume(session: Session, last_year: Period) -> dict[int, float]:
    """manager → won volume in the same period a year earlier."""
    d = Deal
    q = (
        _managers_deals(d.outcome == "won", d.closed >= last_year.start)
        .where(d.closed <= last_year.end)
        .add_columns(func.sum(d.amount))
        .group_by(Manager.id)
    )
    return {int(mid): round(float(v or 0), 2) for mid, v in session.execute(q)}


def _buyers(period: Period) -> Any:
    """Distinct (manager, client) pairs with a won deal closed in the period."""
    d = Deal
    return (
        select(d.manager_id.label("manager_id"), d.client_id.label("client_id"))
        .where(d.manager_id.is_not(None), _won_in(d, period.start, period.end))
        .group_by(d.manager_id, d.client_id)
    )


def _bought_before(client_id: Any, day: dt.date) -> ColumnElement[bool]:
    """The client had a purchase before `day` (the first-purchase date, or a won deal)."""
    d2, c2 = aliased(Deal), aliased(Client)
    earlier_deal = (
        select(d2.id)
        .where(d2.client_id == client_id, d2.closed < day, d2.outcome == "won")
        .exists()
    )
    earlier_first = (
        select(c2.id)
        .where(c2.id == client_id, c2.first_purchase.is_not(None), c2.first_purchase < day)
        .exists()
    )
    return or_(earlier_first, earlier_deal)


@dataclass(frozen=True, slots=True)
class DealFacts:
    """Deal figures of one manager over a period and the one before it (and the same
    period a year earlier when asked for)."""

    volume: float
    won: int
    lost: int
    volume_prev: float
    buyers: int
    repeat_buyers: int
    prev_buyers: int
    retained: int
    volume_last_year: float = 0.0


def _managers_deals(*on: ColumnElement[bool]) -> Any:
    """FROM managers JOIN deals ON the manager's deals matching `on`.

    Written from the managers' side so that SQLite walks, manager after manager, one range
    of the covering index `(manager_id, outcome, closed, client_id, amount)`: only the
    deals of the range are read, never a table row, and they arrive grouped by manager, so
    a GROUP BY manager needs no sort. PostgreSQL plans the join its own way.
    """
    m, d = Manager, Deal
    return select(m.id).select_from(m).join(d, and_(d.manager_id == m.id, *on))


def _first_bought_in(period: Period) -> Any:
    """Clients who had not bought before the period: no first-purchase date before it and
    no won deal before it (those who bought before are `_bought_before`)."""
    c, d = Client, aliased(Deal)
    earlier = (
        select(d.id)
        .where(d.client_id == c.id, d.closed < period.start, d.outcome == "won")
        .exists()
    )
    return select(c.id).where(
        or_(c.first_purchase.is_(None), c.first_purchase >= period.start), ~earlier
    )


def deal_facts(
    session: Session, period: Period, prev: Period, last_year: Period | None = None
) -> dict[int, DealFacts]:
    """Volume, won, lost, previous volume, buyers, repeat buyers, retention per manager
    (and last year's won volume when `last_year` is given).

    A handful of GROUP BY manager statements over index ranges, none sorting the deals:

    1. the period's won and lost deals by manager and outcome: volume, counts, and the
       distinct buyers (clients with a won deal);
    2. the won deals of the previous period and this one: previous volume, distinct
       previous buyers, and distinct buyers of either period — so retained = buyers +
       previous buyers − buyers of either (inclusion–exclusion);
    3. the buyers who had not bought before the period (a short list of clients):
       repeat buyers = buyers − these;
    4. last year's won volume; and the managers with only a lost deal in the previous
       period, who are listed like before (with zeros).

    A manager is listed when he has a won or lost deal in the period or the previous one.
    The previous period ends the day before the period starts (months, quarters, years).
    """
    if prev.end + dt.timedelta(days=1) != period.start:
        raise ValueError(f"{prev.label} does not end the day before {period.label}")
    m, d = Manager, Deal
    won = d.outcome == "won"
    facts: dict[int, list[Any]] = {}

    def of(mid: Any) -> list[Any]:
        return facts.setdefault(int(mid), [0.0, 0, 0, 0.0, 0, 0, 0, 0, 0.0])

    current = (
        _managers_deals(d.outcome.in_(("won", "lost")), d.closed >= period.start)
        .where(d.closed <= period.end)
        .add_columns(d.outcome, func.sum(d.amount), func.count(), func.count(distinct(d.client_id)))
        .group_by(m.id, d.outcome)
    )
    for mid, outcome, volume, n, buyers in session.execute(current):
        f = of(mid)
        if outcome == "won":
            f[0], f[1], f[4] = float(volume or 0), int(n), int(buyers)
        else:
            f[2] = int(n)
    in_prev = d.closed < period.start
    both = (
        _managers_deals(won, d.closed >= prev.start)
        .where(d.closed <= period.end)
        .add_columns(
            func.sum(case((in_prev, d.amount), else_=0)),
            func.count(distinct(case((in_prev, d.client_id)))),
            func.count(distinct(d.client_id)),
        )
        .group_by(m.id)
    )
    for mid, volume_prev, prev_buyers, either in session.execute(both):
        f = of(mid)
        f[3], f[6] = float(volume_prev or 0), int(prev_buyers)
        f[7] = f[4] + f[6] - int(either)
    # `+client_id` on SQLite: test each deal of the range against the short list, rather
    # than walk the list into the (client_id, closed) index and fetch every deal row.
    first_timers = (
        _managers_deals(won, d.closed >= period.start)
        .where(d.closed <= period.end, _scan(session, d.client_id).in_(_first_bought_in(period)))
        .add_columns(func.count(distinct(d.client_id)))
        .group_by(m.id)
    )
    for mid, n in session.execute(first_timers):
        of(mid)[5] = -int(n)
    only_lost = (
        _managers_deals(d.outcome == "lost", d.closed >= prev.start)
        .where(d.closed < period.start)
        .distinct()
    )
    for (mid,) in session.execute(only_lost):
        of(mid)  # listed (with zeros) like any manager with a closed deal in the two periods
    if last_year is not None:
        ly = (
            _managers_deals(won, d.closed >= last_year.start)
            .where(d.closed <= last_year.end)
            .add_columns(func.sum(d.amount))
            .group_by(m.id)
        )
        for mid, volume in session.execute(ly):
            of(mid)[8] = float(volume or 0)
    return {
        mid: DealFacts(
            round(f[0], 2),
            f[1],
            f[2],
            round(f[3], 2),
            f[4],
            f[4] + f[5],
            f[6],
            f[7],
            round(f[8], 2),
        )
        for mid, f in facts.items()
    }


def _new_clients_query(period: Period) -> Any:
    """(client_id, credited manager, first won deal in the period) of clients new in it.

    Walks the clients (not the deals): a client whose recorded first purchase is earlier
    is out at once; the others are probed on the `(client_id, closed)` index.
    """
    c, d, r, d3, d4 = Client, aliased(Deal), Responsibility, aliased(Deal), aliased(Deal)
    first_closed = (
        select(func.min(d.closed))
        .where(d.client_id == c.id, _won_in(d, period.start, period.end))
        .scalar_subquery()
    )
    firsts = (
        select(c.id.label("client_id"), first_closed.label("first_closed"))
        .where(or_(c.first_purchase.is_(None), c.first_purchase >= period.start))
        .subquery("firsts")
    )
    hunter = (
        select(r.manager_id)
        .where(r.client_id == firsts.c.client_id, r.role == "acquisition")
        .order_by(r.since.desc(), r.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    first_deal = (
        select(d3.id)
        .where(
            d3.client_id == firsts.c.client_id,
            d3.outcome == "won",
            d3.closed == firsts.c.first_closed,
        )
        .order_by(d3.id)
        .limit(1)
        .scalar_subquery()
    )
    closer = (
        select(d4.manager_id)
        .where(
            d4.client_id == firsts.c.client_id,
            d4.outcome == "won",
            d4.closed == firsts.c.first_closed,
        )
        .order_by(d4.id)
        .limit(1)
        .scalar_subquery()
    )
    return select(
        firsts.c.client_id,
        func.coalesce(hunter, closer).label("manager_id"),
        first_deal.label("deal_id"),
    ).where(firsts.c.first_closed.is_not(None), ~_bought_before(firsts.c.client_id, period.start))


def new_clients(session: Session, period: Period) -> dict[int, int]:
    """manager → clients whose first purchase fell in the period (hunter credit)."""
    sub = _new_clients_query(period).subquery()
    q = (
        select(sub.c.manager_id, func.count())
        .where(sub.c.manager_id.is_not(None))
        .group_by(sub.c.manager_id)
    )
    return {int(m): int(n) for m, n in session.execute(q)}


def activity_counts(session: Session, period: Period) -> dict[int, tuple[int, int, int]]:
    """manager → (completed calls and meetings, tasks due in the period, of them on time).

    One pass over the activities for both counts."""
    a = Activity
    start, end = period.datetime_bounds()
    key = _manager_key(session, a.manager_id)
    started = _scan(session, a.started)
    contact = and_(
        started >= start, started < end, a.type.in_(CONTACT_TYPES), a.completed.is_(True)
    )
    task = and_(a.type == "task", a.due >= start, a.due < end)
    on_time = and_(task, a.completed.is_(True), a.ended.is_not(None), a.ended <= a.due)
    q = (
        select(
            key,
            func.sum(case((contact, 1), else_=0)),
            func.sum(case((task, 1), else_=0)),
            func.sum(case((on_time, 1), else_=0)),
        )
        .where(a.manager_id.is_not(None), or_(contact, task))
        .group_by(key)
    )
    return {
        int(mid): (int(n or 0), int(due or 0), int(ok or 0))
        for mid, n, due, ok in session.execute(q)
    }


def _responses(session: Session, period: Period) -> Any:
    """Inbound requests of the period with the moment of the manager's first answer."""
    a, b = Activity, aliased(Activity)
    start, end = period.datetime_bounds()
    answer = (
        select(func.min(b.started))
        .where(
            b.client_id == a.client_id,
            # `+manager_id` on SQLite: probe the client's `(client_id, started)` range,
            # never the manager's (hundreds of rows), whatever the statistics say.
            _scan(session, b.manager_id) == a.manager_id,
            b.started >= a.started,
            b.id != a.id,
            or_(b.direction == "outbound", b.type == "meeting"),
        )
        .scalar_subquery()
    )
    started = _scan(session, a.started)
    return select(
        a.id.label("activity_id"),
        a.manager_id.label("manager_id"),
        a.client_id.label("client_id"),
        a.started.label("started"),
        answer.label("answered_at"),
    ).where(
        a.manager_id.is_not(None),
        a.client_id.is_not(None),
        a.type == "inbound",
        started >= start,
        started < end,
    )


def response_stats(
    session: Session, period: Period, levels: tuple[GroupBy, ...] = ("manager",)
) -> dict[GroupBy, dict[Any, tuple[int, int, float | None]]]:
    """level → group key → (inbound requests, answered, median minutes to the first answer).

    One statement: the requests are found once (a CTE), then for each level its groups are
    counted and their medians taken with one window partitioned by the level's own key.
    """
    bind = _bind(session)
    req = _responses(session, period).cte("req")
    m = Manager
    keyed = (
        select(
            req.c.manager_id,
            m.team,
            m.role_group,
            req.c.answered_at,
            _minutes_between(bind, req.c.started, req.c.answered_at).label("mins"),
        )
        .select_from(req.join(m, m.id == req.c.manager_id))
        .cte("keyed")
    )
    keys: dict[str, Any] = {
        "manager": keyed.c.manager_id,
        "team": keyed.c.team,
        "role_group": keyed.c.role_group,
        "company": None,  # one group: everybody
    }
    # The answered requests first, by minutes, so the median's ranks are 1…answered.
    order = (case((keyed.c.mins.is_(None), 1), else_=0), keyed.c.mins)
    parts = []
    for level in levels:
        key = keys[level]
        columns = [
            keyed.c.answered_at,
            keyed.c.mins,
            func.row_number().over(partition_by=key, order_by=order).label("rn"),
            func.count(keyed.c.mins).over(partition_by=key).label("k"),
        ]
        if key is not None:
            columns.append(func.cast(key, String).label("g"))
        rk = select(*columns).subquery(f"ranked_{level}").c
        middle = and_(rk.mins.is_not(None), or_(rk.rn == (rk.k + 1) // 2, rk.rn == (rk.k + 2) // 2))
        part = select(
            literal(level).label("level"),
            literal("company").label("g") if key is None else rk.g,
            func.count(),
            func.count(rk.answered_at),
            func.avg(case((middle, rk.mins))),
        )
        parts.append(part if key is None else part.group_by(rk.g))
    out: dict[GroupBy, dict[Any, tuple[int, int, float | None]]] = {lv: {} for lv in levels}
    for level, g, n, answered, med in session.execute(union_all(*parts)):
        if not n:
            continue  # no request at all (the company's line is there even then)
        key = int(g) if level == "manager" else g
        median = None if med is None else round(float(med), 1)
        out[level][key] = (int(n), int(answered), median)
    return out


def _held_roles() -> ColumnElement[bool]:
    r, m = Responsibility, Manager
    return or_(
        *[and_(m.role_group == group, r.role.in_(roles)) for group, roles in HELD_ROLES.items()]
    )


def _held_at(day: dt.date) -> ColumnElement[bool]:
    r = Responsibility
    return and_(r.since <= day, or_(r.until.is_(None), r.until > day), _held_roles())


def _contacted(client_id: Any, day: dt.date, days: int) -> ColumnElement[bool]:
    a = aliased(Activity)
    start = dt.datetime.combine(day - dt.timedelta(days=days), dt.time())
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    return exists(
        select(a.id).where(
            a.client_id == client_id, a.started >= start, a.started < end, a.completed.is_(True)
        )
    )


def _dormant(client_id: Any, first_purchase: Any, day: dt.date, days: int) -> ColumnElement[bool]:
    """The client's last purchase up to `day` (else its first-purchase date) is older than
    `days` days. The last won deal is one backward step on `(client_id, closed)`."""
    d = aliased(Deal)
    last_won = (
        select(d.closed)
        .where(d.client_id == client_id, d.closed <= day, d.outcome == "won")
        .order_by(d.closed.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(last_won, first_purchase) < day - dt.timedelta(days=days)


def book_health(
    session: Session, day: dt.date, *, contact_days: int = 30, dormant_days: int = 60
) -> dict[int, tuple[int, int, int]]:
    """manager → (clients held on `day`, contacted in the `contact_days` before, dormant).

    Two short lists found once: the clients contacted in the window (one pass over the
    window's activities) and the clients with a won deal in the `dormant_days` up to `day`
    (a range of the deals' covering index per manager, and the deals without one). A held
    client outside the second list is dormant when he had bought before — a first-purchase
    date before the window, else an earlier won deal (probed only for the few clients
    without such a date). That is the rule of docs/kpi.md (the last purchase up to `day`,
    else the first-purchase date, is older than `dormant_days`), set-based.
    """
    r, m, c, a, d, d2 = Responsibility, Manager, Client, Activity, Deal, aliased(Deal)
    start = dt.datetime.combine(day - dt.timedelta(days=contact_days), dt.time())
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    cutoff = day - dt.timedelta(days=dormant_days)
    started = _scan(session, a.started)
    contacted = select(a.client_id).where(
        started >= start, started < end, a.completed.is_(True), a.client_id.is_not(None)
    )
    won_lately = and_(d.outcome == "won", d.closed >= cutoff, d.closed <= day)
    # Each manager's range of the covering index, and the deals without a manager.
    bought_lately = union_all(
        select(d.client_id).where(d.manager_id.in_(select(m.id)), won_lately),
        select(d.client_id).where(d.manager_id.is_(None), won_lately),
    )
    bought_earlier = (
        select(d2.id)
        .where(d2.client_id == r.client_id, d2.closed < cutoff, d2.outcome == "won")
        .exists()
    )
    dormant = case(
        (r.client_id.in_(bought_lately), 0),
        (c.first_purchase < cutoff, 1),
        (bought_earlier, 1),
        else_=0,
    )
    # From the managers' side: their responsibilities come grouped by manager (no sort).
    q = (
        select(
            m.id,
            func.count(func.distinct(r.client_id)),
            func.sum(case((r.client_id.in_(contacted), 1), else_=0)),
            func.sum(dormant),
        )
        .select_from(m)
        .join(r, r.manager_id == m.id)
        .join(c, c.id == r.client_id)
        .where(_held_at(day))
        .group_by(m.id)
    )
    return {int(mid): (int(n), int(ct or 0), int(dm or 0)) for mid, n, ct, dm in session.execute(q)}


def survey_totals(
    session: Session, period: Period
) -> dict[int, tuple[float, int, int, int, int, float]]:
    """manager → (CSAT sum, CSAT answers, promoters, detractors, NPS answers, 0…1 sum)."""
    s = Survey
    csat = s.scale == "csat"
    is_nps = s.scale == "nps"
    q = (
        select(
            s.manager_id,
            func.coalesce(func.sum(case((csat, s.score), else_=0.0)), 0.0),
            func.sum(case((csat, 1), else_=0)),
            func.sum(case((and_(is_nps, s.score >= 9), 1), else_=0)),
            func.sum(case((and_(is_nps, s.score <= 6), 1), else_=0)),
            func.sum(case((is_nps, 1), else_=0)),
            func.sum(case((csat, (s.score - 1.0) / 4.0), else_=s.score / 10.0)),
        )
        .where(s.date >= period.start, s.date <= period.end)
        .group_by(s.manager_id)
    )
    return {
        int(row[0]): (
            float(row[1]),
            int(row[2]),
            int(row[3]),
            int(row[4]),
            int(row[5]),
            float(row[6]),
        )
        for row in session.execute(q)
    }


def feedback_totals(session: Session, period: Period) -> dict[int, tuple[float, int]]:
    """manager → (sum of colleagues' scores, number of scores) in the period."""
    f = ColleagueFeedback
    q = (
        select(f.to_manager_id, func.sum(f.score), func.count())
        .where(f.date >= period.start, f.date <= period.end)
        .group_by(f.to_manager_id)
    )
    return {int(mid): (float(total), int(n)) for mid, total, n in session.execute(q)}


def plans(session: Session, period: Period) -> dict[int, float]:
    """manager → plan for the period: its own target, else the sum of its months/quarters."""
    labels = (
        [period.label] + [p.label for p in period.months()] + [p.label for p in period.quarters()]
    )
    p = PlanTarget
    rows = session.execute(
        select(p.manager_id, p.period, p.amount).where(p.period.in_(set(labels)))
    ).all()
    by: dict[int, dict[str, float]] = defaultdict(dict)
    for mid, label, amount in rows:
        by[int(mid)][label] = float(amount)
    month_labels = [x.label for x in period.months()]
    quarter_labels = [x.label for x in period.quarters()]
    out: dict[int, float] = {}
    for mid, targets in by.items():
        if period.label in targets:
            out[mid] = targets[period.label]
        elif quarter_labels and all(q in targets for q in quarter_labels):
            out[mid] = sum(targets[q] for q in quarter_labels)
        elif any(x in targets for x in month_labels) and period.kind.value != "month":
            out[mid] = sum(targets.get(x, 0.0) for x in month_labels)
    return {k: round(v, 2) for k, v in out.items()}


Responses = dict[GroupBy, dict[Any, tuple[int, int, float | None]]]


def deal_aggregates(session: Session, period: Period) -> dict[int, Aggregates]:
    """The deal facts (volume, won, lost, previous and last year's volume, buyers, repeat
    buyers, retention) and new clients — the half of the work the scorecard reads on a
    second connection."""
    out: dict[int, Aggregates] = defaultdict(Aggregates)
    facts = deal_facts(session, period, period.previous(), period.same_last_year())
    for mid, f in facts.items():
        a = out[mid]
        a.volume, a.won, a.lost, a.volume_prev = f.volume, f.won, f.lost, f.volume_prev
        a.volume_last_year = f.volume_last_year
        a.buyers, a.repeat_buyers = f.buyers, f.repeat_buyers
        a.prev_buyers, a.retained = f.prev_buyers, f.retained
    for mid, n in new_clients(session, period).items():
        out[mid].new_clients = n
    return dict(out)


def other_aggregates(
    session: Session,
    period: Period,
    *,
    as_of: dt.date,
    contact_days: int = 30,
    dormant_days: int = 60,
) -> tuple[dict[int, Aggregates], Responses]:
    """Every other fact: activity counts, responses (all levels), the book on `as_of`,
    surveys, feedback and plans."""
    out: dict[int, Aggregates] = defaultdict(Aggregates)
    for mid, (contacts, due, on_time) in activity_counts(session, period).items():
        a = out[mid]
        a.contacts, a.tasks_due, a.tasks_on_time = contacts, due, on_time
    responses = response_stats(session, period, ("manager", "team", "role_group", "company"))
    for key, (n, answered, median) in responses["manager"].items():
        a = out[int(key)]
        a.inbound, a.answered, a.response_minutes = n, answered, median
    health = book_health(session, as_of, contact_days=contact_days, dormant_days=dormant_days)
    for mid, (held, contacted, dormant) in health.items():
        a = out[mid]
        a.held, a.contacted, a.dormant = held, contacted, dormant
    for mid, (cs, cn, pro, det, nn, norm) in survey_totals(session, period).items():
        a = out[mid]
        a.csat_sum, a.csat_count = cs, cn
        a.nps_promoters, a.nps_detractors, a.nps_count, a.satisfaction_sum = pro, det, nn, norm
    for mid, (fs, fn) in feedback_totals(session, period).items():
        out[mid].feedback_sum, out[mid].feedback_count = fs, fn
    for mid, amount in plans(session, period).items():
        out[mid].plan = amount
    return dict(out), responses


def merge(deals: dict[int, Aggregates], other: dict[int, Aggregates]) -> dict[int, Aggregates]:
    """Join the two halves (they fill different fields) into one Aggregates per manager."""
    out: dict[int, Aggregates] = {}
    for mid in deals.keys() | other.keys():
        a, b = deals.get(mid, Aggregates()), other.get(mid, Aggregates())
        merged = a + b
        merged.response_minutes = b.response_minutes
        out[mid] = merged
    return out


def aggregates(
    session: Session,
    period: Period,
    *,
    as_of: dt.date,
    contact_days: int = 30,
    dormant_days: int = 60,
) -> tuple[dict[int, Aggregates], Responses]:
    """Every additive fact of the period per manager (one GROUP BY per fact), and the
    response statistics of every level (manager, team, role group, company)."""
    other, responses = other_aggregates(
        session, period, as_of=as_of, contact_days=contact_days, dormant_days=dormant_days
    )
    return merge(deal_aggregates(session, period), other), responses


# ---------------------------------------------------------------- charts


def monthly_volume(
    session: Session, start: dt.date, end: dt.date, *, manager_id: int | None = None
) -> dict[tuple[int | None, str], float]:
    """(manager, 'YYYY-MM') → won volume, over the months from `start` to `end`."""
    d = Deal
    month = _month_key(_bind(session), d.closed).label("month")
    q = select(d.manager_id, month, func.sum(d.amount)).where(_won_in(d, start, end))
    if manager_id is not None:
        q = q.where(d.manager_id == manager_id)
    q = q.group_by(d.manager_id, month)
    return {(mid, str(mk)): round(float(v), 2) for mid, mk, v in session.execute(q)}


def company_monthly_volume(session: Session, end: dt.date) -> dict[str, float]:
    """'YYYY-MM' → won volume of the whole company for every month up to `end`."""
    d = Deal
    month = _month_key(_bind(session), d.closed).label("month")
    q = select(month, func.sum(d.amount)).where(d.outcome == "won", d.closed <= end).group_by(month)
    return {str(mk): round(float(v), 2) for mk, v in session.execute(q)}


def funnel(session: Session, period: Period, *, manager_id: int | None = None) -> dict[str, int]:
    """Counts of the stages: inbound requests, contacts, deals created, closed, won."""
    a, d = Activity, Deal
    start, end = period.datetime_bounds()
    act = select(
        func.sum(case((a.type == "inbound", 1), else_=0)),
        func.sum(case((and_(a.type.in_(CONTACT_TYPES), a.completed.is_(True)), 1), else_=0)),
    ).where(a.started >= start, a.started < end)
    created = select(func.count()).where(d.created >= period.start, d.created <= period.end)
    closed = select(
        func.sum(case((d.outcome.in_(("won", "lost")), 1), else_=0)),
        func.sum(case((d.outcome == "won", 1), else_=0)),
    ).where(d.closed >= period.start, d.closed <= period.end)
    if manager_id is not None:
        act = act.where(a.manager_id == manager_id)
        created = created.where(d.manager_id == manager_id)
        closed = closed.where(d.manager_id == manager_id)
    inbound, contacts = session.execute(act).one()
    n_closed, n_won = session.execute(closed).one()
    return {
        "inbound": int(inbound or 0),
        "contacts": int(contacts or 0),
        "created": int(session.scalar(created) or 0),
        "closed": int(n_closed or 0),
        "won": int(n_won or 0),
    }


# ---------------------------------------------------------------- drill-down


@dataclass(frozen=True, slots=True)
class DealLine:
    """A deal behind a number."""

    deal_id: int
    client_id: int
    client: str
    manager_id: int | None
    amount: float
    created: dt.date
    closed: dt.date | None
    outcome: str
    stage: str | None


@dataclass(frozen=True, slots=True)
class ActivityLine:
    """An activity behind a number."""

    activity_id: int
    client_id: int | None
    client: str | None
    manager_id: int | None
    type: str
    direction: str | None
    started: dt.datetime
    ended: dt.datetime | None
    due: dt.datetime | None
    completed: bool
    minutes: float | None = None  # response time of an inbound request


@dataclass(frozen=True, slots=True)
class ClientLine:
    """A held client behind coverage / dormant share / retention."""

    client_id: int
    client: str
    tier: str
    flag: bool  # contacted / dormant / retained, depending on the number
    last_contact: dt.datetime | None


def _deal_lines(session: Session, *where: Any, limit: int) -> list[DealLine]:
    d, c = Deal, Client
    q = (
        select(
            d.id,
            d.client_id,
            c.name,
            d.manager_id,
            d.amount,
            d.created,
            d.closed,
            d.outcome,
            d.stage,
        )
        .join(c, c.id == d.client_id)
        .where(*where)
        .order_by(d.closed, d.id)
        .limit(limit)
    )
    return [
        DealLine(int(i), int(ci), n, mi, round(float(am), 2), cr, cl, o, st)
        for i, ci, n, mi, am, cr, cl, o, st in session.execute(q)
    ]


def deals_closed(
    session: Session,
    period: Period,
    manager_id: int | None,
    outcomes: tuple[str, ...],
    *,
    limit: int = 10_000,
) -> list[DealLine]:
    """Deals with one of `outcomes` closed in the period (volume, won, lost, conversion)."""
    d = Deal
    where = [d.outcome.in_(outcomes), d.closed >= period.start, d.closed <= period.end]
    if manager_id is not None:
        where.append(d.manager_id == manager_id)
    return _deal_lines(session, *where, limit=limit)


def new_client_deals(
    session: Session, period: Period, manager_id: int | None, *, limit: int = 10_000
) -> list[DealLine]:
    """The first purchases of the period credited to the manager."""
    sub = _new_clients_query(period).subquery()
    ids = select(sub.c.deal_id)
    if manager_id is not None:
        ids = ids.where(sub.c.manager_id == manager_id)
    return _deal_lines(session, Deal.id.in_(ids), limit=limit)


def buyer_clients(
    session: Session,
    period: Period,
    manager_id: int,
    *,
    retained_in: Period | None = None,
    limit: int = 10_000,
) -> list[ClientLine]:
    """Clients who bought from the manager in the period; `flag` = repeat buyer, or — with
    `retained_in` — bought again from him in that later period (retention)."""
    c = Client
    pairs = _buyers(period).where(Deal.manager_id == manager_id).subquery()
    if retained_in is None:
        flag: Any = _bought_before(c.id, period.start)
    else:
        later = _buyers(retained_in).where(Deal.manager_id == manager_id).subquery()
        flag = exists(select(later.c.client_id).where(later.c.client_id == c.id))
    q = (
        select(c.id, c.name, c.tier, flag)
        .join(pairs, pairs.c.client_id == c.id)
        .order_by(c.name, c.id)
        .limit(limit)
    )
    return [ClientLine(int(i), n, t, bool(f), None) for i, n, t, f in session.execute(q)]


def held_clients(
    session: Session,
    day: dt.date,
    manager_id: int,
    *,
    kind: str,
    contact_days: int = 30,
    dormant_days: int = 60,
    limit: int = 10_000,
) -> list[ClientLine]:
    """Clients the manager held on `day`; `flag` = contacted (kind 'coverage') or dormant."""
    r, m, c, a = Responsibility, Manager, Client, aliased(Activity)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    last = (
        select(func.max(a.started))
        .where(a.client_id == c.id, a.started < end, a.completed.is_(True))
        .scalar_subquery()
    )
    flag = (
        _contacted(c.id, day, contact_days)
        if kind == "coverage"
        else _dormant(c.id, c.first_purchase, day, dormant_days)
    )
    q = (
        select(c.id, c.name, c.tier, flag, last)
        .select_from(r)
        .join(m, m.id == r.manager_id)
        .join(c, c.id == r.client_id)
        .where(r.manager_id == manager_id, _held_at(day))
        .distinct()
        .order_by(c.name, c.id)
        .limit(limit)
    )
    return [ClientLine(int(i), n, t, bool(f), lc) for i, n, t, f, lc in session.execute(q)]


def activities(
    session: Session,
    period: Period,
    manager_id: int | None,
    *,
    kind: str,
    limit: int = 10_000,
) -> list[ActivityLine]:
    """Activities behind a number: 'contacts', 'tasks' (due in the period) or 'inbound'."""
    a, c = Activity, Client
    start, end = period.datetime_bounds()
    if kind == "inbound":
        req = _responses(session, period).subquery()
        bind = _bind(session)
        mins = _minutes_between(bind, req.c.started, req.c.answered_at)
        q: Any = (
            select(
                a.id,
                a.client_id,
                c.name,
                a.manager_id,
                a.type,
                a.direction,
                a.started,
                a.ended,
                a.due,
                a.completed,
                mins,
            )
            .join(req, req.c.activity_id == a.id)
            .outerjoin(c, c.id == a.client_id)
        )
    else:
        q = select(
            a.id,
            a.client_id,
            c.name,
            a.manager_id,
            a.type,
            a.direction,
            a.started,
            a.ended,
            a.due,
            a.completed,
            literal(None),
        ).outerjoin(c, c.id == a.client_id)
        if kind == "tasks":
            q = q.where(a.type == "task", a.due >= start, a.due < end)
        else:
            q = q.where(
                a.type.in_(CONTACT_TYPES),
                a.completed.is_(True),
                a.started >= start,
                a.started < end,
            )
    if manager_id is not None:
        q = q.where(a.manager_id == manager_id)
    q = q.order_by(a.started, a.id).limit(limit)
    return [
        ActivityLine(
            int(i),
            ci,
            cn,
            mi,
            ty,
            di,
            st,
            en,
            du,
            bool(co),
            None if mn is None else round(float(mn), 1),
        )
        for i, ci, cn, mi, ty, di, st, en, du, co, mn in session.execute(q)
    ]


@dataclass(frozen=True, slots=True)
class ScoreLineRow:
    """A survey answer or a colleague's score behind satisfaction / feedback."""

    id: int
    date: dt.date
    kind: str
    scale: str
    score: float
    client_id: int | None
    from_manager_id: int | None
    comment: str | None


def survey_rows(
    session: Session, period: Period, manager_id: int, *, limit: int = 10_000
) -> list[ScoreLineRow]:
    """Survey answers about the manager in the period."""
    s = Survey
    q = (
        select(s.id, s.date, s.kind, s.scale, s.score, s.client_id, s.comment)
        .where(s.manager_id == manager_id, s.date >= period.start, s.date <= period.end)
        .order_by(s.date, s.id)
        .limit(limit)
    )
    return [
        ScoreLineRow(int(i), d, k, sc, float(v), ci, None, cm)
        for i, d, k, sc, v, ci, cm in session.execute(q)
    ]


def feedback_rows(
    session: Session, period: Period, manager_id: int, *, limit: int = 10_000
) -> list[ScoreLineRow]:
    """Colleagues' scores of the manager in the period."""
    f = ColleagueFeedback
    q = (
        select(f.id, f.date, f.score, f.from_manager_id, f.comment)
        .where(f.to_manager_id == manager_id, f.date >= period.start, f.date <= period.end)
        .order_by(f.date, f.id)
        .limit(limit)
    )
    return [
        ScoreLineRow(int(i), d, "colleague", "1-5", float(v), None, int(fm), cm)
        for i, d, v, fm, cm in session.execute(q)
    ]


# ---------------------------------------------------------------- plans (edit)


def upsert_plan(session: Session, manager_id: int, period: str, amount: float) -> bool:
    """Set a manager's plan for a period; True when a new target was created."""
    p = PlanTarget
    row = session.scalars(select(p).where(p.manager_id == manager_id, p.period == period)).first()
    if row is None:
        session.add(
            PlanTarget(
                manager_id=manager_id,
                period=period,
                amount=amount,
                source="manual",
                external_id=f"{manager_id}:{period}",
            )
        )
        return True
    row.amount = amount
    return False
