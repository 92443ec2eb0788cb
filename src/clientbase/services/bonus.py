"""Credit split and motivation schemes (issue 12): use cases for the CLI and the web.

Every function takes keyword-only arguments, opens one unit of work, reads with
`db.bonus_repository` (and the KPI repository for plans, new clients and retention), hands
plain objects to `core.credit` and `core.bonus`, and returns dataclasses a page can render.

Configuration lives in app_meta: `credit_split` (the split table) and `bonus_schemes`
(the schemes); when absent, the documented defaults apply.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from clientbase.core import bonus as core_bonus
from clientbase.core import credit as core_credit
from clientbase.core.bonus import MonthFacts, Scheme, SchemeSet
from clientbase.core.credit import Credit, SplitTable, TeamDeal
from clientbase.core.kpi import Period, parse_period
from clientbase.db import bonus_repository as repo
from clientbase.db import kpi_repository as kpi_repo
from clientbase.db.tables import Manager
from clientbase.db.uow import UnitOfWork
from clientbase.errors import NotFoundError
from clientbase.io import readers

SPLIT_KEY = "credit_split"
SCHEMES_KEY = "bonus_schemes"


# ---------------------------------------------------------------- result types


@dataclass(frozen=True, slots=True)
class SplitRuleView:
    """One rule of the credit split table, for display."""

    name: str
    when: dict[str, list[str]]
    shares: dict[str, float]


@dataclass(frozen=True, slots=True)
class SplitView:
    """The credit split table in force and whether it is the default."""

    rules: list[SplitRuleView]
    stored: bool
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SchemesView:
    """The motivation schemes in force and whether they are the defaults."""

    schemes: SchemeSet
    stored: bool
    data: dict[str, Any]


@dataclass(slots=True)
class CreditRow:
    """One manager's credited won volume of a period beside his KPI volume."""

    manager_id: int
    manager: str
    team: str | None
    role_group: str
    credited: float
    kpi_volume: float
    by_role: dict[str, float] = field(default_factory=dict)
    deals: int = 0


@dataclass(slots=True)
class CreditReport:
    """Credited volume per manager; it sums to the company's won volume of the period."""

    period: str
    rows: list[CreditRow]
    company_volume: float
    credited_total: float
    unassigned: float


@dataclass(frozen=True, slots=True)
class DealCredit:
    """One share of one deal: the number behind a manager's credited volume."""

    deal_id: int
    client_id: int
    client: str
    closed: str
    amount: float
    responsible_id: int | None
    manager_id: int | None
    role: str | None
    percent: float
    credited: float
    reason: str


@dataclass(frozen=True, slots=True)
class StatementLine:
    """A line of the bonus statement: base, rate, threshold reached, amount."""

    month: str
    code: str
    title: str
    base: float | None
    base_unit: str
    rate: float | None
    threshold: str
    amount: float


@dataclass(slots=True)
class ManagerStatement:
    """One manager's bonus statement for the period."""

    manager_id: int
    manager: str
    team: str | None
    role_group: str
    scheme: str | None
    credited: float
    kpi_volume: float
    plan: float | None
    attainment: float | None
    new_clients: int
    lines: list[StatementLine]
    total: float


@dataclass(slots=True)
class Statement:
    """Bonus statements of every manager (or one) for a month, quarter or year."""

    period: str
    months: list[str]
    rows: list[ManagerStatement]
    total: float
    credited_total: float
    company_volume: float
    unassigned: float
    split_stored: bool
    schemes_stored: bool

    def row(self, manager_id: int) -> ManagerStatement:
        """The statement of one manager (NotFoundError when absent)."""
        for r in self.rows:
            if r.manager_id == manager_id:
                return r
        raise NotFoundError(f"Менеджер #{manager_id} не найден в ведомости.")


@dataclass(frozen=True, slots=True)
class WhatIfRow:
    """A manager's bonus under the current schemes and under the proposed ones."""

    manager_id: int
    manager: str
    role_group: str
    current_scheme: str | None
    proposed_scheme: str | None
    current: float
    proposed: float
    difference: float


@dataclass(slots=True)
class WhatIf:
    """Side by side: the period's bonuses under the schemes in force and under others."""

    period: str
    rows: list[WhatIfRow]
    current_total: float
    proposed_total: float
    difference: float


# ---------------------------------------------------------------- configuration


def _read_file(path: Path, what: str) -> Any:
    return readers.read_settings(path, what=what)


def _split_in(session: Session) -> tuple[SplitTable, bool]:
    raw = repo.read_meta(session, SPLIT_KEY)
    if raw is None:
        return core_credit.DEFAULT_SPLIT, False
    return core_credit.parse_split(raw), True


def _schemes_in(session: Session) -> tuple[SchemeSet, bool]:
    raw = repo.read_meta(session, SCHEMES_KEY)
    if raw is None:
        return core_bonus.DEFAULT_SCHEMES, False
    return core_bonus.parse_schemes(raw), True


def _split_view(table: SplitTable, stored: bool) -> SplitView:
    rules = [
        SplitRuleView(
            r.name,
            {f: sorted(v) for f, v in r.when},
            {role: float(p) for role, p in r.shares},
        )
        for r in table.rules
    ]
    return SplitView(rules, stored, core_credit.split_to_data(table))


def show_split(*, engine: Engine) -> SplitView:
    """The credit split table in force (the stored one, else the default)."""
    with UnitOfWork(engine) as uow:
        table, stored = _split_in(uow.session)
    return _split_view(table, stored)


def read_split_file(*, path: Path) -> SplitTable:
    """Read and check a credit split table from a .json or .toml file."""
    return core_credit.parse_split(_read_file(path, "Файл распределения заслуг"))


def save_split(*, engine: Engine, data: Mapping[str, Any]) -> SplitView:
    """Check a split table and store it in app_meta `credit_split` (one transaction)."""
    table = core_credit.parse_split(data)
    with UnitOfWork(engine, write=True) as uow:
        repo.write_meta(uow.session, SPLIT_KEY, core_credit.split_to_data(table))
        uow.commit()
    return _split_view(table, True)


def import_split(*, engine: Engine, path: Path) -> SplitView:
    """Read a split table file, check it and store it."""
    return save_split(engine=engine, data=core_credit.split_to_data(read_split_file(path=path)))


def show_schemes(*, engine: Engine) -> SchemesView:
    """The motivation schemes in force (the stored ones, else the defaults)."""
    with UnitOfWork(engine) as uow:
        schemes, stored = _schemes_in(uow.session)
    return SchemesView(schemes, stored, core_bonus.schemes_to_data(schemes))


def read_schemes_file(*, path: Path) -> SchemeSet:
    """Read and check motivation schemes from a .json or .toml file."""
    return core_bonus.parse_schemes(_read_file(path, "Файл схем мотивации"))


def save_schemes(*, engine: Engine, data: Mapping[str, Any]) -> SchemesView:
    """Check schemes and store them in app_meta `bonus_schemes` (one transaction)."""
    schemes = core_bonus.parse_schemes(data)
    with UnitOfWork(engine, write=True) as uow:
        repo.write_meta(uow.session, SCHEMES_KEY, core_bonus.schemes_to_data(schemes))
        uow.commit()
    return SchemesView(schemes, True, core_bonus.schemes_to_data(schemes))


def import_schemes(*, engine: Engine, path: Path) -> SchemesView:
    """Read a schemes file, check it and store it."""
    schemes = read_schemes_file(path=path)
    return save_schemes(engine=engine, data=core_bonus.schemes_to_data(schemes))


# ---------------------------------------------------------------- credit


@dataclass(slots=True)
class _Month:
    """Everything one month contributes: credits, deals, plans, new clients, retention."""

    period: Period
    deals: dict[int, repo.WonDeal]
    credits: list[Credit]
    plans: dict[int, float]
    new_clients: dict[int, int]
    retention: dict[int, float | None]
    kpi_volume: dict[int, float]
    by_manager: dict[int | None, list[Credit]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Index once: a statement reads every manager's credits, a thousand managers times.
        for c in self.credits:
            self.by_manager.setdefault(c.manager_id, []).append(c)


def _credits(
    session: Session, period: Period, table: SplitTable
) -> tuple[dict[int, repo.WonDeal], list[Credit]]:
    deals = repo.won_deals(session, period)
    teams = repo.team_rows(session, period)
    firsts = repo.first_purchases(session, period)
    credits: list[Credit] = []
    for deal in deals:
        team = repo.team_on(teams.get(deal.client_id, []), deal.closed)
        credits.extend(
            core_credit.credit_deal(
                TeamDeal(
                    deal.deal_id,
                    core_credit.to_kopecks(deal.amount),
                    deal.manager_id,
                    deal.segments,
                    team,
                    firsts.get(deal.deal_id),
                ),
                table,
            )
        )
    return {d.deal_id: d for d in deals}, credits


def _month(session: Session, month: Period, table: SplitTable) -> _Month:
    deals, credits = _credits(session, month, table)
    plans, new, retention, volume = repo.month_kpis(session, month)
    return _Month(month, deals, credits, plans, new, retention, volume)


def _managers(session: Session) -> list[kpi_repo.ManagerInfo]:
    return kpi_repo.managers(session)


def _money(kopecks: int) -> float:
    return round(kopecks / 100, 2)


def credit_report(*, engine: Engine, period: str, split: SplitTable | None = None) -> CreditReport:
    """Credited won volume per manager for a period, beside his KPI volume (reconciles)."""
    p = parse_period(period)
    with UnitOfWork(engine) as uow:
        s = uow.session
        table = split if split is not None else _split_in(s)[0]
        _, credits = _credits(s, p, table)
        facts = kpi_repo.deal_facts(s, p, p.previous())
        people = _managers(s)
        company = repo.company_won_volume(s, p)
    sums = core_credit.totals(credits)
    deal_count: dict[int, set[int]] = defaultdict(set)
    for c in credits:
        if c.manager_id is not None:
            deal_count[c.manager_id].add(c.deal_id)
    rows = []
    for m in people:
        kop = sums.by_manager.get(m.id, 0)
        kpi_volume = facts[m.id].volume if m.id in facts else 0.0
        if not (m.active or kop or kpi_volume):
            continue
        by_role = {
            role: _money(v)
            for (mid, role), v in sorted(sums.by_manager_role.items())
            if mid == m.id
        }
        rows.append(
            CreditRow(
                m.id,
                m.name,
                m.team,
                m.role_group,
                _money(kop),
                kpi_volume,
                by_role,
                len(deal_count.get(m.id, ())),
            )
        )
    return CreditReport(
        p.label, rows, company, _money(sums.total - sums.unassigned), _money(sums.unassigned)
    )


def deal_credits(
    *, engine: Engine, period: str, manager_id: int | None = None, limit: int = 10_000
) -> list[DealCredit]:
    """The shares behind credited volume: every deal share of the period (of one manager)."""
    p = parse_period(period)
    with UnitOfWork(engine) as uow:
        s = uow.session
        if manager_id is not None and s.get(Manager, manager_id) is None:
            raise NotFoundError(f"Менеджер #{manager_id} не найден.")
        table, _ = _split_in(s)
        deals, credits = _credits(s, p, table)
    out = []
    for c in credits:
        if manager_id is not None and c.manager_id != manager_id:
            continue
        d = deals[c.deal_id]
        out.append(
            DealCredit(
                d.deal_id,
                d.client_id,
                d.client,
                d.closed.isoformat(),
                d.amount,
                d.manager_id,
                c.manager_id,
                c.role,
                float(c.percent),
                c.amount,
                core_credit.REASON_RU[c.reason],
            )
        )
        if len(out) >= limit:
            break
    return out


# ---------------------------------------------------------------- statements


def _facts(month: _Month, manager_id: int, scheme: Scheme | None) -> MonthFacts:
    field_name = scheme.segment_by if scheme is not None else None
    credited: dict[str | None, int] = {}
    for c in month.by_manager.get(manager_id, ()):
        seg = month.deals[c.deal_id].segments.get(field_name) if field_name else None
        credited[seg] = credited.get(seg, 0) + c.kopecks
    plan = month.plans.get(manager_id)
    return MonthFacts(
        month=month.period.label,
        credited=credited,
        plan_kopecks=None if plan is None else core_credit.to_kopecks(plan),
        new_clients=month.new_clients.get(manager_id, 0),
        retention=month.retention.get(manager_id),
    )


def _read_months(session: Session, p: Period, table: SplitTable) -> list[_Month]:
    months = p.months()
    return [_month(session, m, table) for m in months]


def _statement_rows(
    people: list[kpi_repo.ManagerInfo],
    months: list[_Month],
    schemes: SchemeSet,
    period_plans: dict[int, float],
    fallback: SchemeSet | None = None,
) -> list[ManagerStatement]:
    rows = []
    for m in people:
        scheme = schemes.scheme_for(m.id, m.role_group, m.team)
        if scheme is None and fallback is not None:
            scheme = fallback.scheme_for(m.id, m.role_group, m.team)
        facts = [_facts(month, m.id, scheme) for month in months]
        credited = sum(sum(f.credited.values()) for f in facts)
        kpi_volume = round(sum(month.kpi_volume.get(m.id, 0.0) for month in months), 2)
        if not (m.active or credited or kpi_volume):
            continue
        result = core_bonus.bonus(scheme, facts)
        plan = period_plans.get(m.id)
        lines = [
            StatementLine(
                x.month, x.code, x.title, x.base, x.base_unit, x.rate, x.threshold, x.amount
            )
            for x in result.lines
        ]
        rows.append(
            ManagerStatement(
                manager_id=m.id,
                manager=m.name,
                team=m.team,
                role_group=m.role_group,
                scheme=result.scheme,
                credited=_money(credited),
                kpi_volume=kpi_volume,
                plan=plan,
                attainment=None if not plan else credited / 100 / plan,
                new_clients=sum(f.new_clients for f in facts),
                lines=lines,
                total=_money(result.total_kopecks),
            )
        )
    return rows


def statement(
    *,
    engine: Engine,
    period: str,
    manager_id: int | None = None,
    schemes: SchemeSet | None = None,
    split: SplitTable | None = None,
) -> Statement:
    """Bonus statement per manager: each month's lines with the numbers behind them."""
    p = parse_period(period)
    with UnitOfWork(engine) as uow:
        s = uow.session
        if manager_id is not None and s.get(Manager, manager_id) is None:
            raise NotFoundError(f"Менеджер #{manager_id} не найден.")
        table, split_stored = (split, False) if split is not None else _split_in(s)
        in_force, schemes_stored = _schemes_in(s)
        months = _read_months(s, p, table)
        people = _managers(s)
        period_plans = kpi_repo.plans(s, p)
        company = repo.company_won_volume(s, p)
    rows = _statement_rows(people, months, schemes or in_force, period_plans)
    unassigned = sum(c.kopecks for month in months for c in month.credits if c.manager_id is None)
    credited_total = sum(c.kopecks for month in months for c in month.credits) - unassigned
    if manager_id is not None:
        rows = [r for r in rows if r.manager_id == manager_id]
    return Statement(
        period=p.label,
        months=[m.period.label for m in months],
        rows=rows,
        total=round(sum(r.total for r in rows), 2),
        credited_total=_money(credited_total),
        company_volume=company,
        unassigned=_money(unassigned),
        split_stored=split_stored,
        schemes_stored=schemes_stored and schemes is None,
    )


def what_if(
    *, engine: Engine, period: str, schemes: SchemeSet, replace_all: bool = False
) -> WhatIf:
    """The period's bonuses under the schemes in force and under `schemes`, side by side.

    A manager whom none of `schemes` covers keeps his current scheme, so a file with the
    farmers' scheme alone compares the farmers and leaves everybody else unchanged;
    `replace_all` makes `schemes` the whole set (the uncovered get nothing).
    """
    p = parse_period(period)
    with UnitOfWork(engine) as uow:
        s = uow.session
        table, _ = _split_in(s)
        in_force, _ = _schemes_in(s)
        months = _read_months(s, p, table)
        people = _managers(s)
        period_plans = kpi_repo.plans(s, p)
    current = {r.manager_id: r for r in _statement_rows(people, months, in_force, period_plans)}
    fallback = None if replace_all else in_force
    proposed = {
        r.manager_id: r for r in _statement_rows(people, months, schemes, period_plans, fallback)
    }
    rows = []
    for m in people:
        a, b = current.get(m.id), proposed.get(m.id)
        if a is None and b is None:
            continue
        now, then = (a.total if a else 0.0), (b.total if b else 0.0)
        rows.append(
            WhatIfRow(
                m.id,
                m.name,
                m.role_group,
                a.scheme if a else None,
                b.scheme if b else None,
                now,
                then,
                round(then - now, 2),
            )
        )
    cur, prop = round(sum(r.current for r in rows), 2), round(sum(r.proposed for r in rows), 2)
    return WhatIf(p.label, rows, cur, prop, round(prop - cur, 2))
