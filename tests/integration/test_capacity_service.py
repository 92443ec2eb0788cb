"""Capacity service on the demo company: load, status, coverage, headcount by hand."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from clientbase.core.capacity import (
    DEFAULT_TABLES,
    Drivers,
    client_capacity,
    service_hours,
    tables_from_dict,
    tables_to_dict,
)
from clientbase.db import tables as t
from clientbase.db.engine import make_engine
from clientbase.services import capacity as cs
from clientbase.services.demo import DemoParams, create_demo, create_demo_file

TODAY = dt.date(2026, 11, 22)
ROLES = {
    "farmer": {"account"},
    "head": {"account"},
    "hunter": {"acquisition", "sales"},
    "service": {"service"},
    "admin": {"admin"},
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The default demo company, built once for the module."""
    path = Path(tmp_path_factory.mktemp("capacity")) / "demo.db"
    create_demo_file(path, DemoParams(today=TODAY))
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def _by_hand(engine: Engine) -> dict[str, tuple[int, dict[str, tuple[float, float, float]]]]:
    """Per role group: managers and, per region, (weighted clients, hours, serving FTE)."""
    with Session(engine) as s:
        managers = {m.id: m for m in s.scalars(select(t.Manager).where(t.Manager.active))}
        clients = {c.id: c for c in s.scalars(select(t.Client))}
        resp = list(s.scalars(select(t.Responsibility).where(t.Responsibility.until.is_(None))))
    held: dict[int, list[t.Client]] = defaultdict(list)
    for r in resp:
        m = managers.get(r.manager_id)
        c = clients[r.client_id]
        if m is None or r.role not in ROLES[m.role_group]:
            continue
        if m.role_group == "hunter" and c.status != "prospect":
            continue
        held[m.id].append(c)
    out: dict[str, tuple[int, dict[str, tuple[float, float, float]]]] = {}
    for group in ROLES:
        members = [m for m in managers.values() if m.role_group == group]
        regions: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for m in members:
            mine = held[m.id]
            hours = sum(
                c.hours if c.hours is not None else service_hours(c.tier, m.complexity)
                for c in mine
            )
            for c in mine:
                cell = regions[c.region or "—"]
                cell[0] += DEFAULT_TABLES.tier_weight[c.tier]  # type: ignore[index]
                cell[1] += hours / len(mine)
                cell[2] += 1 / len(mine)
        out[group] = (len(members), {k: (v[0], v[1], v[2]) for k, v in regions.items()})
    return out


def _expected_need(engine: Engine, group: str, growth: float) -> int:
    with Session(engine) as s:
        members = list(
            s.scalars(select(t.Manager).where(t.Manager.active, t.Manager.role_group == group))
        )
    caps = [
        client_capacity(
            m.role_group,  # type: ignore[arg-type]
            Drivers(m.complexity, m.readiness, m.support, m.tools, m.grade),
            override=m.capacity_override,
        ).clients
        for m in members
    ]
    offers = [m.hours if m.hours else 120.0 for m in members]
    mean_cap, mean_offer = sum(caps) / len(caps), sum(offers) / len(offers)
    _, regions = _by_hand(engine)[group]
    fte = sum(
        max(w * (1 + growth) / mean_cap, h * (1 + growth) / mean_offer)
        for w, h, _ in regions.values()
    )
    return math.ceil(fte - 1e-9)


@pytest.mark.parametrize("growth", [0.0, 0.2])
def test_headcount_on_the_demo_company_matches_a_hand_computation(
    demo: Engine, growth: float
) -> None:
    plan = cs.headcount(demo, growth=growth, today=TODAY)
    groups = {g.role_group: g for g in plan.groups}
    for group in ("farmer", "hunter"):
        assert groups[group].needed == _expected_need(demo, group, growth)
        assert groups[group].managers == _by_hand(demo)[group][0]
        assert groups[group].shortfall == max(0, groups[group].needed - groups[group].managers)
    assert groups["farmer"].reasoning


def test_the_overloaded_demo_manager_is_flagged_over_with_low_coverage(demo: Engine) -> None:
    loads = cs.manager_loads(demo, today=TODAY)
    heavy = [x for x in loads if x.role_group == "farmer" and x.clients >= 70]
    assert heavy, "the demo company has an account manager with 70+ clients"
    farmers = [x for x in loads if x.role_group == "farmer" and x.clients]
    mean_cov = sum(x.coverage for x in farmers) / len(farmers)
    for x in heavy:
        assert x.status == "over" and x.utilization > 100
        assert x.coverage < mean_cov and x.buried > 0
        assert "база 40" in x.drivers


def test_load_counts_match_the_active_responsibilities(demo: Engine) -> None:
    hand = defaultdict(int)
    with Session(demo) as s:
        managers = {m.id: m for m in s.scalars(select(t.Manager))}
        statuses = dict(s.execute(select(t.Client.id, t.Client.status)).all())
        for r in s.scalars(select(t.Responsibility).where(t.Responsibility.until.is_(None))):
            m = managers[r.manager_id]
            if r.role in ROLES[m.role_group] and (
                m.role_group != "hunter" or statuses[r.client_id] == "prospect"
            ):
                hand[m.id] += 1
    for x in cs.manager_loads(demo, today=TODAY):
        assert x.clients == hand.get(x.manager_id, 0)


def test_a_new_region_what_if_adds_a_short_segment(demo: Engine) -> None:
    plan = cs.headcount(demo, region="Новый регион", region_clients=120, today=TODAY)
    new = [s for s in plan.segments if s.segment == "Новый регион" and s.role_group == "farmer"]
    assert len(new) == 1 and new[0].short and new[0].fte_serving == 0
    assert new[0].clients == 120


def test_buried_report_lists_silent_clients_and_chart_points(demo: Engine) -> None:
    report = cs.buried_clients(demo, days=30, today=TODAY)
    assert report.clients and all(
        c.days_silent is None or c.days_silent > 30 for c in report.clients
    )
    assert len(report.chart) == len([x for x in report.managers if x.clients])
    assert report.correlation is not None and report.correlation < 0


def test_working_day_photo_splits_time_and_adds_up(demo: Engine) -> None:
    photos = cs.working_day_photo(demo, since=dt.date(2026, 8, 1), until=TODAY)
    busy = [p for p in photos if p.hours]
    assert busy
    for p in busy:
        assert sum(p.by_type.values()) == pytest.approx(p.hours, abs=0.6)
        assert sum(p.by_tier.values()) == pytest.approx(p.hours, abs=0.6)
        assert 0 <= p.growth_share <= 100


def test_capacity_tables_stored_in_app_meta_are_used(engine: Engine) -> None:
    create_demo(engine, DemoParams(clients=150, managers=3, months=3, today=TODAY))
    before = {x.manager_id: x for x in cs.manager_loads(engine, today=TODAY)}
    tables = tables_from_dict({"tier_weight": {"VIP": 5}, "selling_hours": 60})
    cs.save_tables(engine, tables)
    loaded = cs.load_tables(engine)
    assert loaded.selling_hours == 60.0
    after = {x.manager_id: x for x in cs.manager_loads(engine, today=TODAY, tables=loaded)}
    for mid, x in after.items():
        assert x.weighted_clients >= before[mid].weighted_clients
        if x.overridden is False and x.hours:
            assert x.utilization_hours >= before[mid].utilization_hours
    plan = cs.headcount(engine, today=TODAY, tables=loaded)
    assert {g.role_group for g in plan.groups} >= {"farmer"}


def test_the_distribution_engine_uses_the_same_capacities(demo: Engine) -> None:
    from clientbase.planning.schemas import Settings
    from clientbase.services.plans import build_instance

    with Session(demo) as session:
        instance = build_instance(session, Settings(), today=TODAY)
    engine_caps = {int(m.id): m.capacity for m in instance.managers}
    for x in cs.manager_loads(demo, today=TODAY):
        assert engine_caps[x.manager_id] == x.capacity


def test_edited_capacity_tables_reach_the_distribution_engine(engine: Engine) -> None:
    from clientbase.planning.schemas import Settings
    from clientbase.services.plans import build_instance

    create_demo(engine, DemoParams(clients=150, managers=3, months=3, today=TODAY))
    data = tables_to_dict()
    data["bases"]["farmer"]["base"] = 55
    cs.save_tables(engine, tables_from_dict(data))
    with Session(engine) as session:
        instance = build_instance(session, Settings(), today=TODAY)
    engine_caps = {int(m.id): m.capacity for m in instance.managers}
    loads = cs.manager_loads(engine, today=TODAY)
    assert all(engine_caps[x.manager_id] == x.capacity for x in loads)
    default_caps = {
        x.manager_id: x.capacity
        for x in cs.manager_loads(engine, today=TODAY, tables=tables_from_dict({}))
    }
    assert any(engine_caps[m] > c for m, c in default_caps.items() if m in engine_caps)
