"""Cross-sell routing on the database: the photo decides, deals and history, idempotent runs."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from clientbase.db import tables as t
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError, ConflictError
from clientbase.services import crosssell as xs

TODAY = dt.date(2026, 11, 20)


def _work(
    s: object, manager: t.Manager, client: t.Client, kind: str, hours: float, day: int
) -> None:
    start = dt.datetime.combine(TODAY - dt.timedelta(days=day), dt.time(10))
    s.add(  # type: ignore[attr-defined]
        t.Activity(
            client_id=client.id,
            manager_id=manager.id,
            type=kind,
            direction="out",
            started=start,
            ended=start + dt.timedelta(hours=hours),
            completed=True,
        )
    )


@pytest.fixture
def company(engine: Engine) -> dict[str, int]:
    """Two account managers (one absorbed by operations), a hunter, a senior, two clients."""
    with UnitOfWork(engine, write=True) as uow:
        s = uow.session
        busy = t.Manager(name="Занятой", role_group="farmer", grade=3, regions="Москва")
        free = t.Manager(name="Свободный", role_group="farmer", grade=3, regions="Москва")
        hunter = t.Manager(name="Охотник", role_group="hunter", grade=2, regions="Москва")
        senior = t.Manager(name="Старший", role_group="farmer", grade=5, regions="Москва")
        s.add_all([busy, free, hunter, senior])
        s.flush()
        one = t.Client(name="Альфа", status="active", tier="B", region="Москва", external_id="A-1")
        two = t.Client(name="Бета", status="active", tier="B", region="Москва")
        s.add_all([one, two])
        s.flush()
        for client, owner in ((one, busy), (two, free)):
            s.add(
                t.Responsibility(
                    client_id=client.id,
                    role="account",
                    manager_id=owner.id,
                    since=dt.date(2026, 1, 1),
                )
            )
        # Busy: 18 h of tasks and 2 h of calls in the last 30 days → operations 90 %.
        for day in range(1, 10):
            _work(s, busy, one, "task", 2.0, day)
        _work(s, busy, one, "call", 2.0, 3)
        # Free: 8 h of meetings and 4 h of tasks → operations 33.3 %.
        for day in (2, 4):
            _work(s, free, two, "meeting", 4.0, day)
        _work(s, free, two, "task", 4.0, 5)
        # Senior: 12 h of meetings → operations 0 %.
        _work(s, senior, two, "meeting", 12.0, 6)
        ids = {
            "busy": busy.id,
            "free": free.id,
            "hunter": hunter.id,
            "senior": senior.id,
            "one": one.id,
            "two": two.id,
        }
        uow.commit()
    return ids


def _file(tmp_path: Path, text: str, name: str = "opps.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _count(engine: Engine, model: type[t.Deal] | type[t.ChangeHistory]) -> int:
    with UnitOfWork(engine) as uow:
        if model is t.Deal:
            q = select(func.count()).select_from(t.Deal).where(t.Deal.source == "cross_sell")
        else:
            q = (
                select(func.count())
                .select_from(t.ChangeHistory)
                .where(t.ChangeHistory.field == "cross_sell")
            )
        return int(uow.session.scalar(q) or 0)


OPPS = "opportunity_id;client;product_line;amount\nX-1;A-1;Серверы;150 000\nX-2;Бета;СХД;90000\n"


def test_routing_follows_the_load_threshold_and_records_why(
    engine: Engine, company: dict[str, int], tmp_path: Path
) -> None:
    report = xs.route_file(engine=engine, path=_file(tmp_path, OPPS), today=TODAY)
    one, two = report.decisions
    # Busy: operations 90 % > 70 % → the hunter; free: 33.3 % ≤ 70 % → keeps it.
    assert (one.manager_id, one.kind, one.status) == (company["hunter"], "hunter", "created")
    assert "90 % > порога 70 %" in one.reason
    assert (two.manager_id, two.kind, two.status) == (company["free"], "account", "created")
    assert "33.3 % ≤ порога 70 %" in two.reason
    assert report.moved == 1
    with UnitOfWork(engine) as uow:
        deals = {
            d.external_id: d
            for d in uow.session.scalars(select(t.Deal).where(t.Deal.source == "cross_sell"))
        }
        assert deals["X-1"].manager_id == company["hunter"] and deals["X-1"].outcome == "open"
        assert deals["X-1"].stage == "cross-sell" and deals["X-1"].amount == 150000.0
        assert deals["X-1"].client_id == company["one"] and deals["X-1"].created == TODAY
        assert deals["X-2"].manager_id == company["free"]
        history = [
            (h.entity_id, h.old_value, h.new_value or "", h.reason)
            for h in uow.session.scalars(
                select(t.ChangeHistory)
                .where(t.ChangeHistory.field == "cross_sell")
                .order_by(t.ChangeHistory.id)
            )
        ]
    assert [h[0] for h in history] == [company["one"], company["two"]]
    assert history[0][1] == f"Занятой (#{company['busy']})"
    assert f"Охотник (#{company['hunter']})" in history[0][2]
    assert "90 % > порога 70 %" in history[0][3]


def test_re_running_the_same_file_creates_nothing_new(
    engine: Engine, company: dict[str, int], tmp_path: Path
) -> None:
    path = _file(tmp_path, OPPS)
    first = xs.route_file(engine=engine, path=path, today=TODAY)
    second = xs.route_file(engine=engine, path=path, today=TODAY + dt.timedelta(days=1))
    assert [d.status for d in second.decisions] == ["exists", "exists"]
    assert [d.deal_id for d in second.decisions] == [d.deal_id for d in first.decisions]
    assert _count(engine, t.Deal) == 2 and _count(engine, t.ChangeHistory) == 2


def test_one_opportunity_without_an_id_is_not_created_twice(
    engine: Engine, company: dict[str, int]
) -> None:
    kw = {"client": "Бета", "product_line": "Ноутбуки", "amount": 5000.0, "today": TODAY}
    first = xs.route_one(engine=engine, **kw)  # type: ignore[arg-type]
    again = xs.route_one(engine=engine, **kw)  # type: ignore[arg-type]
    assert first.status == "created" and again.status == "exists"
    assert again.deal_id == first.deal_id and first.external_id.startswith("auto:")


def test_a_dry_run_decides_but_writes_nothing(
    engine: Engine, company: dict[str, int], tmp_path: Path
) -> None:
    report = xs.route_file(engine=engine, path=_file(tmp_path, OPPS), today=TODAY, dry_run=True)
    assert [d.status for d in report.decisions] == ["planned", "planned"]
    assert _count(engine, t.Deal) == 0 and _count(engine, t.ChangeHistory) == 0


def test_the_stored_rule_table_changes_the_threshold_and_who_takes_over(
    engine: Engine, company: dict[str, int], tmp_path: Path
) -> None:
    rules = _file(
        tmp_path, 'threshold = 30\ntakeover = ["senior_farmer", "hunter"]\n', "rules.toml"
    )
    xs.import_rules(engine=engine, path=rules)
    assert xs.cross_sell_rules(engine=engine).threshold == 30.0
    report = xs.route_file(engine=engine, path=_file(tmp_path, OPPS), today=TODAY, dry_run=True)
    # Free now sits above 30 % too; both go to the senior (operations 0 %), seniors first.
    assert [d.manager_id for d in report.decisions] == [company["senior"]] * 2
    assert {d.kind for d in report.decisions} == {"senior_farmer"}


def test_an_absent_account_manager_loses_the_opportunity(
    engine: Engine, company: dict[str, int], tmp_path: Path
) -> None:
    with UnitOfWork(engine, write=True) as uow:
        uow.session.add(
            t.Absence(
                manager_id=company["free"],
                start_date=TODAY - dt.timedelta(days=2),
                end_date=TODAY + dt.timedelta(days=10),
            )
        )
        uow.commit()
    report = xs.route_file(engine=engine, path=_file(tmp_path, OPPS), today=TODAY, dry_run=True)
    assert report.decisions[1].manager_id == company["hunter"]
    assert "отсутствует" in report.decisions[1].reason


def test_a_bad_file_names_row_and_column_and_writes_nothing(
    engine: Engine, company: dict[str, int], tmp_path: Path
) -> None:
    unknown = "client;product_line;amount\nБета;СХД;100\nГамма;СХД;100\n"
    with pytest.raises(BadInputError, match=r"opps\.csv, строка 3, колонка «client».*Гамма"):
        xs.route_file(engine=engine, path=_file(tmp_path, unknown), today=TODAY)
    bad = "client;product_line;amount\nБета;СХД;много\nБета;;5\n"
    with pytest.raises(BadInputError, match=r"строка 2, колонка «amount».*строка 3"):
        xs.route_file(engine=engine, path=_file(tmp_path, bad), today=TODAY)
    with pytest.raises(BadInputError, match="нет колонок amount"):
        xs.route_file(engine=engine, path=_file(tmp_path, "client;product_line\nБета;СХД\n"))
    twice = "opportunity_id;client;product_line;amount\nX;Бета;СХД;1\nX;Бета;СХД;2\n"
    with pytest.raises(BadInputError, match="повтор строки 2"):
        xs.route_file(engine=engine, path=_file(tmp_path, twice), today=TODAY)
    same = f"client;product_line;amount\nБета;СХД;1\n{company['two']};СХД;1\n"
    with pytest.raises(BadInputError, match="строка 3: та же возможность, что в строке 2"):
        xs.route_file(engine=engine, path=_file(tmp_path, same), today=TODAY)
    assert _count(engine, t.Deal) == 0


def test_the_list_shows_each_routed_deal_with_its_reason(
    engine: Engine, company: dict[str, int], tmp_path: Path
) -> None:
    xs.route_file(engine=engine, path=_file(tmp_path, OPPS), today=TODAY)
    listed = {d.external_id: d for d in xs.list_deals(engine=engine)}
    assert set(listed) == {"X-1", "X-2"}
    assert listed["X-1"].manager == "Охотник" and listed["X-1"].outcome == "open"
    assert (listed["X-1"].reason or "").startswith("операционная нагрузка 90 % > порога 70 %")
    assert "≤ порога 70 %" in (listed["X-2"].reason or "")
    mine = xs.list_deals(engine=engine, manager_id=company["free"])
    assert [d.external_id for d in mine] == ["X-2"]
    with UnitOfWork(engine, write=True) as uow:
        deal = uow.session.get(t.Deal, listed["X-2"].deal_id)
        assert deal is not None
        deal.outcome, deal.closed = "won", TODAY
        uow.commit()
    assert [d.external_id for d in xs.list_deals(engine=engine)] == ["X-1"]
    assert len(xs.list_deals(engine=engine, open_only=False)) == 2


def test_two_runs_of_the_same_file_at_once_create_each_deal_once(
    engine: Engine, company: dict[str, int], tmp_path: Path
) -> None:
    path = _file(tmp_path, OPPS)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        barrier.wait()
        try:
            report = xs.route_file(engine=engine, path=path, today=TODAY)
            outcomes.append(",".join(d.status for d in report.decisions))
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    # One run writes both deals; the other sees them (SQLite waits for the writer) or is
    # refused by the unique (source, external_id) key (PostgreSQL) — never a duplicate.
    assert sorted(outcomes) in (
        ["created,created", "exists,exists"],
        ["conflict", "created,created"],
    )
    assert _count(engine, t.Deal) == 2 and _count(engine, t.ChangeHistory) == 2
