"""Seasonal capacity on the database: the month table, vacations, the report and the plans."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine

from clientbase.core.capacity import Drivers, client_capacity
from clientbase.core.season import parse_period
from clientbase.core.types import RoleGroup
from clientbase.db import tables as t
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError
from clientbase.planning.schemas import Settings
from clientbase.services import capacity as cs
from clientbase.services import plans
from clientbase.services import season as ss

NOVEMBER = dt.date(2026, 11, 2)
DECEMBER = dt.date(2026, 12, 1)


def _company(engine: Engine, *, clients: int = 16, capacity: int | None = 10) -> dict[str, int]:
    """Two account managers of the same segment and unassigned active clients."""
    with UnitOfWork(engine, write=True) as uow:
        s = uow.session
        anna = t.Manager(name="Анна", role_group="farmer", grade=4, capacity_override=capacity)
        boris = t.Manager(name="Борис", role_group="farmer", grade=3, capacity_override=capacity)
        s.add_all([anna, boris])
        for i in range(clients):
            s.add(t.Client(name=f"Клиент {i:02d}", status="active", tier="B", potential=1000.0))
        s.flush()
        ids = {"anna": anna.id, "boris": boris.id}
        uow.commit()
    return ids


def _vacation(engine: Engine, manager_id: int, start: dt.date, end: dt.date) -> None:
    with UnitOfWork(engine, write=True) as uow:
        uow.session.add(
            t.Absence(manager_id=manager_id, start_date=start, end_date=end, reason="Отпуск")
        )
        uow.commit()


def _plan(engine: Engine, as_of: dt.date) -> Counter[str | None]:
    settings = Settings(time_limit=5.0, seed=1, as_of=as_of)
    _, plan = plans.create_plan(engine=engine, solver=plans.solve, settings=settings)
    return Counter(plan.assignment.values())


def _season_file(tmp_path: Path, text: str, name: str = "season.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_plan_for_the_month_of_a_vacation_gives_the_manager_fewer_clients(
    engine: Engine,
) -> None:
    ids = _company(engine)
    # 14–25 December: Anna is at work 13 of the 23 working days → capacity 10 × 13/23 → 6.
    _vacation(engine, ids["anna"], dt.date(2026, 12, 14), dt.date(2026, 12, 25))
    november = _plan(engine, NOVEMBER)
    december = _plan(engine, DECEMBER)
    assert november[str(ids["anna"])] == 8 and november[str(ids["boris"])] == 8
    assert december[str(ids["anna"])] == 6 and december[str(ids["boris"])] == 10
    assert december[None] == 0


def test_a_manager_away_the_whole_month_gets_nothing_in_its_plan(engine: Engine) -> None:
    ids = _company(engine, clients=8)
    _vacation(engine, ids["anna"], dt.date(2026, 11, 30), dt.date(2027, 1, 8))
    december = _plan(engine, DECEMBER)
    assert december[str(ids["anna"])] == 0 and december[str(ids["boris"])] == 8
    with UnitOfWork(engine) as uow:
        instance = plans.build_instance(uow.session, Settings(), today=DECEMBER)
    anna = next(m for m in instance.managers if m.id == str(ids["anna"]))
    assert anna.absent and anna.capacity == 0


def test_a_december_factor_of_0_8_lowers_the_report_capacities_by_20_percent(
    engine: Engine, tmp_path: Path
) -> None:
    with UnitOfWork(engine, write=True) as uow:
        for grade in range(1, 6):
            uow.session.add(t.Manager(name=f"Грейд {grade}", role_group="farmer", grade=grade))
        uow.session.add(t.Manager(name="Охотник", role_group="hunter", grade=2, hours=100.0))
        uow.session.add(t.Manager(name="Вручную", role_group="farmer", capacity_override=47))
        uow.commit()
    ss.import_season(engine=engine, path=_season_file(tmp_path, "[months]\n12 = 0.8\n"))
    november = {x.name: x for x in cs.manager_loads(engine, period=parse_period("2026-11"))}
    december = {x.name: x for x in cs.manager_loads(engine, period=parse_period("2026-12"))}
    # By hand: farmers 40 × experience 0.85/0.95/1/1.1/1.2 → 34, 38, 40, 44, 48;
    # × 0.8 → 27.2, 30.4, 32, 35.2, 38.4 → 27, 30, 32, 35, 38. Hunter 50 × 0.95 = 47.5 → 48
    # (round half to even) × 0.8 = 38.4 → 38; override 47 × 0.8 = 37.6 → 38.
    expected = {
        "Грейд 1": (34, 27),
        "Грейд 2": (38, 30),
        "Грейд 3": (40, 32),
        "Грейд 4": (44, 35),
        "Грейд 5": (48, 38),
        "Охотник": (48, 38),
        "Вручную": (47, 38),
    }
    for name, (nov, dec) in expected.items():
        assert (november[name].capacity, december[name].capacity) == (nov, dec), name
        assert december[name].season_factor == 0.8
    # Selling hours: 100 h × 0.8 = 80 h; the default 120 h × 0.8 = 96 h.
    assert december["Охотник"].hours_capacity == 80.0
    assert december["Грейд 3"].hours_capacity == 96.0
    assert "сезон ×0.80" in december["Грейд 3"].drivers


def test_with_no_table_and_no_absence_plans_and_report_keep_the_model_capacity(
    engine: Engine,
) -> None:
    ids = _company(engine, capacity=None)
    with UnitOfWork(engine) as uow:
        instance = plans.build_instance(uow.session, Settings(), today=DECEMBER)
    model = client_capacity(RoleGroup.FARMER, Drivers(grade=4)).clients
    anna = next(m for m in instance.managers if m.id == str(ids["anna"]))
    assert anna.capacity == model and not anna.absent and anna.hours is None
    report = {x.manager_id: x for x in cs.manager_loads(engine, today=DECEMBER)}
    assert report[ids["anna"]].capacity == model and report[ids["anna"]].season == ""


def test_the_plan_and_the_report_agree_on_every_capacity_of_the_month(
    engine: Engine, tmp_path: Path
) -> None:
    ids = _company(engine, capacity=None)
    _vacation(engine, ids["boris"], dt.date(2026, 12, 21), dt.date(2026, 12, 31))
    ss.import_season(engine=engine, path=_season_file(tmp_path, "[months]\ndecember = 0.9\n"))
    with UnitOfWork(engine) as uow:
        instance = plans.build_instance(uow.session, Settings(), today=dt.date(2026, 12, 10))
    engine_caps = {int(m.id): m.capacity for m in instance.managers}
    report = cs.manager_loads(engine, today=dt.date(2026, 12, 10))
    assert {x.manager_id: x.capacity for x in report} == engine_caps
    boris = next(x for x in report if x.manager_id == ids["boris"])
    # 40 × 0.9 × 14/23 = 21.9 → 22.
    assert boris.capacity == 22 and "14 из 23" in boris.season


def test_headcount_ignores_the_season(engine: Engine, tmp_path: Path) -> None:
    _company(engine)
    before = cs.headcount(engine, today=DECEMBER)
    ss.import_season(engine=engine, path=_season_file(tmp_path, "[months]\n12 = 0.5\n"))
    after = cs.headcount(engine, today=DECEMBER)
    assert [g.needed for g in after.groups] == [g.needed for g in before.groups]


def test_the_season_table_is_stored_and_read_back(engine: Engine, tmp_path: Path) -> None:
    assert ss.load_season(engine=engine).is_default
    path = _season_file(
        tmp_path, '{"months": {"1": 0.7, "12": 0.8}, "holidays": ["2026-12-31"]}', "s.json"
    )
    table = ss.import_season(engine=engine, path=path)
    assert ss.load_season(engine=engine) == table
    assert table.factor(12) == 0.8 and dt.date(2026, 12, 31) in table.holidays


def test_a_bad_season_file_is_refused_and_the_stored_table_is_kept(
    engine: Engine, tmp_path: Path
) -> None:
    ss.import_season(engine=engine, path=_season_file(tmp_path, "[months]\n12 = 0.8\n"))
    with pytest.raises(BadInputError, match=r"season\.toml"):
        ss.import_season(engine=engine, path=_season_file(tmp_path, "[months\n12 = 0.8\n"))
    with pytest.raises(BadInputError, match="коэффициент"):
        ss.import_season(engine=engine, path=_season_file(tmp_path, "[months]\n12 = 80\n"))
    assert ss.load_season(engine=engine).factor(12) == 0.8
