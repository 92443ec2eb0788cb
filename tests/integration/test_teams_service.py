"""Client teams on a real database: handoff, manual transfers, a manager leaving, rule files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from clientbase.db import tables as t
from clientbase.errors import BadInputError, InfeasibleError
from clientbase.services import teams as ts
from clientbase.services.demo import DemoParams, create_demo
from clientbase.services.importing import import_file

TODAY = dt.date(2026, 11, 22)


def _add(engine: Engine, *rows: Any) -> list[int]:
    with Session(engine) as s, s.begin():
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def _manager(name: str, group: str, **kw: Any) -> t.Manager:
    return t.Manager(name=name, role_group=group, email=f"{name.lower()}@firm.ru", **kw)


def _client(name: str, status: str = "active", **kw: Any) -> t.Client:
    return t.Client(name=name, status=status, external_id=name, **kw)


def _resp(client_id: int, role: str, manager_id: int, since: dt.date | None = None) -> Any:
    return t.Responsibility(
        client_id=client_id, role=role, manager_id=manager_id, since=since or dt.date(2026, 1, 1)
    )


def _open(engine: Engine, client_id: int) -> dict[str, int]:
    with Session(engine) as s:
        rows = s.scalars(
            select(t.Responsibility).where(
                t.Responsibility.client_id == client_id, t.Responsibility.until.is_(None)
            )
        )
        return {r.role: r.manager_id for r in rows}


# ---------------------------------------------------------------- handoff on the demo


def _won_clients_without_farmer(engine: Engine) -> list[int]:
    with Session(engine) as s:
        won = set(s.scalars(select(t.Deal.client_id).where(t.Deal.outcome == "won")))
        clients = {c.id: c for c in s.scalars(select(t.Client).where(t.Client.id.in_(won)))}
        groups = dict(s.execute(select(t.Manager.id, t.Manager.role_group)).all())
        opened = s.scalars(select(t.Responsibility).where(t.Responsibility.until.is_(None)))
        account: dict[int, int] = {}
        hunter_held: set[int] = set()
        for r in opened:
            if r.role == "account":
                account[r.client_id] = r.manager_id
            if r.role in ("acquisition", "sales") and groups[r.manager_id] == "hunter":
                hunter_held.add(r.client_id)
    return sorted(
        cid
        for cid, c in clients.items()
        if c.status != "lost"
        and (
            c.status == "prospect"
            or cid in hunter_held
            or groups.get(account.get(cid, -1)) not in ("farmer", "head")
        )
    )


def test_handoff_gives_every_buying_client_of_the_demo_a_farmer_once(engine: Engine) -> None:
    create_demo(engine, DemoParams(clients=300, months=6, today=TODAY))
    stuck = _won_clients_without_farmer(engine)
    assert stuck, "the demo keeps some clients a hunter never handed off"
    with Session(engine) as s:
        hunters_before = {
            (r.client_id, r.manager_id)
            for r in s.scalars(
                select(t.Responsibility).where(
                    t.Responsibility.client_id.in_(stuck),
                    t.Responsibility.role == "acquisition",
                    t.Responsibility.until.is_(None),
                )
            )
        }

    report = ts.run_handoff(engine=engine, today=TODAY)

    assert sorted(i.client_id for i in report.handed_off) == stuck
    assert not report.unassigned
    assert _won_clients_without_farmer(engine) == []
    with Session(engine) as s:
        groups = dict(s.execute(select(t.Manager.id, t.Manager.role_group)).all())
        for cid in stuck:
            rows = list(
                s.scalars(select(t.Responsibility).where(t.Responsibility.client_id == cid))
            )
            account = [r for r in rows if r.role == "account" and r.until is None]
            assert len(account) == 1 and account[0].reason == "handoff"
            assert groups[account[0].manager_id] == "farmer"
            assert s.get(t.Client, cid).status != "prospect"  # type: ignore[union-attr]
        # The hunter keeps his acquisition in the history, closed on the handoff day.
        for cid, hunter in hunters_before:
            closed = s.scalars(
                select(t.Responsibility).where(
                    t.Responsibility.client_id == cid,
                    t.Responsibility.manager_id == hunter,
                    t.Responsibility.role == "acquisition",
                )
            ).one()
            assert closed.until == TODAY
        reasons = set(
            s.scalars(select(t.ChangeHistory.reason).where(t.ChangeHistory.entity_id.in_(stuck)))
        )
        assert "handoff" in reasons
        count = s.scalar(select(func.count()).select_from(t.Responsibility))

    again = ts.run_handoff(engine=engine, today=TODAY)

    assert again.items == []
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(t.Responsibility)) == count


def test_a_dry_run_of_the_handoff_writes_nothing(engine: Engine) -> None:
    hunter, farmer = _add(engine, _manager("Hunter", "hunter"), _manager("Farmer", "farmer"))
    (cid,) = _add(engine, _client("Buyer", "prospect"))
    _add(
        engine,
        _resp(cid, "acquisition", hunter),
        t.Deal(
            client_id=cid, manager_id=hunter, amount=10, created=TODAY, closed=TODAY, outcome="won"
        ),
    )
    report = ts.run_handoff(engine=engine, today=TODAY, dry_run=True)
    assert [i.manager_id for i in report.items] == [farmer]
    assert _open(engine, cid) == {"acquisition": hunter}


# ---------------------------------------------------------------- handoff on import


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_importing_a_won_deal_of_a_prospect_hands_it_off_once(
    engine: Engine, tmp_path: Path
) -> None:
    hunter, farmer, far = _add(
        engine,
        _manager("Hunter", "hunter"),
        _manager("Farmer", "farmer", regions="Москва"),
        _manager("Far", "farmer", regions="Сибирь"),
    )
    (cid,) = _add(engine, _client("Prospect", "prospect", region="Москва"))
    _add(
        engine,
        _resp(cid, "acquisition", hunter),
        t.Deal(client_id=cid, manager_id=hunter, amount=50, created=TODAY, outcome="open"),
        t.Activity(
            client_id=cid,
            manager_id=hunter,
            type="task",
            started=dt.datetime(2026, 11, 1),
            completed=False,
        ),
    )
    deals = _write(
        tmp_path / "deals.csv",
        "deal_id,client,manager,amount,outcome,created,closed\n"
        "D1,Prospect,hunter@firm.ru,1000,won,2026-11-20,2026-11-21\n",
    )

    report = import_file(engine=engine, entity="deals", path=deals, today=TODAY)

    assert report.ok, [e.line() for e in report.errors]
    assert _open(engine, cid) == {"account": farmer}
    with Session(engine) as s:
        client = s.get(t.Client, cid)
        assert client is not None and client.status == "active"
        assert client.first_purchase == dt.date(2026, 11, 21)
        won = s.scalars(select(t.Deal).where(t.Deal.outcome == "won")).one()
        assert won.manager_id == hunter  # the hunter keeps the credit for the first purchase
        open_deal = s.scalars(select(t.Deal).where(t.Deal.outcome == "open")).one()
        task = s.scalars(select(t.Activity)).one()
        assert open_deal.manager_id == farmer and task.manager_id == farmer
        rows = s.scalar(select(func.count()).select_from(t.Responsibility))

    import_file(engine=engine, entity="deals", path=deals, today=TODAY)

    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(t.Responsibility)) == rows
    assert far != farmer


# ---------------------------------------------------------------- manual transfer


def test_a_hunter_is_refused_as_account_manager_naming_the_rule(engine: Engine) -> None:
    hunter, farmer = _add(engine, _manager("Hunter", "hunter"), _manager("Farmer", "farmer"))
    (cid,) = _add(engine, _client("Client"))
    with pytest.raises(BadInputError, match="охотники и фермеры врозь"):
        ts.set_responsible(engine=engine, client=cid, role="account", manager=hunter)
    with pytest.raises(BadInputError, match="охотники и фермеры врозь"):
        ts.set_responsible(engine=engine, client=cid, role="acquisition", manager="Farmer")
    assert _open(engine, cid) == {}
    assert farmer


def test_a_manual_transfer_moves_open_work_and_writes_history(engine: Engine) -> None:
    first, second = _add(engine, _manager("First", "farmer"), _manager("Second", "farmer"))
    (cid,) = _add(engine, _client("Client"))
    _add(
        engine,
        _resp(cid, "account", first),
        t.Deal(client_id=cid, manager_id=first, amount=5, created=TODAY, outcome="open"),
        t.Deal(client_id=cid, manager_id=first, amount=5, created=TODAY, outcome="won"),
        t.Activity(
            client_id=cid,
            manager_id=first,
            type="call",
            started=dt.datetime(2026, 11, 1),
            completed=False,
        ),
        t.Activity(
            client_id=cid,
            manager_id=first,
            type="call",
            started=dt.datetime(2026, 10, 1),
            completed=True,
        ),
    )

    result = ts.set_responsible(
        engine=engine, client="Client", role="account", manager="second@firm.ru", today=TODAY
    )

    assert (result.old_manager_id, result.manager_id) == (first, second)
    assert (result.deals_moved, result.activities_moved) == (1, 1)
    team = ts.client_team(engine=engine, client=cid)
    assert [(m.role, m.manager_id) for m in team.current] == [("account", second)]
    assert [(m.manager_id, m.until) for m in team.past] == [(first, TODAY)]
    assert {h.field for h in team.history} >= {"responsible:account", "open_work"}
    assert (
        ts.set_responsible(engine=engine, client=cid, role="account", manager=second).changed
        is False
    )


def test_an_unknown_role_or_manager_is_bad_input(engine: Engine) -> None:
    (farmer,) = _add(engine, _manager("Farmer", "farmer"))
    (cid,) = _add(engine, _client("Client"))
    with pytest.raises(BadInputError, match="Неизвестная роль"):
        ts.set_responsible(engine=engine, client=cid, role="boss", manager=farmer)
    with pytest.raises(BadInputError, match="не найден"):
        ts.set_responsible(engine=engine, client=cid, role="account", manager="nobody@x.ru")


# ---------------------------------------------------------------- a manager leaves


def test_a_leaving_manager_hands_over_every_client_deal_and_activity(engine: Engine) -> None:
    create_demo(engine, DemoParams(clients=300, months=6, today=TODAY))
    with Session(engine) as s:
        # The busiest dealer manager of the demo.
        leaving = s.scalar(
            select(t.Responsibility.manager_id)
            .join(t.Manager, t.Manager.id == t.Responsibility.manager_id)
            .where(t.Responsibility.until.is_(None), t.Manager.team == "Дилеры")
            .group_by(t.Responsibility.manager_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        assert leaving is not None
        held = s.scalar(
            select(func.count()).where(
                t.Responsibility.manager_id == leaving, t.Responsibility.until.is_(None)
            )
        )
    preview = ts.manager_leaves(engine=engine, manager=leaving, today=TODAY)
    assert len(preview.moves) == held and not preview.unplaced
    assert preview.open_deals_before > 0

    report = ts.manager_leaves(engine=engine, manager=leaving, today=TODAY, apply=True)

    assert report.total_open_after == report.total_open_before
    assert (report.open_deals_after, report.open_activities_after) == (0, 0)
    with Session(engine) as s:
        mgr = s.get(t.Manager, leaving)
        assert mgr is not None and not mgr.active
        assert not s.scalar(
            select(func.count()).where(
                t.Responsibility.manager_id == leaving, t.Responsibility.until.is_(None)
            )
        )
        moved = {(m.client_id, m.role): m.manager_id for m in report.moves}
        for (cid, role), new in moved.items():
            current = s.scalars(
                select(t.Responsibility).where(
                    t.Responsibility.client_id == cid,
                    t.Responsibility.role == role,
                    t.Responsibility.until.is_(None),
                )
            ).one()
            assert current.manager_id == new
            assert current.reason.startswith(f"leave #{leaving}")


def test_a_leave_nobody_can_absorb_is_refused_and_changes_nothing(engine: Engine) -> None:
    (lone,) = _add(engine, _manager("Lone", "hunter"))
    (cid,) = _add(engine, _client("Lead", "prospect"))
    _add(engine, _resp(cid, "acquisition", lone))
    with pytest.raises(InfeasibleError, match="не может уйти"):
        ts.manager_leaves(engine=engine, manager=lone, today=TODAY, apply=True)
    assert _open(engine, cid) == {"acquisition": lone}
    with Session(engine) as s:
        assert s.get(t.Manager, lone).active  # type: ignore[union-attr]


# ---------------------------------------------------------------- rule files


RULES_CSV = """name,priority,role,condition,target
Телефонная служба продаёт разовым мелким,10,sales,won_deals=1; purchases<1000,manager:phone@firm.ru
Телефонная служба администрирует остальных,20,admin,status=active|dormant,manager:phone@firm.ru
VIP ведёт руководитель,5,account,tier=VIP,group:head
Промышленным — сервисный инженер,30,service,industry=Промышленность,group:service
"""


@pytest.mark.parametrize("suffix", [".csv", ".json", ".toml", ".xlsx"])
def test_rules_export_and_reimport_unchanged(engine: Engine, tmp_path: Path, suffix: str) -> None:
    _add(engine, _manager("Phone", "admin"))
    first = ts.import_rules(engine=engine, path=_write(tmp_path / "rules.csv", RULES_CSV))
    assert (first.inserted, first.updated) == (4, 0)
    listed = ts.list_rules(engine=engine)
    assert [r.priority for r in listed] == [5, 10, 20, 30]

    target = tmp_path / f"export{suffix}"
    assert ts.export_rules(engine=engine, path=target) == 4
    again = ts.import_rules(engine=engine, path=target)

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert ts.list_rules(engine=engine) == listed


def test_a_rule_giving_account_to_a_hunter_is_refused_with_its_row(
    engine: Engine, tmp_path: Path
) -> None:
    _add(engine, _manager("Hunter", "hunter"))
    bad = _write(
        tmp_path / "rules.csv",
        "name,role,condition,target\nок,service,*,group:service\n"
        "плохо,account,tier=VIP,manager:hunter@firm.ru\n",
    )
    with pytest.raises(BadInputError, match="охотники и фермеры врозь"):
        ts.import_rules(engine=engine, path=bad)
    bad_group = _write(
        tmp_path / "g.json",
        json.dumps([{"name": "x", "role": "account", "target": "group:hunter"}]),
    )
    with pytest.raises(BadInputError, match="правило 1"):
        ts.import_rules(engine=engine, path=bad_group)
    bad_row = _write(
        tmp_path / "r.csv", "name,role,condition,target\nx,account,tier<VIP,group:head\n"
    )
    with pytest.raises(BadInputError, match="строка 2"):
        ts.import_rules(engine=engine, path=bad_row)
    assert ts.list_rules(engine=engine) == []


def test_import_with_replace_removes_rules_missing_from_the_file(
    engine: Engine, tmp_path: Path
) -> None:
    _add(engine, _manager("Phone", "admin"))
    ts.import_rules(engine=engine, path=_write(tmp_path / "a.csv", RULES_CSV))
    only = _write(
        tmp_path / "b.toml",
        '[[rules]]\nname = "VIP"\nrole = "account"\n'
        'condition = {tier = ["VIP"]}\ntarget = {group = "head"}\n',
    )
    result = ts.import_rules(engine=engine, path=only, replace=True)
    assert (result.inserted, result.removed) == (1, 4)
    assert [r.name for r in ts.list_rules(engine=engine)] == ["VIP"]


def test_the_team_of_a_client_shows_roles_its_rules_require(engine: Engine, tmp_path: Path) -> None:
    phone, farmer = _add(engine, _manager("Phone", "admin"), _manager("Farmer", "farmer"))
    (cid,) = _add(engine, _client("Factory", industry="Промышленность"))
    _add(engine, _resp(cid, "account", farmer))
    ts.import_rules(engine=engine, path=_write(tmp_path / "rules.csv", RULES_CSV))
    team = ts.client_team(engine=engine, client="Factory")
    needed = {n.role: (n.rule, n.holder.manager_id if n.holder else None) for n in team.needed}
    assert needed == {
        "account": (None, farmer),
        "service": ("Промышленным — сервисный инженер", None),
        "admin": ("Телефонная служба администрирует остальных", None),
    }
    assert phone


def test_the_three_rule_files_of_the_guide_say_the_same(tmp_path: Path) -> None:
    guide = (Path(__file__).parents[2] / "docs" / "roles.md").read_text(encoding="utf-8")
    parsed = []
    for fmt in ("csv", "json", "toml"):
        block = guide.split(f"```{fmt}\n", 1)[1].split("```", 1)[0]
        parsed.append(ts.read_rules_file(_write(tmp_path / f"rules.{fmt}", block)))
    assert parsed[0] == parsed[1] == parsed[2]
    assert [r.role.value for r in parsed[0]] == ["account", "sales", "admin", "service"]


def test_handoff_puts_right_a_buying_client_imported_with_a_hunter_as_account(
    engine: Engine,
) -> None:
    hunter, farmer = _add(engine, _manager("Hunter", "hunter"), _manager("Farmer", "farmer"))
    (cid,) = _add(engine, _client("FromCrm", "active"))
    _add(
        engine,
        _resp(cid, "account", hunter),
        t.Deal(
            client_id=cid, manager_id=hunter, amount=9, created=TODAY, closed=TODAY, outcome="won"
        ),
    )
    report = ts.run_handoff(engine=engine, today=TODAY)
    assert [(i.client_id, i.manager_id) for i in report.handed_off] == [(cid, farmer)]
    assert _open(engine, cid) == {"account": farmer}


def test_a_role_is_ended_by_hand_unless_open_work_would_be_left_with_nobody(
    engine: Engine,
) -> None:
    service, farmer = _add(engine, _manager("Service", "service"), _manager("Farmer", "farmer"))
    quiet, busy = _add(engine, _client("Quiet"), _client("Busy"))
    _add(
        engine,
        _resp(quiet, "service", service),
        _resp(busy, "service", service),
        t.Activity(
            client_id=busy,
            manager_id=service,
            type="task",
            started=dt.datetime(2026, 11, 1),
            completed=False,
        ),
    )
    ended = ts.end_responsibility(engine=engine, client="Quiet", role="service", today=TODAY)
    assert ended.manager_id == service and _open(engine, quiet) == {}
    with pytest.raises(BadInputError, match="открыто"):
        ts.end_responsibility(engine=engine, client="Busy", role="service", today=TODAY)
    assert _open(engine, busy) == {"service": service}
    assert ts.end_responsibility(engine=engine, client=quiet, role="service").manager_id is None
    assert farmer


def test_one_rule_is_saved_changed_and_deleted_by_name(engine: Engine) -> None:
    row = ts.save_rule(
        engine=engine, name="VIP", role="account", target="group:head", condition="tier=VIP"
    )
    assert (row.condition, row.target, row.priority) == ("tier=VIP", "group:head", 100)
    changed = ts.save_rule(
        engine=engine,
        name="VIP",
        role="account",
        target="group:head",
        condition="tier=VIP|A",
        priority=3,
    )
    assert changed.id == row.id and (changed.condition, changed.priority) == ("tier=VIP|A", 3)
    with pytest.raises(BadInputError, match="охотники и фермеры врозь"):
        ts.save_rule(engine=engine, name="bad", role="acquisition", target="group:farmer")
    assert ts.delete_rule(engine=engine, name="VIP") and not ts.delete_rule(
        engine=engine, name="VIP"
    )
    assert ts.list_rules(engine=engine) == []


def test_an_imported_team_keeps_hunters_and_farmers_apart_naming_the_rows(
    engine: Engine, tmp_path: Path
) -> None:
    _add(engine, _manager("Hunter", "hunter"), _manager("Farmer", "farmer"))
    _add(engine, _client("Alpha", "prospect"), _client("Beta"))
    path = _write(
        tmp_path / "teams.csv",
        "client;role;manager\nAlpha;account;hunter@firm.ru\nBeta;acquisition;farmer@firm.ru\n"
        "Beta;account;farmer@firm.ru\n",
    )
    report = import_file(engine=engine, entity="teams", path=path)
    assert [(e.row, e.column) for e in report.errors] == [(2, "role"), (3, "role")]
    assert "охотник не может вести клиента" in report.errors[0].message
    assert "не может заниматься привлечением" in report.errors[1].message
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(t.Responsibility)) == 0
