"""Manager KPIs and the balanced scorecard (SPEC §7): use cases for the CLI and the web.

Each function opens one unit of work, lets `db.kpi_repository` count and sum with GROUP BY,
and hands the plain aggregates to `core.kpi`; the result is a dataclass a page can render
(`dataclasses.asdict`). Nothing here loops over deals.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from clientbase.core import kpi as core
from clientbase.core.kpi import Aggregates, KpiValues, Period
from clientbase.db import kpi_repository as repo
from clientbase.db.tables import AppMeta, Manager
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError, NotFoundError

WEIGHTS_KEY = "kpi_weights"
T = TypeVar("T")
NO_TEAM = "Без команды"
GROUP_NAMES_RU = {
    "hunter": "охотники",
    "farmer": "фермеры",
    "head": "руководители",
    "service": "сервис",
    "admin": "администраторы",
}


# ---------------------------------------------------------------- result types


@dataclass(slots=True)
class ScorecardRow:
    """One manager's KPIs, plan, forecast, percentiles, score, rank and words."""

    manager_id: int
    manager: str
    team: str | None
    role_group: str
    active: bool
    period: str
    kpis: KpiValues
    forecast: float
    forecast_attainment: float | None
    percentiles: dict[str, float | None]
    score: float | None
    rank: int | None  # among the peers of the same role group
    rank_overall: int | None
    strengths: list[str]
    weak_spots: list[str]


@dataclass(slots=True)
class GroupRow:
    """KPIs of a team, a role group or the whole company (sums of its managers)."""

    level: str  # team | role_group | company
    key: str
    name: str
    managers: int
    kpis: KpiValues
    forecast: float


@dataclass(slots=True)
class Scorecard:
    """The scorecard of one period with its comparison periods and group roll-ups."""

    period: str
    previous: str
    last_year: str
    start: dt.date
    end: dt.date
    as_of: dt.date
    elapsed_days: int
    rows: list[ScorecardRow]
    teams: list[GroupRow]
    role_groups: list[GroupRow]
    company: GroupRow
    weights: dict[str, dict[str, float]]

    def row(self, manager_id: int) -> ScorecardRow:
        """The row of one manager (NotFoundError when he is not in the scorecard)."""
        for r in self.rows:
            if r.manager_id == manager_id:
                return r
        raise NotFoundError(f"Менеджер #{manager_id} не найден в показателях периода.")


@dataclass(frozen=True, slots=True)
class PlanActual:
    """Plan vs actual of one manager, with the run-rate forecast to the period end."""

    manager_id: int
    manager: str
    plan: float | None
    actual: float
    forecast: float
    attainment: float | None
    forecast_attainment: float | None


@dataclass(slots=True)
class Trend:
    """Monthly won volume per manager and for the company (line chart data)."""

    months: list[str]
    company: list[float]
    managers: dict[int, list[float]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FunnelStage:
    """One bar of the funnel."""

    code: str
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class SeasonMonth:
    """Seasonality index of a calendar month (1.0 = an ordinary month)."""

    month: int
    name: str
    index: float | None


@dataclass(frozen=True, slots=True)
class Bar:
    """A KPI bar of a manager's scorecard: his percentile among peers and its weight."""

    code: str
    name: str
    percentile: float | None
    weight: float
    value: float | None


@dataclass(slots=True)
class DrillDown:
    """The records behind one number of the scorecard."""

    kpi: str
    title: str
    period: str
    manager_id: int | None
    value: float | None
    deals: list[repo.DealLine] = field(default_factory=list)
    activities: list[repo.ActivityLine] = field(default_factory=list)
    clients: list[repo.ClientLine] = field(default_factory=list)
    scores: list[repo.ScoreLineRow] = field(default_factory=list)
    # The list stopped at the limit: more records lie behind the number than are shown.
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class PlanSet:
    """Result of setting a plan."""

    manager_id: int
    period: str
    amount: float
    created: bool


MONTHS_RU = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)


# ---------------------------------------------------------------- weights


def load_weights(engine: Engine) -> dict[str, dict[str, float]]:
    """Per-role weights: the defaults overlaid with app_meta `kpi_weights` if stored."""
    with UnitOfWork(engine) as uow:
        row = uow.session.get(AppMeta, WEIGHTS_KEY)
        if row is None:
            return {g: dict(w) for g, w in core.DEFAULT_WEIGHTS.items()}
        try:
            raw = json.loads(row.value)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"app_meta «{WEIGHTS_KEY}»: не JSON ({exc}).") from exc
    if not isinstance(raw, dict):
        raise BadInputError(f"app_meta «{WEIGHTS_KEY}»: нужен объект.")
    return core.validate_weights(raw)


def save_weights(*, engine: Engine, weights: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Check and store per-role weights in app_meta `kpi_weights` (one transaction)."""
    checked = core.validate_weights(weights)
    with UnitOfWork(engine, write=True) as uow:
        value = json.dumps(checked, ensure_ascii=False)
        row = uow.session.get(AppMeta, WEIGHTS_KEY)
        if row is None:
            uow.session.add(AppMeta(key=WEIGHTS_KEY, value=value))
        else:
            row.value = value
        uow.commit()
    return checked


# ---------------------------------------------------------------- scorecard


def _as_of(period: Period, today: dt.date) -> tuple[dt.date, int]:
    as_of = min(period.end, today)
    return as_of, max(0, (as_of - period.start).days + 1)


def _forecast(volume: float, period: Period, elapsed: int) -> float:
    if elapsed >= period.days:
        return round(volume, 2)
    return round(core.run_rate_forecast(volume, elapsed, period.days), 2)


def scorecard(
    *,
    engine: Engine,
    period: str,
    today: dt.date | None = None,
    weights: dict[str, dict[str, float]] | None = None,
    contact_days: int = 30,
    dormant_days: int = 60,
    parallel: bool = True,
) -> Scorecard:
    """KPIs, percentiles among role peers, weighted score, ranks; teams, role groups, company.

    `parallel` reads the deal facts on a second connection at the same time as the rest
    (two read transactions instead of one: a write committed between them may show in one
    half only — harmless for a report, and `parallel=False` gives one snapshot).
    """
    p = core.parse_period(period)
    today = today or dt.date.today()
    as_of, elapsed = _as_of(p, today)
    weights = weights if weights is not None else load_weights(engine)
    in_memory = engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")
    if parallel and not in_memory:
        # Two independent read transactions on two connections: the deal pass (most of
        # the time on a big base) runs beside everything else. (An in-memory SQLite base
        # is one connection's own: it is read in one go.)
        with ThreadPoolExecutor(max_workers=1) as pool:
            deals_job = pool.submit(_read, engine, lambda s: repo.deal_aggregates(s, p))
            with UnitOfWork(engine) as uow:
                repo.prepare_read(uow.session)
                people = repo.managers(uow.session)
                other, medians = repo.other_aggregates(
                    uow.session,
                    p,
                    as_of=as_of,
                    contact_days=contact_days,
                    dormant_days=dormant_days,
                )
            aggs = repo.merge(deals_job.result(), other)
    else:
        with UnitOfWork(engine) as uow:
            repo.prepare_read(uow.session)
            people = repo.managers(uow.session)
            aggs, medians = repo.aggregates(
                uow.session, p, as_of=as_of, contact_days=contact_days, dormant_days=dormant_days
            )
    listed = [m for m in people if m.active or m.id in aggs]
    values = {m.id: core.kpis(aggs.get(m.id, Aggregates())) for m in listed}
    lines = core.score_peers([(m.id, m.role_group, values[m.id]) for m in listed], weights)
    rows = []
    for m in listed:
        v, line = values[m.id], lines[m.id]
        fc = _forecast(v.volume, p, elapsed)
        rows.append(
            ScorecardRow(
                manager_id=m.id,
                manager=m.name,
                team=m.team,
                role_group=m.role_group,
                active=m.active,
                period=p.label,
                kpis=v,
                forecast=fc,
                forecast_attainment=core.attainment(fc, v.plan),
                percentiles=line.percentiles,
                score=line.score,
                rank=line.rank,
                rank_overall=line.rank_overall,
                strengths=line.strengths,
                weak_spots=line.weak_spots,
            )
        )

    def group(level: str, key: str, name: str, members: list[int]) -> GroupRow:
        agg = core.total(aggs.get(mid, Aggregates()) for mid in members)
        stats = medians.get(level, {}).get(None if key == NO_TEAM else key)  # type: ignore[call-overload]
        agg.response_minutes = stats[2] if stats else None
        v = core.kpis(agg)
        return GroupRow(level, key, name, len(members), v, _forecast(v.volume, p, elapsed))

    by_team: dict[str, list[int]] = {}
    by_role: dict[str, list[int]] = {}
    for m in listed:
        by_team.setdefault(m.team or NO_TEAM, []).append(m.id)
        by_role.setdefault(m.role_group, []).append(m.id)
    company = group("company", "company", "Компания", [m.id for m in listed])
    return Scorecard(
        period=p.label,
        previous=p.previous().label,
        last_year=p.same_last_year().label,
        start=p.start,
        end=p.end,
        as_of=as_of,
        elapsed_days=elapsed,
        rows=sorted(rows, key=_leader_key),
        teams=[group("team", k, k, v) for k, v in sorted(by_team.items())],
        role_groups=[
            group("role_group", k, GROUP_NAMES_RU.get(k, k), v) for k, v in sorted(by_role.items())
        ],
        company=company,
        weights=weights,
    )


def _read(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run a read in a unit of work of its own (for a worker thread)."""
    with UnitOfWork(engine) as uow:
        repo.prepare_read(uow.session)
        return work(uow.session)


def _leader_key(row: ScorecardRow) -> tuple[float, int]:
    return (-(row.score if row.score is not None else -1.0), row.manager_id)


def leaderboard(card: Scorecard, *, role_group: str | None = None) -> list[ScorecardRow]:
    """Managers by score, best first (optionally one role group)."""
    rows = [r for r in card.rows if role_group is None or r.role_group == role_group]
    return sorted(rows, key=_leader_key)


def plan_vs_actual(card: Scorecard) -> list[PlanActual]:
    """Plan, actual and run-rate forecast of every manager who has a plan or sales."""
    return [
        PlanActual(
            r.manager_id,
            r.manager,
            r.kpis.plan,
            r.kpis.volume,
            r.forecast,
            r.kpis.attainment,
            r.forecast_attainment,
        )
        for r in sorted(card.rows, key=lambda r: (r.team or "", r.manager))
        if r.kpis.plan is not None or r.kpis.volume
    ]


def scorecard_bars(card: Scorecard, manager_id: int) -> list[Bar]:
    """One manager's weighted KPIs as bars of percentiles (radar/bars chart data)."""
    row = card.row(manager_id)
    weights = card.weights.get(row.role_group, {})
    return [
        Bar(k.code, k.name, row.percentiles.get(k.code), weights[k.code], row.kpis.value(k.code))
        for k in core.KPIS
        if weights.get(k.code, 0) > 0
    ]


@dataclass(frozen=True, slots=True)
class Compared:
    """One KPI of one manager or group in the period, the previous one and a year ago."""

    level: str  # manager | team | role_group | company
    key: str
    name: str
    kpi: str
    kpi_name: str
    current: float | None
    previous: float | None
    last_year: float | None

    @property
    def change_previous(self) -> float | None:
        """current − previous (percentage points for shares), None if either is missing."""
        return _diff(self.current, self.previous)

    @property
    def change_last_year(self) -> float | None:
        """current − the same period last year."""
        return _diff(self.current, self.last_year)


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


@dataclass(slots=True)
class Comparison:
    """Every KPI of every manager and group against the previous period and last year."""

    period: str
    previous: str
    last_year: str
    rows: list[Compared]

    def of(self, level: str, key: str) -> list[Compared]:
        """The KPIs of one manager (key = id) or group."""
        return [r for r in self.rows if r.level == level and r.key == key]


# Compared KPIs: the SPEC §7 table (dynamics are the comparison itself).
COMPARED = tuple(k for k in core.KPIS if not k.code.startswith("growth_"))


def compare(
    *,
    engine: Engine,
    period: str,
    today: dt.date | None = None,
    weights: dict[str, dict[str, float]] | None = None,
    current: Scorecard | None = None,
) -> Comparison:
    """Each KPI per manager, team, role group and company vs the previous period and last
    year (three scorecards; pass `current` when it is already computed)."""
    p = core.parse_period(period)
    today = today or dt.date.today()
    weights = weights if weights is not None else load_weights(engine)
    cards = [
        current or scorecard(engine=engine, period=p.label, today=today, weights=weights),
        scorecard(engine=engine, period=p.previous().label, today=today, weights=weights),
        scorecard(engine=engine, period=p.same_last_year().label, today=today, weights=weights),
    ]

    def units(card: Scorecard) -> dict[tuple[str, str], tuple[str, KpiValues]]:
        out: dict[tuple[str, str], tuple[str, KpiValues]] = {}
        for g in (card.company, *card.role_groups, *card.teams):
            out[(g.level, g.key)] = (g.name, g.kpis)
        for r in card.rows:
            out[("manager", str(r.manager_id))] = (r.manager, r.kpis)
        return out

    now, before, year_ago = (units(c) for c in cards)
    rows = []
    for (level, key), (name, values) in now.items():
        prev_values = before.get((level, key), (name, None))[1]
        ly_values = year_ago.get((level, key), (name, None))[1]
        for k in COMPARED:
            rows.append(
                Compared(
                    level,
                    key,
                    name,
                    k.code,
                    k.name,
                    values.value(k.code),
                    None if prev_values is None else prev_values.value(k.code),
                    None if ly_values is None else ly_values.value(k.code),
                )
            )
    return Comparison(p.label, p.previous().label, p.same_last_year().label, rows)


def trends(
    *, engine: Engine, period: str, months: int = 12, manager_id: int | None = None
) -> Trend:
    """Monthly won volume over the `months` months ending with the period (line charts)."""
    p = core.parse_period(period)
    if not 1 <= months <= 120:
        raise BadInputError("Тренд: число месяцев от 1 до 120.")
    first = core.month_of(p.end.year, p.end.month - months + 1)
    labels = [core.month_of(first.start.year, first.start.month + k).label for k in range(months)]
    with UnitOfWork(engine) as uow:
        data = repo.monthly_volume(uow.session, first.start, p.end, manager_id=manager_id)
        names = {int(i): str(n) for i, n in uow.session.execute(select(Manager.id, Manager.name))}
    trend = Trend(months=labels, company=[0.0] * months)
    index = {label: i for i, label in enumerate(labels)}
    for (mid, month), volume in data.items():
        i = index.get(month)
        if i is None:
            continue
        trend.company[i] = round(trend.company[i] + volume, 2)
        if mid is not None:
            trend.managers.setdefault(mid, [0.0] * months)[i] = volume
            trend.names[mid] = names.get(mid, str(mid))
    return trend


FUNNEL_NAMES = {
    "inbound": "Входящие обращения",
    "contacts": "Звонки и встречи",
    "created": "Создано сделок",
    "closed": "Закрыто сделок",
    "won": "Выиграно сделок",
}


def funnel(*, engine: Engine, period: str, manager_id: int | None = None) -> list[FunnelStage]:
    """The sales funnel of the period: requests → contacts → deals created → closed → won."""
    p = core.parse_period(period)
    with UnitOfWork(engine) as uow:
        counts = repo.funnel(uow.session, p, manager_id=manager_id)
    return [FunnelStage(code, FUNNEL_NAMES[code], counts[code]) for code in FUNNEL_NAMES]


def seasonality(*, engine: Engine, today: dt.date | None = None) -> list[SeasonMonth]:
    """Seasonality index by calendar month over the complete months of the whole history."""
    today = today or dt.date.today()
    current = core.month_of(today.year, today.month)
    with UnitOfWork(engine) as uow:
        monthly = repo.company_monthly_volume(uow.session, current.start - dt.timedelta(days=1))
    if monthly:
        # Months between the first and the last sale with no sale are real zeros.
        keys = sorted(monthly)
        y, m = int(keys[0][:4]), int(keys[0][5:])
        while f"{y:04d}-{m:02d}" <= keys[-1]:
            monthly.setdefault(f"{y:04d}-{m:02d}", 0.0)
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    index = core.seasonality_index({(int(k[:4]), int(k[5:])): v for k, v in monthly.items()})
    return [
        SeasonMonth(m, MONTHS_RU[m - 1], None if v is None else round(v, 3))
        for m, v in index.items()
    ]


# ---------------------------------------------------------------- drill-down

DRILL_TITLES = {
    "volume": "Выигранные сделки периода (объём продаж)",
    "won_deals": "Выигранные сделки периода",
    "average_check": "Выигранные сделки периода (средний чек)",
    "lost_deals": "Проигранные сделки периода",
    "conversion": "Закрытые сделки периода (конверсия)",
    "new_clients": "Первые покупки новых клиентов",
    "repeat_rate": "Покупатели периода (отмечены повторные)",
    "retention": "Покупатели прошлого периода (отмечены удержанные)",
    "contacts": "Звонки и встречи периода",
    "contact_conversion": "Звонки и встречи периода (конверсия контактов)",
    "response_minutes": "Входящие обращения и время ответа",
    "discipline": "Задачи со сроком в периоде",
    "coverage": "Клиенты менеджера (отмечены, с кем был контакт за 30 дней)",
    "dormant_share": "Клиенты менеджера (отмечены «спящие»)",
    "satisfaction": "Оценки клиентов",
    "feedback": "Оценки коллег",
}


def drill_down(
    *,
    engine: Engine,
    period: str,
    kpi: str,
    manager_id: int | None = None,
    today: dt.date | None = None,
    limit: int = 10_000,
) -> DrillDown:
    """The deals, activities, clients or scores behind one KPI of a manager (or everyone)."""
    if kpi not in DRILL_TITLES:
        known = ", ".join(DRILL_TITLES)
        raise BadInputError(f"Показатель «{kpi}» не раскрывается; доступны: {known}.")
    p = core.parse_period(period)
    as_of, _ = _as_of(p, today or dt.date.today())
    per_manager = ("retention", "repeat_rate", "coverage", "dormant_share", "satisfaction")
    if manager_id is None and kpi in (*per_manager, "feedback"):
        raise BadInputError(f"Показатель «{kpi}» раскрывается для одного менеджера (--manager).")
    out = DrillDown(kpi, DRILL_TITLES[kpi], p.label, manager_id, None)
    with UnitOfWork(engine) as uow:
        s = uow.session
        if manager_id is not None and s.get(Manager, manager_id) is None:
            raise NotFoundError(f"Менеджер #{manager_id} не найден.")
        if kpi in ("volume", "won_deals", "average_check"):
            out.deals = repo.deals_closed(s, p, manager_id, ("won",), limit=limit)
        elif kpi == "lost_deals":
            out.deals = repo.deals_closed(s, p, manager_id, ("lost",), limit=limit)
        elif kpi == "conversion":
            out.deals = repo.deals_closed(s, p, manager_id, ("won", "lost"), limit=limit)
        elif kpi == "new_clients":
            out.deals = repo.new_client_deals(s, p, manager_id, limit=limit)
        elif kpi in ("contacts", "contact_conversion"):
            out.activities = repo.activities(s, p, manager_id, kind="contacts", limit=limit)
        elif kpi == "response_minutes":
            out.activities = repo.activities(s, p, manager_id, kind="inbound", limit=limit)
        elif kpi == "discipline":
            out.activities = repo.activities(s, p, manager_id, kind="tasks", limit=limit)
        if manager_id is not None:
            if kpi == "repeat_rate":
                out.clients = repo.buyer_clients(s, p, manager_id, limit=limit)
            elif kpi == "retention":
                out.clients = repo.buyer_clients(
                    s, p.previous(), manager_id, retained_in=p, limit=limit
                )
            elif kpi in ("coverage", "dormant_share"):
                out.clients = repo.held_clients(s, as_of, manager_id, kind=kpi, limit=limit)
            elif kpi == "satisfaction":
                out.scores = repo.survey_rows(s, p, manager_id, limit=limit)
            elif kpi == "feedback":
                out.scores = repo.feedback_rows(s, p, manager_id, limit=limit)
    shown = len(out.deals) + len(out.activities) + len(out.clients) + len(out.scores)
    out.truncated = shown >= limit
    # Recomputed from the records only when they are all there.
    out.value = None if out.truncated else _drill_value(out)
    return out


def _drill_value(d: DrillDown) -> float | None:
    """The number recomputed from the records shown (so the drill-down explains it)."""
    won = [x for x in d.deals if x.outcome == "won"]
    if d.kpi == "volume":
        return round(sum(x.amount for x in won), 2)
    if d.kpi in ("won_deals", "new_clients"):
        return float(len(d.deals))
    if d.kpi == "lost_deals":
        return float(len(d.deals))
    if d.kpi == "average_check":
        return core.average_check(sum(x.amount for x in won), len(won))
    if d.kpi == "conversion":
        return core.conversion(len(won), len(d.deals) - len(won))
    if d.kpi == "contacts":
        return float(len(d.activities))
    if d.kpi == "discipline":
        ok = [a for a in d.activities if a.completed and a.ended and a.due and a.ended <= a.due]
        return core.discipline(len(ok), len(d.activities))
    if d.kpi in ("repeat_rate", "retention", "coverage", "dormant_share"):
        return core.ratio(sum(1 for c in d.clients if c.flag), len(d.clients))
    if d.kpi == "feedback":
        return core.ratio(sum(x.score for x in d.scores), len(d.scores))
    return None


# ---------------------------------------------------------------- plans


def set_plan(*, engine: Engine, manager_id: int, period: str, amount: float) -> PlanSet:
    """Create or change a manager's sales plan for a period (one transaction)."""
    p = core.parse_period(period)
    if amount < 0 or amount != amount:
        raise BadInputError("План: сумма должна быть числом ≥ 0.")
    with UnitOfWork(engine, write=True) as uow:
        if uow.session.get(Manager, manager_id) is None:
            raise NotFoundError(f"Менеджер #{manager_id} не найден.")
        created = repo.upsert_plan(uow.session, manager_id, p.label, round(amount, 2))
        uow.commit()
    return PlanSet(manager_id, p.label, round(amount, 2), created)
