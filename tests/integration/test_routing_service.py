"""Routing new clients and leads on a real database: eligibility, capacity, rules, fairness."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from clientbase.core.routing import RoutingStrategy
from clientbase.core.types import ClientStatus, Role
from clientbase.db import tables as t
from clientbase.errors import BadInputError
from clientbase.services import routing as rs
from clientbase.services import teams as ts

TODAY = dt.date(2026, 11, 22)
HEADER = "client_id,name,region,tier,potential\n"


def _add(engine: Engine, *rows: Any) -> list[int]:
    with Session(engine) as s, s.begin():
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def _hunter(name: str, **kw: Any) -> t.Manager:
    return t.Manager(name=name, role_group="hunter", email=f"{name.lower()}@firm.ru", **kw)


def _leads(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _owners(engine: Engine, role: str = "acquisition") -> dict[str, int]:
    with Session(engine) as s:
        stmt = (
            select(t.Client.name, t.Responsibility.manager_id)
            .join(t.Responsibility, t.Responsibility.client_id == t.Client.id)
            .where(t.Responsibility.role == role, t.Responsibility.until.is_(None))
        )
        return {name: mid for name, mid in s.execute(stmt)}


def test_new_leads_become_prospects_of_an_eligible_hunter_and_known_ones_go_to_their_owner(
    engine: Engine, tmp_path: Path
) -> None:
    moscow, siberia = _add(
        engine, _hunter("Moscow", regions="Москва"), _hunter("Siberia", regions="Сибирь")
    )
    leads = _leads(tmp_path / "leads.csv", ["L1,Альфа,Москва,B,100", "L2,Бета,Сибирь,C,50"])

    report = rs.route_file(engine=engine, path=leads, today=TODAY)

    assert report.created_clients == 2 and len(report.assigned) == 2
    assert _owners(engine) == {"Альфа": moscow, "Бета": siberia}
    assert all(d.reason.startswith("routing:least-load") for d in report.assigned)
    with Session(engine) as s:
        assert set(s.scalars(select(t.Client.status))) == {"prospect"}
        reasons = set(s.scalars(select(t.Responsibility.reason)))
        assert reasons == {"routing:least-load"}

    again = rs.route_file(engine=engine, path=leads, today=TODAY)

    assert again.created_clients == 0 and not again.assigned
    assert {(d.client, d.manager_id) for d in again.existing} == {
        ("Альфа", moscow),
        ("Бета", siberia),
    }


def test_the_least_relatively_loaded_hunter_gets_the_lead(engine: Engine, tmp_path: Path) -> None:
    busy, free = _add(
        engine, _hunter("Busy", capacity_override=10), _hunter("Free", capacity_override=40)
    )
    prospects = _add(engine, *[t.Client(name=f"P{i}", status="prospect") for i in range(8)])
    _add(
        engine,
        *[
            t.Responsibility(
                client_id=c, role="acquisition", manager_id=busy if i < 5 else free, since=TODAY
            )
            for i, c in enumerate(prospects)
        ],
    )
    # Busy: 5/10 = 50 %; Free: 3/40 = 7.5 % → Free, although Busy holds fewer than twice as many.
    rs.route_file(engine=engine, path=_leads(tmp_path / "l.csv", ["N,Новый,,C,1"]), today=TODAY)
    assert _owners(engine)["Новый"] == free


def test_full_absent_and_inactive_hunters_get_nothing_and_the_queue_says_why(
    engine: Engine, tmp_path: Path
) -> None:
    full, away, gone = _add(
        engine,
        _hunter("Full", capacity_override=1),
        _hunter("Away"),
        _hunter("Gone", active=False),
    )
    (held,) = _add(engine, t.Client(name="Held", status="prospect"))
    _add(
        engine,
        t.Responsibility(client_id=held, role="acquisition", manager_id=full, since=TODAY),
        t.Absence(manager_id=away, start_date=TODAY, end_date=TODAY + dt.timedelta(days=7)),
    )

    report = rs.route_file(
        engine=engine, path=_leads(tmp_path / "l.csv", ["Q,Очередь,,C,1"]), today=TODAY
    )

    (decision,) = report.unassigned
    assert decision.client == "Очередь" and "загружены полностью" in decision.reason
    assert "Очередь" not in _owners(engine)
    queue = rs.route_queue(engine=engine, today=TODAY, dry_run=True)
    assert [d.client for d in queue.unassigned] == ["Очередь"]
    # Back from vacation: the queued client is routed on the next run.
    later = rs.route_queue(engine=engine, today=TODAY + dt.timedelta(days=8))
    assert [(d.client, d.manager_id) for d in later.assigned] == [("Очередь", away)]
    assert gone not in _owners(engine).values()


def test_a_rule_sends_vip_clients_to_the_head_of_sales(engine: Engine, tmp_path: Path) -> None:
    head, farmer = _add(
        engine,
        t.Manager(name="Head", role_group="head"),
        t.Manager(name="Farmer", role_group="farmer", grade=5),
    )
    _add(
        engine,
        t.Client(name="Big", status="active", tier="VIP"),
        t.Client(name="Small", status="active", tier="C"),
    )
    rules = tmp_path / "rules.csv"
    rules.write_text("name,priority,role,condition,target\nVIP,1,account,tier=VIP,group:head\n")
    ts.import_rules(engine=engine, path=rules)

    report = rs.route_queue(engine=engine, today=TODAY)

    assert {d.client: d.manager_id for d in report.assigned} == {"Big": head, "Small": farmer}
    assert {d.client: d.rule for d in report.assigned} == {"Big": "VIP", "Small": None}
    with Session(engine) as s:
        reasons = set(s.scalars(select(t.Responsibility.reason)))
    assert reasons == {"routing:rule:VIP", "routing:least-load"}
    assert rs.route_queue(engine=engine, today=TODAY).decisions == []


def test_round_robin_per_team_continues_where_the_last_run_stopped(
    engine: Engine, tmp_path: Path
) -> None:
    a, b, c = _add(engine, *[_hunter(n, team="Восток") for n in ("A", "B", "C")])
    rs.set_strategy(engine=engine, strategy=RoutingStrategy.ROUND_ROBIN, team="Восток")
    first = rs.route_file(
        engine=engine, path=_leads(tmp_path / "1.csv", ["1,Один,,C,3", "2,Два,,C,2"]), today=TODAY
    )
    second = rs.route_file(
        engine=engine, path=_leads(tmp_path / "2.csv", ["3,Три,,C,1", "4,Четыре,,C,0"]), today=TODAY
    )
    order = [d.manager_id for d in first.assigned + second.assigned]
    assert order == [a, b, c, a]
    assert rs.routing_config(engine=engine).teams == {"Восток": RoutingStrategy.ROUND_ROBIN}


def test_the_fairness_report_compares_routed_shares_with_capacity_shares(
    engine: Engine, tmp_path: Path
) -> None:
    ids = _add(engine, *[_hunter(f"H{c}", capacity_override=c) for c in (100, 200, 300)])
    rows = [f"L{i},Лид {i},,C,{i}" for i in range(300)]
    rs.route_file(engine=engine, path=_leads(tmp_path / "l.csv", rows), today=TODAY)

    report = rs.fairness_report(engine=engine, since=TODAY, until=TODAY)

    assert [(r.manager_id, r.routed) for r in report.rows] == list(
        zip(ids, (50, 100, 150), strict=True)
    )
    assert [r.capacity_share for r in report.rows] == [16.67, 33.33, 50.0]
    assert report.max_deviation <= 2.0
    empty = rs.fairness_report(engine=engine, since=dt.date(2020, 1, 1), until=dt.date(2020, 2, 1))
    assert empty.rows == [] and empty.max_deviation == 0.0


def test_a_dry_run_routes_nothing_and_creates_no_client(engine: Engine, tmp_path: Path) -> None:
    _add(engine, _hunter("Only"))
    report = rs.route_file(
        engine=engine,
        path=_leads(tmp_path / "l.csv", ["X,Пробный,,C,1"]),
        today=TODAY,
        dry_run=True,
    )
    assert len(report.assigned) == 1 and report.dry_run
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(t.Client)) == 0
        assert s.scalar(select(func.count()).select_from(t.Responsibility)) == 0


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        (["1,,Москва,C,1"], "строка 2, колонка «name»"),
        (["1,Альфа,Москва,Z,1"], "строка 2, колонка «tier»"),
        (["1,Альфа,Москва,C,много"], "колонка «potential»"),
        (["1,Альфа,,C,1", "1,Бета,,C,1"], "строка 3, колонка «client_id»: повтор строки 2"),
    ],
)
def test_a_bad_leads_file_names_the_row_and_column_and_writes_nothing(
    engine: Engine, tmp_path: Path, rows: list[str], fragment: str
) -> None:
    _add(engine, _hunter("Only"))
    with pytest.raises(BadInputError, match=fragment):
        rs.route_file(engine=engine, path=_leads(tmp_path / "l.csv", rows), today=TODAY)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(t.Client)) == 0


def test_one_lead_arriving_alone_is_routed_with_a_reason(engine: Engine) -> None:
    (hunter,) = _add(engine, _hunter("Only", regions="Москва"))
    report = rs.route_lead(
        engine=engine, lead={"name": "Звонок", "region": "Москва", "tier": "b"}, today=TODAY
    )
    (decision,) = report.assigned
    assert decision.manager_id == hunter and decision.reason.startswith("routing:least-load")
    with pytest.raises(BadInputError, match="tier"):
        rs.route_lead(engine=engine, lead={"name": "Плохой", "tier": "Z"}, today=TODAY)
    again = rs.route_lead(engine=engine, lead={"name": "Звонок"}, today=TODAY)
    assert [(d.existing, d.manager_id) for d in again.decisions] == [(True, hunter)]


def test_configured_needed_roles_make_the_queue_route_a_service_engineer(engine: Engine) -> None:
    farmer, service = _add(
        engine,
        t.Manager(name="Farmer", role_group="farmer"),
        t.Manager(name="Engineer", role_group="service"),
    )
    (cid,) = _add(engine, t.Client(name="Active", status="active"))
    _add(engine, t.Responsibility(client_id=cid, role="account", manager_id=farmer, since=TODAY))
    assert rs.route_queue(engine=engine, today=TODAY).decisions == []
    rs.set_needed_roles(
        engine=engine, status=ClientStatus.ACTIVE, roles=[Role.ACCOUNT, Role.SERVICE]
    )
    report = rs.route_queue(engine=engine, today=TODAY)
    assert [(d.role, d.manager_id) for d in report.assigned] == [("service", service)]
    with pytest.raises(BadInputError, match="acquisition"):
        rs.set_needed_roles(engine=engine, status=ClientStatus.ACTIVE, roles=[Role.ACQUISITION])
    assert rs.needed_roles_config(engine=engine)[ClientStatus.ACTIVE] == (
        Role.ACCOUNT,
        Role.SERVICE,
    )
