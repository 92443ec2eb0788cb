"""The distribution page: a plan solved in the background, shown, explained, applied."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from clientbase.db.tables import ChangeHistory
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError
from clientbase.services import accounts, jobs
from clientbase.services.demo import DemoParams, create_demo
from clientbase.web.app import create_app
from web_helpers import log_in

PASSWORD = "plans-pass-1"


@pytest.fixture
def web(engine: Engine) -> Iterator[tuple[TestClient, str]]:
    create_demo(engine, DemoParams(clients=250, months=3, today=dt.date.today()))
    accounts.ensure_demo_accounts(engine, password=PASSWORD)
    with TestClient(create_app(engine)) as client:
        csrf = log_in(client, "rop", PASSWORD)
        yield client, csrf


def _wait_for_plan(client: TestClient, job_url: str) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        poll = client.get(job_url, headers={"HX-Request": "true"})
        assert poll.status_code == 200
        if "HX-Redirect" in poll.headers:
            return poll.headers["HX-Redirect"]
        assert "Не получилось" not in poll.text, poll.text
        time.sleep(0.3)
    raise AssertionError("the plan job did not finish")


def test_a_head_creates_a_plan_in_the_background_and_applies_it(
    web: tuple[TestClient, str], engine: Engine
) -> None:
    client, csrf = web
    started = client.post(
        "/plans",
        data={"csrf_token": csrf, "strategy": "optimal", "time_limit": "5", "role": "account"},
        follow_redirects=False,
    )
    assert started.status_code == 303 and started.headers["location"].startswith("/jobs/")
    job_page = client.get(started.headers["location"])
    # The job's page while it solves, or the plan itself when it has already ended.
    assert job_page.status_code == 200
    assert 'id="job-status"' in job_page.text or 'id="plan-managers"' in job_page.text
    plan_url = _wait_for_plan(client, started.headers["location"])
    page = client.get(plan_url)
    assert page.status_code == 200
    assert 'id="plan-managers"' in page.text and 'class="chart-spec"' in page.text
    moved = re.findall(r'hx-get="(/plans/\d+/explain/\d+)"', page.text)
    if moved:
        why = client.get(moved[0], headers={"HX-Request": "true"})
        assert why.status_code == 200 and "explain-" in why.text
    with UnitOfWork(engine) as uow:
        before = uow.session.scalar(select(func.count()).select_from(ChangeHistory))
    applied = client.post(f"{plan_url}/apply", data={"csrf_token": csrf}, follow_redirects=False)
    assert applied.status_code == 303
    assert 'id="applied"' in client.get(applied.headers["location"]).text
    with UnitOfWork(engine) as uow:
        after = uow.session.scalar(select(func.count()).select_from(ChangeHistory))
    moves = int(re.search(r'id="plan-moves">(\d+)<', page.text).group(1))  # type: ignore[union-attr]
    assert (after or 0) - (before or 0) >= moves
    again = client.post(f"{plan_url}/apply", data={"csrf_token": csrf})
    assert again.status_code == 409 and "уже" in again.text


def test_a_manager_may_not_open_the_distribution_pages(engine: Engine) -> None:
    create_demo(engine, DemoParams(clients=120, months=2, today=dt.date.today()))
    accounts.ensure_demo_accounts(engine, password=PASSWORD)
    with TestClient(create_app(engine)) as client:
        csrf = log_in(client, "manager", PASSWORD)
        assert client.get("/plans").status_code == 403
        assert client.post("/plans", data={"csrf_token": csrf}).status_code == 403
        assert "/plans" not in client.get("/").text.split("<main>")[0]


def test_a_failed_job_reports_its_error_and_never_hangs(engine: Engine) -> None:
    def work(progress: jobs.Progress) -> dict[str, object]:
        progress("почти…")
        raise BadInputError("нет клиентов для распределения")

    job_id = jobs.start_job(engine=engine, kind="test", title="t", actor="x", work=work, wait=True)
    job = jobs.get_job(engine, job_id)
    assert job.status == "failed" and job.error == "нет клиентов для распределения"
    assert job.finished


def test_a_job_that_ended_before_its_page_was_opened_goes_straight_to_its_result(
    web: tuple[TestClient, str], engine: Engine
) -> None:
    client, _ = web

    def work(progress: jobs.Progress) -> dict[str, object]:
        return {"url": "/clients"}

    job_id = jobs.start_job(
        engine=engine, kind="test", title="t", actor="rop", work=work, wait=True
    )
    opened = client.get(f"/jobs/{job_id}", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/clients"
    polled = client.get(f"/jobs/{job_id}", headers={"HX-Request": "true"})
    assert polled.headers["HX-Redirect"] == "/clients"


def test_the_capacity_page_shows_drivers_utilization_coverage_and_buried_clients(
    web: tuple[TestClient, str],
) -> None:
    client, _ = web
    page = client.get("/capacity")
    assert page.status_code == 200
    for part in ('id="loads"', 'id="buried"', 'data-canvas="chart-load-coverage"', "Факторы"):
        assert part in page.text
    assert any(word in page.text for word in ("недогружен", "норма", "перегружен"))
    heads = client.get("/capacity/headcount", params={"growth": "0.2"})
    assert heads.status_code == 200 and 'id="groups"' in heads.text


def test_a_manager_sees_only_his_own_row_on_the_capacity_page(engine: Engine) -> None:
    create_demo(engine, DemoParams(clients=200, months=2, today=dt.date.today()))
    made = accounts.ensure_demo_accounts(engine, password=PASSWORD)
    me = next(a for a in made if a.login == "manager")
    with TestClient(create_app(engine)) as client:
        log_in(client, "manager", PASSWORD)
        page = client.get("/capacity").text
        rows = page.split('id="loads"')[1].split("</tbody>")[0].count("<tr>")
        assert rows == 2 and me.name in page  # header row + his own
        assert client.get("/capacity/headcount").status_code == 403


def test_the_head_edits_the_capacity_tables_and_the_report_follows(
    web: tuple[TestClient, str], engine: Engine
) -> None:
    import json

    from clientbase.core.capacity import tables_to_dict
    from clientbase.services import capacity

    client, csrf = web
    page = client.get("/capacity/settings")
    assert page.status_code == 200 and 'id="capacity-settings"' in page.text
    tables = capacity.load_tables(engine)
    before = {m.manager_id: m.capacity for m in capacity.manager_loads(engine)}
    data = json.loads(json.dumps(tables_to_dict(tables)))
    data["bases"]["farmer"]["base"] = data["bases"]["farmer"]["base"] - 10
    saved = client.post(
        "/capacity/settings",
        data={"csrf_token": csrf, "tables": json.dumps(data)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    after = {m.manager_id: m.capacity for m in capacity.manager_loads(engine)}
    assert any(after[k] < before[k] for k in before if k in after)
    broken = client.post("/capacity/settings", data={"csrf_token": csrf, "tables": "{oops"})
    assert broken.status_code == 400 and "не JSON" in broken.text
