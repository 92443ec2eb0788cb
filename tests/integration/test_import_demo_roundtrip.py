"""The demo company exported and re-imported into an empty database: the same plan inputs,
the same plan, and the same won-deal totals per manager and month (the KPI proxy)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from clientbase.db import migrate
from clientbase.db import tables as t
from clientbase.db.engine import make_engine
from clientbase.planning.schemas import Settings, Strategy
from clientbase.services.demo import DemoParams, create_demo
from clientbase.services.exporting import export_entity
from clientbase.services.importing import import_file
from clientbase.services.plans import build_instance, solve

TODAY = dt.date(2026, 11, 22)


def _named_instance(engine: Engine) -> dict[str, Any]:
    """Plan inputs with database ids replaced by names (ids differ between databases)."""
    with Session(engine) as session:
        instance = build_instance(session, Settings(), today=TODAY)
    managers = {m.id: m.name for m in instance.managers}
    return {
        "managers": sorted(
            (m.name, m.role_group, m.grade, m.active, m.capacity, m.hours, str(m.eligibility))
            for m in instance.managers
        ),
        "clients": sorted(
            (
                c.name,
                c.tier,
                round(c.potential, 2),
                c.region,
                c.industry,
                c.product_line,
                c.channel,
                c.ownership,
                round(c.revenue_12m, 2),
                c.status,
                managers.get(c.owner_id or ""),
                c.locked,
            )
            for c in instance.clients
        ),
        "plan": _plan_figures(instance),
    }


def _plan_figures(instance: Any) -> tuple[Any, ...]:
    # Ties may be broken differently when ids differ, so the figures are compared.
    plan = solve(instance, Strategy.OPTIMAL)
    return (plan.status, plan.moves, plan.unassigned, round(plan.imbalance, 3))


def _copy_absences(source: Engine, target: Engine) -> None:
    """Vacations come from the HR calendar, not from a CRM file: carried over by name, since
    they change capacity in the month of the plan (seasonal capacity)."""
    with Session(source) as s:
        rows = s.execute(
            select(t.Manager.name, t.Absence.start_date, t.Absence.end_date, t.Absence.reason).join(
                t.Manager, t.Manager.id == t.Absence.manager_id
            )
        ).all()
    with Session(target) as s, s.begin():
        ids = {name: mid for mid, name in s.execute(select(t.Manager.id, t.Manager.name))}
        for name, start, end, reason in rows:
            s.add(t.Absence(manager_id=ids[name], start_date=start, end_date=end, reason=reason))


def _won_by_manager_and_month(engine: Engine) -> dict[tuple[str, str], float]:
    totals: dict[tuple[str, str], float] = defaultdict(float)
    with Session(engine) as session:
        rows = session.execute(
            select(t.Manager.name, t.Deal.closed, t.Deal.amount)
            .join(t.Manager, t.Manager.id == t.Deal.manager_id)
            .where(t.Deal.outcome == "won")
        )
        for name, closed, amount in rows:
            totals[(name, closed.strftime("%Y-%m") if closed else "")] += float(amount)
    return {k: round(v, 2) for k, v in totals.items()}


def test_the_demo_company_exported_and_reimported_gives_the_same_plan_and_won_totals(
    engine: Engine, tmp_path: Path
) -> None:
    create_demo(engine, DemoParams(clients=60, managers=3, months=3, today=TODAY))
    target = make_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    migrate.upgrade(target)
    try:
        for entity in ("managers", "clients", "teams", "deals"):
            path = tmp_path / f"{entity}.xlsx"
            export_entity(engine=engine, entity=entity, path=path, fmt="xlsx")
            report = import_file(engine=target, entity=entity, path=path, today=TODAY)
            assert report.ok, [e.line() for e in report.errors[:5]]
        _copy_absences(engine, target)
        before, after = _named_instance(engine), _named_instance(target)
        assert after["managers"] == before["managers"]
        assert after["clients"] == before["clients"]
        assert after["plan"] == before["plan"]
        assert _won_by_manager_and_month(target) == _won_by_manager_and_month(engine)
    finally:
        target.dispose()
