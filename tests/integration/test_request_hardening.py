"""The small holes a hostile or careless user found, each closed and kept closed.

Types of the lead API, control characters, body sizes, upload names, capacity settings,
formula-safe list exports, interrupted jobs, the import report, private database files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from clientbase import cli
from clientbase.core.access import UserRole
from clientbase.db.engine import make_engine
from clientbase.db.tables import Client, Contact, Job, Manager
from clientbase.db.uow import UnitOfWork
from clientbase.services import accounts, backup, jobs
from clientbase.services.demo import DemoParams, create_demo
from clientbase.web.app import create_app
from clientbase.web.uploads import safe_upload_name
from web_helpers import log_in

PASSWORD = "hardening-pass-1"


@pytest.fixture
def web(engine: Engine) -> Iterator[tuple[TestClient, str]]:
    create_demo(engine, DemoParams(clients=40, managers=3, months=2, today=dt.date(2026, 11, 22)))
    accounts.create_user(engine, login="rop", password=PASSWORD, role=UserRole.HEAD)
    with TestClient(create_app(engine)) as client:
        yield client, log_in(client, "rop", PASSWORD)


def _first_client(engine: Engine) -> int:
    with UnitOfWork(engine) as uow:
        return int(uow.session.scalar(select(func.min(Client.id))) or 0)


def test_a_lead_whose_name_is_a_list_or_an_object_is_refused_and_creates_nothing(
    web: tuple[TestClient, str], engine: Engine
) -> None:
    client, csrf = web
    before = backup.table_states(engine)
    for name in (["a", "b"], {"x": 1}, 42, True):
        answer = client.post("/api/v1/leads", json={"name": name}, headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 422, (name, answer.text)
    empty = client.post("/api/v1/leads", json={"name": None}, headers={"X-CSRF-Token": csrf})
    assert empty.status_code == 400 and "пустое название" in empty.json()["detail"]
    unknown = client.post(
        "/api/v1/leads", json={"name": "ООО А", "colour": "red"}, headers={"X-CSRF-Token": csrf}
    )
    assert unknown.status_code == 422
    states = backup.table_states(engine)
    assert {k: v for k, v in states.items() if k not in ("user_sessions", "users")} == {
        k: v for k, v in before.items() if k not in ("user_sessions", "users")
    }
    good = client.post(
        "/api/v1/leads",
        json={"name": "ООО Лид", "region": "Москва", "potential": 1000},
        headers={"X-CSRF-Token": csrf},
    )
    assert good.status_code == 200, good.text


def test_a_nul_or_control_character_in_a_form_or_json_is_refused(
    web: tuple[TestClient, str], engine: Engine
) -> None:
    client, csrf = web
    client_id = _first_client(engine)
    answer = client.post(
        f"/clients/{client_id}/contacts",
        data={"csrf_token": csrf, "name": "Иван\x00Петров"},
        follow_redirects=False,
    )
    assert answer.status_code == 400 and "управляющие символы" in answer.text
    bell = client.post("/api/v1/leads", json={"name": "ООО \u0007"}, headers={"X-CSRF-Token": csrf})
    assert bell.status_code == 400
    assert client.get("/clients", params={"search": "a\x00b"}).status_code == 400
    with UnitOfWork(engine) as uow:
        assert (
            uow.session.scalar(
                select(func.count()).select_from(Contact).where(Contact.name.contains("Иван"))
            )
            == 0
        )
    fine = client.post(
        f"/clients/{client_id}/contacts",
        data={"csrf_token": csrf, "name": "Иван Петров"},
        follow_redirects=False,
    )
    assert fine.status_code == 303


def test_a_body_over_its_limit_is_refused_before_it_is_read(
    web: tuple[TestClient, str],
) -> None:
    client, csrf = web
    big = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    answer = client.post(
        "/api/v1/leads",
        content=big,
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert answer.status_code == 413 and "слишком большой" in answer.json()["detail"]


def test_an_upload_with_a_300_character_name_gets_a_short_safe_name(
    web: tuple[TestClient, str],
) -> None:
    client, csrf = web
    name = "Клиенты " + "я" * 300 + ".csv"
    answer = client.post(
        "/import",
        data={"csrf_token": csrf, "entity": "clients", "source": "generic"},
        files={"file": (name, "name;region\nООО А;Москва\n".encode(), "text/csv")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"])
    assert page.status_code == 200, page.text
    assert len(safe_upload_name(name, "x.csv")) == 100
    assert safe_upload_name("../../etc/passwd", "x.csv") == "passwd"


def test_an_unreadable_upload_is_deleted_from_disk_when_refused(
    web: tuple[TestClient, str],
) -> None:
    from clientbase.web.routes.imports import UPLOADS

    client, csrf = web
    answer = client.post(
        "/import",
        data={"csrf_token": csrf, "entity": "clients", "source": "generic"},
        files={"file": ("broken.xlsx", b"PK\x03\x04 not a workbook", "application/zip")},
        follow_redirects=False,
    )
    token = answer.headers["location"].rsplit("/", 1)[1]
    assert (UPLOADS / token).exists()
    assert client.get(answer.headers["location"]).status_code == 400
    assert not (UPLOADS / token).exists()


@pytest.mark.parametrize(
    "tables",
    [
        '{"bases": {"farmer": {"base": -5, "floor": 0, "hard_max": 60}}}',
        '{"bases": {"farmer": {"base": 90, "floor": 0, "hard_max": 60}}}',
        '{"selling_hours": Infinity}',
        '{"selling_hours": NaN}',
        '{"complexity": {"1": 1e400, "2": 1, "3": 1, "4": 1, "5": 1}}',
        '{"tier_weight": {"VIP": 1e400}}',
        '{"activity_minutes": {"call": -3}}',
        '{"bases": ' * 3000 + "{}" + "}" * 3000,
    ],
)
def test_capacity_settings_refuse_negative_infinite_and_deeply_nested_values(
    web: tuple[TestClient, str], engine: Engine, tables: str
) -> None:
    client, csrf = web
    before = backup.table_states(engine)
    answer = client.post(
        "/capacity/settings", data={"csrf_token": csrf, "tables": tables}, follow_redirects=False
    )
    assert answer.status_code == 400, (tables[:60], answer.status_code, answer.text[-500:])
    assert backup.table_states(engine)["app_meta"] == before["app_meta"]


def test_list_exports_in_csv_never_start_a_cell_with_a_formula(
    engine: Engine, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    create_demo(engine, DemoParams(clients=20, managers=2, months=1, today=dt.date(2026, 11, 22)))
    with UnitOfWork(engine, write=True) as uow:
        first = uow.session.scalars(select(Client).order_by(Client.id)).first()
        manager = uow.session.scalars(select(Manager).order_by(Manager.id)).first()
        assert first is not None and manager is not None
        first.name = "=1+1"
        manager.name = '=HYPERLINK("http://evil.example","x")'
        uow.commit()
    for command in (["clients", "list"], ["managers", "list"]):
        capsys.readouterr()
        assert cli.main([*command, "--format", "csv", "--db", db_url]) == 0
        cells = [c for row in csv.reader(io.StringIO(capsys.readouterr().out)) for c in row]
        assert not any(c.startswith(("=", "+", "-", "@")) for c in cells if c), command
        assert any(c.startswith("'=") for c in cells), command


def test_a_job_of_a_server_that_died_is_marked_failed_when_the_app_starts(
    engine: Engine,
) -> None:
    with UnitOfWork(engine, write=True) as uow:
        dead = Job(kind="import", title="x", status="running", owner="elsewhere:1:t")
        gone = Job(kind="import", title="y", status="running", owner=f"{jobs._HOST}:999999:t")
        mine_before = Job(
            kind="import", title="z", status="running", owner=f"{jobs._HOST}:{os.getpid()}:old"
        )
        alive = Job(kind="plan", title="w", status="running", owner=jobs.process_id())
        uow.session.add_all([dead, gone, mine_before, alive])
        uow.commit()
        ids = [dead.id, gone.id, mine_before.id, alive.id]
    create_app(engine)
    states = [jobs.get_job(engine, i).status for i in ids]
    # Another host's job waits for its age; this host's dead processes are failed at once.
    assert states == ["running", "failed", "failed", "running"]
    assert "прервано" in (jobs.get_job(engine, ids[1]).error or "")


def test_a_new_sqlite_database_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "private.db"
    assert cli.main(["db", "upgrade", "--db", f"sqlite:///{path}"]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    make_engine(f"sqlite:///{path}").dispose()


def test_a_csrf_token_with_non_ascii_text_is_refused_not_a_crash(
    web: tuple[TestClient, str], engine: Engine
) -> None:
    client, _ = web
    answer = client.post(
        f"/clients/{_first_client(engine)}/contacts",
        data={"csrf_token": "токен", "name": "Иван Петров"},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and "CSRF" in answer.text
