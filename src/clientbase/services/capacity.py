"""Capacity, load, learned workload, working-day photo, buried clients, headcount (SPEC §3).

Every figure comes from a few GROUP BY queries (set-based SQL through SQLAlchemy); Python only
combines the small per-manager aggregates. All functions return plain dataclasses that a web
page can render directly (`dataclasses.asdict`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from clientbase.core.capacity import (
    DEFAULT_TABLES,
    CapacityTables,
    Drivers,
    client_capacity,
    selling_hours,
    service_hours,
    tables_from_dict,
    tables_to_dict,
)
from clientbase.core.season import month_bounds, seasonal_capacity, seasonal_hours
from clientbase.core.types import Role, RoleGroup, Tier
from clientbase.db import tables as t
from clientbase.errors import BadInputError, NotFoundError
from clientbase.io import readers
from clientbase.services.season import period_adjustments

META_KEY = "capacity_tables"
UNDER, OVER = 0.70, 1.00
STATUS_RU = {"under": "недогружен", "ok": "норма", "over": "перегружен"}
# Which client-team roles count toward a manager's load, by his role group.
GROUP_ROLES: dict[RoleGroup, tuple[Role, ...]] = {
    RoleGroup.FARMER: (Role.ACCOUNT,),
    RoleGroup.HUNTER: (Role.ACQUISITION, Role.SALES),
    RoleGroup.SERVICE: (Role.SERVICE,),
    RoleGroup.ADMIN: (Role.ADMIN,),
    RoleGroup.HEAD: (Role.ACCOUNT,),
}
# Proactive work that grows existing clients; everything else is operations.
GROWTH_TYPES = ("call", "meeting")


# ---------------------------------------------------------------- tables


def load_tables(engine: Engine, path: Path | None = None) -> CapacityTables:
    """Tables from a TOML/JSON file if given, else app_meta `capacity_tables`, else defaults."""
    if path is not None:
        return read_tables_file(path)
    with Session(engine) as session:
        return stored_tables(session)


def stored_tables(session: Session) -> CapacityTables:
    """The tables stored in app_meta `capacity_tables`, else the defaults.

    The distribution engine reads them through this function too, so a plan and the
    capacity report always agree on every manager's capacity.
    """
    raw = session.get(t.AppMeta, META_KEY)
    if raw is None:
        return DEFAULT_TABLES
    try:
        data = json.loads(raw.value)
    except json.JSONDecodeError as exc:
        raise BadInputError(f"app_meta «{META_KEY}»: не JSON ({exc}).") from exc
    return tables_from_dict(data)


def read_tables_file(path: Path) -> CapacityTables:
    """Read a settings file (.toml or .json) with the tables to change."""
    data = readers.read_settings(path, what="Файл таблиц нагрузки")
    return tables_from_dict(data)


def save_tables(engine: Engine, tables: CapacityTables) -> None:
    """Store the tables in app_meta `capacity_tables` (one transaction)."""
    value = json.dumps(tables_to_dict(tables), ensure_ascii=False)
    with Session(engine) as session, session.begin():
        row = session.get(t.AppMeta, META_KEY)
        if row is None:
            session.add(t.AppMeta(key=META_KEY, value=value))
        else:
            row.value = value


# ---------------------------------------------------------------- helpers


def _minutes(engine: Engine, tables: CapacityTables) -> ColumnElement[Any]:
    """Duration of an activity in minutes; the type's default when there is no end."""
    a = t.Activity
    if engine.dialect.name == "sqlite":
        span: ColumnElement[Any] = (func.julianday(a.ended) - func.julianday(a.started)) * 1440.0
    else:
        span = func.extract("epoch", a.ended - a.started) / 60.0
    default = case(
        *[(a.type == k, literal(v)) for k, v in tables.activity_minutes.items()],
        else_=literal(10.0),
    )
    return case((and_(a.ended.is_not(None), a.ended > a.started), span), else_=default)


def _manager_roles() -> ColumnElement[bool]:
    """responsibility.role belongs to the manager's role group (joined on managers)."""
    r, m = t.Responsibility, t.Manager
    return or_(
        *[
            and_(m.role_group == g.value, r.role.in_([x.value for x in roles]))
            for g, roles in GROUP_ROLES.items()
        ]
    )


def _active_load(
    *extra: Any,
) -> Any:
    r, m, c = t.Responsibility, t.Manager, t.Client
    # Hunters count only active prospects (SPEC §3).
    counted = or_(m.role_group != RoleGroup.HUNTER.value, c.status == "prospect")
    return (
        select(*extra)
        .select_from(r)
        .join(m, m.id == r.manager_id)
        .join(c, c.id == r.client_id)
        .where(r.until.is_(None), _manager_roles(), counted)
    )


# ---------------------------------------------------------------- per manager


@dataclass(slots=True)
class ManagerLoad:
    """One manager's capacity, load, utilization and coverage (a row of `capacity`)."""

    manager_id: int
    name: str
    role_group: str
    team: str | None
    capacity: int
    overridden: bool
    drivers: str
    factors: dict[str, float]
    hours_capacity: float
    clients: int
    weighted_clients: int
    by_tier: dict[str, int]
    hours: float
    utilization: float  # % of the tighter of the two units
    utilization_clients: float
    utilization_hours: float
    status: str  # under | ok | over
    buried: int = 0
    coverage: float = 100.0  # % of clients contacted in the last N days
    # Seasonal capacity (`period`): month factor, share of working days present, in words.
    season_factor: float = 1.0
    presence: float = 1.0
    season: str = ""

    @property
    def status_ru(self) -> str:
        return STATUS_RU[self.status]


def _status(util: float) -> str:
    if util > OVER * 100:
        return "over"
    if util < UNDER * 100:
        return "under"
    return "ok"


def manager_loads(
    engine: Engine,
    *,
    tables: CapacityTables | None = None,
    today: dt.date | None = None,
    days: int = 30,
    manager_id: int | None = None,
    workload: list[Workload] | None = None,
    period: tuple[dt.date, dt.date] | None = None,
    seasonal: bool = True,
) -> list[ManagerLoad]:
    """Capacity, load (clients, weighted, hours), utilization, status and coverage per manager.

    Only active managers are listed; `manager_id` picks one (NotFoundError if there is none).
    Hours per client come from the client's own figure, else `workload` (e.g. the result of
    `learned_workload`), else the default table. Capacity and selling hours are those of
    `period` (first and last day; default: the calendar month of `today`): the season
    table's month factor and each manager's presence (absences) scale them — exactly as the
    distribution engine does for a plan dated in that month. `seasonal=False` gives the
    model capacity alone (headcount planning is structural: a vacation hires nobody).
    """
    tables = tables if tables is not None else load_tables(engine)
    per_segment = {(w.tier, w.complexity): w.hours for w in workload or []}
    today = today or dt.date.today()
    r, m, c = t.Responsibility, t.Manager, t.Client
    with Session(engine) as session:
        q = select(m).where(m.active.is_(True)).order_by(m.id)
        if manager_id is not None:
            q = select(m).where(m.id == manager_id)
        managers = list(session.scalars(q))
        if manager_id is not None and not managers:
            raise NotFoundError(f"Менеджер #{manager_id} не найден.")
        load_rows = session.execute(
            _active_load(
                r.manager_id,
                c.tier,
                func.count(),
                func.count(c.hours),
                func.coalesce(func.sum(c.hours), 0.0),
            ).group_by(r.manager_id, c.tier)
        ).all()
        buried = dict(_buried_counts(session, engine, today, days))
        season = period_adjustments(session, *(period or month_bounds(today))) if seasonal else None
    loads: dict[int, list[tuple[str, int, int, float]]] = defaultdict(list)
    for mid, tier, n, n_explicit, explicit in load_rows:
        loads[mid].append((tier, n, n_explicit, float(explicit)))
    result = []
    for mgr in managers:
        group = RoleGroup(mgr.role_group)
        cap = client_capacity(
            group,
            Drivers(mgr.complexity, mgr.readiness, mgr.support, mgr.tools, mgr.grade),
            override=mgr.capacity_override,
            tables=tables,
        )
        capacity, offer = cap.clients, selling_hours(mgr.hours, tables)
        factor, presence, season_text = 1.0, 1.0, ""
        if season is not None:
            adj = season.of(mgr.id)
            capacity = seasonal_capacity(cap.clients, adj)
            offer = seasonal_hours(offer, adj)
            factor, presence, season_text = adj.factor, round(adj.presence, 4), adj.explain()
        by_tier: dict[str, int] = {}
        hours = 0.0
        for tier, n, n_explicit, explicit in loads.get(mgr.id, []):
            by_tier[tier] = by_tier.get(tier, 0) + n
            cx = min(5, max(1, mgr.complexity or 3))
            each = per_segment.get((tier, cx)) or service_hours(tier, cx, tables)
            hours += explicit + (n - n_explicit) * each
        clients = sum(by_tier.values())
        weighted = sum(tables.tier_weight[Tier(k)] * v for k, v in by_tier.items())
        u_clients = 100.0 * weighted / capacity if capacity else (0.0 if not weighted else 999.0)
        u_hours = 100.0 * hours / offer if offer else (0.0 if not hours else 999.0)
        util = max(u_clients, u_hours)
        n_buried = buried.get(mgr.id, 0)
        result.append(
            ManagerLoad(
                manager_id=mgr.id,
                name=mgr.name,
                role_group=group.value,
                team=mgr.team,
                capacity=capacity,
                overridden=cap.overridden,
                drivers=cap.explain() + (f"; {season_text} → {capacity}" if season_text else ""),
                factors=dict(cap.factors),
                hours_capacity=offer,
                clients=clients,
                weighted_clients=weighted,
                by_tier=by_tier,
                hours=round(hours, 1),
                utilization=round(util, 1),
                utilization_clients=round(u_clients, 1),
                utilization_hours=round(u_hours, 1),
                status=_status(util),
                buried=n_buried,
                coverage=round(100.0 * (clients - n_buried) / clients, 1) if clients else 100.0,
                season_factor=factor,
                presence=presence,
                season=season_text,
            )
        )
    return result


# ---------------------------------------------------------------- buried clients


def _window(today: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(today - dt.timedelta(days=days), dt.time())
    return start, dt.datetime.combine(today + dt.timedelta(days=1), dt.time())


def _contacted(today: dt.date, days: int) -> ColumnElement[bool]:
    """The held client had a completed activity in the last `days` days (an index probe)."""
    a, r = t.Activity, t.Responsibility
    start, end = _window(today, days)
    return (
        select(a.id)
        .where(
            a.client_id == r.client_id,
            a.started >= start,
            a.started < end,
            a.completed.is_(True),
        )
        .exists()
    )


def _last_contact(today: dt.date) -> Any:
    """Correlated: the held client's last completed activity up to today."""
    a, r = t.Activity, t.Responsibility
    _, end = _window(today, 0)
    return (
        select(func.max(a.started))
        .where(a.client_id == r.client_id, a.started < end, a.completed.is_(True))
        .scalar_subquery()
    )


def _buried_counts(
    session: Session, engine: Engine, today: dt.date, days: int
) -> list[tuple[int, int]]:
    r = t.Responsibility
    q = (
        _active_load(r.manager_id, func.count())
        .where(~_contacted(today, days))
        .group_by(r.manager_id)
    )
    return [(int(mid), int(n)) for mid, n in session.execute(q).all()]


@dataclass(slots=True)
class BuriedClient:
    """A client held by a manager with no contact for the period."""

    client_id: int
    name: str
    tier: str
    manager_id: int
    manager: str
    last_contact: dt.date | None
    days_silent: int | None


@dataclass(slots=True)
class BuriedReport:
    """Buried clients, coverage per manager and the load-vs-coverage chart data."""

    days: int
    today: dt.date
    managers: list[ManagerLoad]
    clients: list[BuriedClient]
    # (utilization %, coverage %) per manager: the points of a scatter chart.
    chart: list[dict[str, Any]] = field(default_factory=list)
    correlation: float | None = None  # Pearson r between load and coverage


def buried_clients(
    engine: Engine,
    *,
    days: int = 30,
    today: dt.date | None = None,
    tables: CapacityTables | None = None,
    limit: int = 1000,
) -> BuriedReport:
    """Clients not contacted for `days` days, per-manager coverage, load vs coverage."""
    tables = tables if tables is not None else load_tables(engine)
    if days < 1:
        raise BadInputError("--days: нужно не меньше 1 дня.")
    today = today or dt.date.today()
    loads = manager_loads(engine, tables=tables, today=today, days=days)
    m, c = t.Manager, t.Client
    last = _last_contact(today).label("last")
    q = (
        _active_load(c.id, c.name, c.tier, m.id, m.name, last)
        .where(m.active.is_(True), ~_contacted(today, days))
        .order_by(last.is_(None).desc(), last, c.id)
        .limit(limit)
    )
    clients = []
    with Session(engine) as session:
        for cid, cname, tier, mid, mname, last_at in session.execute(q).all():
            day = _as_date(last_at)
            clients.append(
                BuriedClient(
                    client_id=cid,
                    name=cname,
                    tier=tier,
                    manager_id=mid,
                    manager=mname,
                    last_contact=day,
                    days_silent=(today - day).days if day else None,
                )
            )
    holding = [x for x in loads if x.clients]
    chart = [
        {
            "manager_id": x.manager_id,
            "name": x.name,
            "clients": x.clients,
            "utilization": x.utilization,
            "coverage": x.coverage,
        }
        for x in holding
    ]
    corr = None
    if len(holding) >= 3:
        u = np.array([x.utilization for x in holding])
        cov = np.array([x.coverage for x in holding])
        if u.std() > 0 and cov.std() > 0:
            corr = round(float(np.corrcoef(u, cov)[0, 1]), 3)
    return BuriedReport(days, today, loads, clients, chart, corr)


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


# ---------------------------------------------------------------- learned workload


@dataclass(slots=True)
class Workload:
    """Service hours per client per month for one segment (tier × complexity)."""

    tier: str
    complexity: int
    default_hours: float
    learned_hours: float | None  # median of logged time per client-month
    observations: int  # client-months behind the median
    hours: float  # what is used: learned when there are enough observations


def learned_workload(
    engine: Engine,
    *,
    tables: CapacityTables | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    min_observations: int = 10,
) -> list[Workload]:
    """Median logged hours per client per month by tier × complexity, with the defaults.

    A client-month is the sum of the minutes of completed activities of one client in one
    calendar month; the complexity is the product complexity of the client's account
    manager at the time of the query (neutral 3 when unknown). Segments with fewer than
    `min_observations` client-months fall back to the default table.
    """
    tables = tables if tables is not None else load_tables(engine)
    a, c, r, m = t.Activity, t.Client, t.Responsibility, t.Manager
    month = (
        func.strftime("%Y-%m", a.started)
        if engine.dialect.name == "sqlite"
        else func.to_char(a.started, "YYYY-MM")
    )
    owner = (
        select(r.client_id.label("client_id"), func.max(m.complexity).label("cx"))
        .join(m, m.id == r.manager_id)
        .where(r.until.is_(None), r.role == Role.ACCOUNT.value)
        .group_by(r.client_id)
        .subquery()
    )
    per_month = (
        select(
            a.client_id.label("client_id"),
            month.label("month"),
            func.sum(_minutes(engine, tables)).label("minutes"),
        )
        .where(a.completed.is_(True), a.client_id.is_not(None))
        .group_by(a.client_id, month)
    )
    if since is not None:
        per_month = per_month.where(a.started >= dt.datetime.combine(since, dt.time()))
    if until is not None:
        per_month = per_month.where(a.started < dt.datetime.combine(until, dt.time()))
    pm = per_month.subquery()
    q = (
        select(c.tier, func.coalesce(owner.c.cx, 3), pm.c.minutes)
        .select_from(pm)
        .join(c, c.id == pm.c.client_id)
        .outerjoin(owner, owner.c.client_id == pm.c.client_id)
    )
    samples: dict[tuple[str, int], list[float]] = defaultdict(list)
    with Session(engine) as session:
        for tier, cx, minutes in session.execute(q):
            level = min(5, max(1, int(cx)))
            samples[(tier, level)].append(float(minutes))
    result = []
    for tier in Tier:
        for level in range(1, 6):
            values = samples.get((tier.value, level), [])
            default = service_hours(tier, level, tables)
            learned = round(float(np.median(values)) / 60.0, 2) if values else None
            use = learned if learned is not None and len(values) >= min_observations else default
            result.append(Workload(tier.value, level, default, learned, len(values), use))
    return result


# ---------------------------------------------------------------- working-day photo


@dataclass(slots=True)
class Photo:
    """A manager's time over a period by activity type and client tier."""

    manager_id: int
    name: str
    role_group: str
    hours: float
    by_type: dict[str, float]  # hours
    by_tier: dict[str, float]  # hours
    growth_share: float  # % of time on proactive calls/meetings with existing clients


def working_day_photo(
    engine: Engine,
    *,
    since: dt.date,
    until: dt.date,
    tables: CapacityTables | None = None,
) -> list[Photo]:
    """Each active manager's logged time split by activity type and client tier."""
    tables = tables if tables is not None else load_tables(engine)
    if until <= since:
        raise BadInputError("Период фотографии дня: конец должен быть позже начала.")
    a, c, m = t.Activity, t.Client, t.Manager
    minutes = _minutes(engine, tables)
    q = (
        select(
            a.manager_id,
            a.type,
            func.coalesce(c.tier, "—"),
            func.coalesce(a.direction, ""),
            c.status,
            func.sum(minutes),
        )
        .select_from(a)
        .outerjoin(c, c.id == a.client_id)
        .where(
            a.completed.is_(True),
            a.manager_id.is_not(None),
            a.started >= dt.datetime.combine(since, dt.time()),
            a.started < dt.datetime.combine(until, dt.time()),
        )
        .group_by(a.manager_id, a.type, c.tier, a.direction, c.status)
    )
    with Session(engine) as session:
        rows = session.execute(q).all()
        managers = list(session.scalars(select(m).where(m.active.is_(True)).order_by(m.id)))
    per: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"type": defaultdict(float), "tier": defaultdict(float), "growth": 0.0}
    )
    for mid, typ, tier, direction, status, mins in rows:
        hours = float(mins) / 60.0
        d = per[mid]
        d["type"][typ] += hours
        d["tier"][tier] += hours
        if typ in GROWTH_TYPES and direction != "in" and status == "active":
            d["growth"] += hours
    photos = []
    for mgr in managers:
        got = per.get(mgr.id)
        total = sum(got["type"].values()) if got else 0.0
        photos.append(
            Photo(
                manager_id=mgr.id,
                name=mgr.name,
                role_group=mgr.role_group,
                hours=round(total, 1),
                by_type={k: round(v, 1) for k, v in sorted(got["type"].items())} if got else {},
                by_tier={k: round(v, 1) for k, v in sorted(got["tier"].items())} if got else {},
                growth_share=round(100.0 * got["growth"] / total, 1) if got and total else 0.0,
            )
        )
    return photos


# ---------------------------------------------------------------- headcount


@dataclass(slots=True)
class SegmentNeed:
    """Managers needed for one role group in one segment (region)."""

    role_group: str
    segment: str
    clients: int
    weighted_clients: float
    hours: float
    fte_needed: float  # max(weighted / mean capacity, hours / mean selling hours)
    fte_serving: float  # managers' time now spent on this segment (share of their clients)
    short: bool


@dataclass(slots=True)
class GroupNeed:
    """Managers needed for one role group."""

    role_group: str
    managers: int
    needed: int
    shortfall: int
    mean_capacity: float
    clients_above_capacity: int  # weighted clients beyond the capacity of their managers
    reasoning: str


@dataclass(slots=True)
class Headcount:
    """Headcount plan for the current or a what-if client base."""

    growth: float
    region: str | None
    groups: list[GroupNeed]
    segments: list[SegmentNeed]


def headcount(
    engine: Engine,
    *,
    growth: float = 0.0,
    region: str | None = None,
    region_clients: int | None = None,
    tables: CapacityTables | None = None,
    today: dt.date | None = None,
) -> Headcount:
    """How many managers of each role group are needed, by segment (client region).

    The what-if base multiplies every segment by (1 + growth) and may add a new region with
    `region_clients` clients shaped like the average region (default: the average region's
    size). Needed FTE = max(weighted clients / mean capacity, hours / mean selling hours);
    the group's need is the ceiling of the sum over segments.
    """
    tables = tables if tables is not None else load_tables(engine)
    if growth <= -1:
        raise BadInputError("--growth: рост не может быть −100 % и меньше.")
    loads = manager_loads(engine, tables=tables, today=today, seasonal=False)
    c = t.Client
    q = _active_load(
        t.Manager.id, t.Manager.role_group, func.coalesce(c.region, "—"), c.tier, func.count()
    ).group_by(t.Manager.id, t.Manager.role_group, c.region, c.tier)
    with Session(engine) as session:
        rows = session.execute(q).all()
    by_mgr = {x.manager_id: x for x in loads}
    mgr_total: dict[int, int] = defaultdict(int)
    for mid, _g, _reg, _tier, n in rows:
        mgr_total[mid] += n
    # segment → counts per tier, serving FTE, hours
    seg: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"tiers": defaultdict(float), "fte": 0.0, "hours": 0.0}
    )
    for mid, group, reg, tier, n in rows:
        x = by_mgr.get(mid)
        s = seg[(group, reg)]
        s["tiers"][tier] += n
        if x is not None and mgr_total[mid]:
            s["fte"] += n / mgr_total[mid]
            s["hours"] += x.hours * n / mgr_total[mid]
    groups_present = {x.role_group for x in loads} | {g for g, _ in seg}
    if region is not None:
        for group in groups_present:
            regions = [k for k in seg if k[0] == group]
            if not regions or (group, region) in seg:
                continue
            size = region_clients
            avg_tiers: dict[str, float] = defaultdict(float)
            avg_hours = 0.0
            for k in regions:
                for tier, n in seg[k]["tiers"].items():
                    avg_tiers[tier] += n / len(regions)
                avg_hours += seg[k]["hours"] / len(regions)
            total = sum(avg_tiers.values())
            factor = (size / total) if size is not None and total else 1.0
            new = seg[(group, region)]
            for tier, n in avg_tiers.items():
                new["tiers"][tier] = n * factor
            new["hours"] = avg_hours * factor
    segments = []
    groups = []
    for group in sorted(groups_present):
        members = [x for x in loads if x.role_group == group]
        caps = [x.capacity for x in members] or [
            client_capacity(RoleGroup(group), Drivers(), tables=tables).clients
        ]
        offers = [x.hours_capacity for x in members] or [tables.selling_hours]
        mean_cap = sum(caps) / len(caps)
        mean_offer = sum(offers) / len(offers)
        total_fte = 0.0
        for (g, reg), s in sorted(seg.items()):
            if g != group:
                continue
            scale = 1.0 + growth
            clients = sum(s["tiers"].values()) * scale
            weighted = sum(tables.tier_weight[Tier(tier)] * n for tier, n in s["tiers"].items())
            weighted *= scale
            hours = s["hours"] * scale
            fte = max(weighted / mean_cap if mean_cap else 0.0, hours / mean_offer)
            total_fte += fte
            segments.append(
                SegmentNeed(
                    role_group=group,
                    segment=reg,
                    clients=round(clients),
                    weighted_clients=round(weighted, 1),
                    hours=round(hours, 1),
                    fte_needed=round(fte, 2),
                    fte_serving=round(s["fte"], 2),
                    short=fte > s["fte"] + 1e-9,
                )
            )
        needed = math.ceil(total_fte - 1e-9)
        above = sum(max(0, x.weighted_clients - x.capacity) for x in members)
        reasoning = (
            f"{len(members)} менеджеров, средняя ёмкость {mean_cap:.1f} клиента и "
            f"{mean_offer:.0f} ч в месяц; потребность {total_fte:.2f} ставки "
            f"(по каждому региону — большее из «взвешенные клиенты / ёмкость» и "
            f"«часы обслуживания / часы продаж») → {needed}"
        )
        groups.append(
            GroupNeed(
                role_group=group,
                managers=len(members),
                needed=needed,
                shortfall=max(0, needed - len(members)),
                mean_capacity=round(mean_cap, 1),
                clients_above_capacity=above,
                reasoning=reasoning,
            )
        )
    return Headcount(growth=growth, region=region, groups=groups, segments=segments)
