"""The rotation page: warning list (scoped, exportable), dry run, run, second run, effect."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from clientbase.db.tables import Responsibility, RotationRun
from clientbase.db.uow import UnitOfWork
from clientbase.services import accounts, rotation
from clientbase.web.app import create_app
from web_helpers import demo_company, log_in, logged_in

PASSWORD = "rotation-pass-1"
TODAY = dt.date.today()


@pytest.fixture
def demo(engine: Engine) -> Engine:
    return demo_company(engine, clients=300, months=12, password=PASSWORD)


@pytest.fixture
def head(demo: Engine) -> Iterator[tuple[TestClient, str]]:
    with logged_in(demo, "rop", PASSWORD) as pair:
        yield pair


def _open_responsibilities(engine: Engine) -> int:
    with UnitOfWork(engine) as uow:
        stmt = (
            select(func.count()).select_from(Responsibility).where(Responsibility.until.is_(None))
        )
        return int(uow.session.scalar(stmt) or 0)


def test_a_dry_run_shows_the_moves_and_writes_nothing_then_the_run_moves_once(
    head: tuple[TestClient, str], demo: Engine
) -> None:
    client, csrf = head
    page = client.get("/rotation")
    assert page.status_code == 200 and 'id="warnings"' in page.text and 'id="effect"' in page.text
    before = _open_responsibilities(demo)
    form = {"csrf_token": csrf, "run_date": TODAY.isoformat(), "holdout": "0.2", "seed": "1"}
    dry = client.post("/rotation/run", data={**form, "dry_run": "true"})
    assert dry.status_code == 200 and "Пробный прогон" in dry.text and 'id="members"' in dry.text
    assert _open_responsibilities(demo) == before
    with UnitOfWork(demo) as uow:
        assert uow.session.scalar(select(func.count()).select_from(RotationRun)) == 0
    run = client.post("/rotation/run", data={**form, "dry_run": "false"})
    assert run.status_code == 200 and "Прогон #" in run.text
    again = client.post("/rotation/run", data={**form, "dry_run": "false"})
    assert "уже выполнен" in again.text
    with UnitOfWork(demo) as uow:
        assert uow.session.scalar(select(func.count()).select_from(RotationRun)) == 1
    assert "#1 от" in client.get("/rotation").text  # the effect table lists the run


def test_the_warning_list_is_scoped_and_exports_to_csv(demo: Engine) -> None:
    everyone = rotation.warning_list(engine=demo, days=60)
    assert everyone, "the demo should have clients turning dormant within 60 days"
    with TestClient(create_app(demo)) as client:
        log_in(client, "manager", PASSWORD)
        page = client.get("/rotation", params={"days": 60})
        assert page.status_code == 200 and 'id="effect"' not in page.text
        me = next(a for a in accounts.list_users(demo) if a.login == "manager").manager_id
        mine = [w for w in everyone if w.manager_id == me]
        others = [w for w in everyone if w.manager_id != me]
        assert all(f'/clients/{w.client_id}"' in page.text for w in mine[:20])
        assert not any(f'/clients/{w.client_id}"' in page.text for w in others[:20])
        exported = client.get("/rotation/warnings.csv", params={"days": 60})
        assert exported.status_code == 200 and exported.text.startswith("\ufeffМенеджер;")
        assert exported.text.count("\n") == len(mine) + 1
        refused = client.post(
            "/rotation/run",
            data={"csrf_token": log_in(client, "manager", PASSWORD), "run_date": TODAY.isoformat()},
        )
        assert refused.status_code == 403
