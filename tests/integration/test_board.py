"""The daily board: plan vs fact, forecast, overdue tasks, unanswered requests, quiet clients."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from clientbase.db.tables import Activity, Client, Manager
from clientbase.db.uow import UnitOfWork
from clientbase.services import accounts, board, capacity
from clientbase.services.demo import DemoParams, create_demo
from clientbase.web.app import create_app
from web_helpers import log_in

TODAY = dt.date(2026, 11, 22)


def test_the_board_lists_the_overloaded_managers_buried_clients(engine: Engine) -> None:
    create_demo(engine, DemoParams(clients=900, months=12, today=TODAY))
    loads = capacity.manager_loads(engine, today=TODAY)
    worst = max((m for m in loads if m.role_group == "farmer"), key=lambda m: m.utilization)
    assert worst.status == "over"
    result = board.daily_board(engine=engine, today=TODAY)
    row = next(r for r in result.rows if r.manager_id == worst.manager_id)
    expected = {
        c.client_id
        for c in capacity.buried_clients(engine, today=TODAY, limit=100_000).clients
        if c.manager_id == worst.manager_id
    }
    assert expected and {c.client_id for c in row.buried} == expected
    assert any("без контакта" in a for a in row.alerts)


def test_overdue_tasks_and_unanswered_requests_are_counted_once(engine: Engine) -> None:
    with UnitOfWork(engine, write=True) as uow:
        s = uow.session
        m = Manager(name="Фермер", role_group="farmer", grade=3)
        c = Client(name="ООО Ромашка", status="active", tier="B", potential=1000)
        s.add_all([m, c])
        s.flush()
        at = dt.datetime.combine(TODAY, dt.time(10))
        s.add_all(
            [
                Activity(client_id=c.id, manager_id=m.id, type="task", completed=False,
                         started=at - dt.timedelta(days=3), due=at - dt.timedelta(days=1)),
                Activity(client_id=c.id, manager_id=m.id, type="task", completed=False,
                         started=at, due=at + dt.timedelta(days=2)),
                Activity(client_id=c.id, manager_id=m.id, type="inbound", direction="inbound",
                         started=at - dt.timedelta(days=2)),
                Activity(client_id=c.id, manager_id=m.id, type="call", direction="outbound",
                         started=at - dt.timedelta(days=1)),
                Activity(client_id=c.id, manager_id=m.id, type="inbound", direction="inbound",
                         started=at - dt.timedelta(hours=2)),
            ]
        )  # fmt: skip
        uow.commit()
        manager_id = m.id
    row = board.daily_board(engine=engine, today=TODAY, manager_ids={manager_id}).rows[0]
    assert row.overdue_tasks == 1 and row.unanswered == 1


def test_the_board_page_shows_a_manager_only_himself(engine: Engine) -> None:
    create_demo(engine, DemoParams(clients=200, months=3, today=dt.date.today()))
    made = accounts.ensure_demo_accounts(engine, password="board-pass-1")
    me = next(a for a in made if a.login == "manager")
    with TestClient(create_app(engine)) as client:
        log_in(client, "manager", "board-pass-1")
        page = client.get("/board")
        assert page.status_code == 200 and 'id="board"' in page.text
        rows = page.text.split('id="board"')[1].split("</tbody>")[0].count("<tr><td>")
        assert rows == 1 and me.name in page.text
    with TestClient(create_app(engine)) as client:
        log_in(client, "rop", "board-pass-1")
        rows = client.get("/board").text.split('id="board"')[1].split("</tbody>")[0]
        assert rows.count("<tr><td>") > 5
