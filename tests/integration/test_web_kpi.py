"""The KPI pages: scorecard, manager card, drill-down, Excel export; managers see only theirs."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook
from sqlalchemy import Engine, select

from clientbase.db.tables import PlanTarget
from clientbase.db.uow import UnitOfWork
from clientbase.services import accounts
from clientbase.web.app import create_app
from web_helpers import demo_company, log_in, logged_in

PASSWORD = "kpi-pass-1"
TODAY = dt.date.today()
LAST_MONTH = (TODAY.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


@pytest.fixture
def demo(engine: Engine) -> Engine:
    return demo_company(engine, clients=300, months=6, password=PASSWORD)


@pytest.fixture
def head(demo: Engine) -> Iterator[tuple[TestClient, str]]:
    with logged_in(demo, "rop", PASSWORD) as pair:
        yield pair


def test_the_head_sees_every_managers_scorecard_with_charts_and_drills_down(
    head: tuple[TestClient, str],
) -> None:
    client, _ = head
    page = client.get("/kpi", params={"period": LAST_MONTH})
    assert page.status_code == 200
    for part in ('id="scorecard"', 'data-canvas="chart-plan-actual"', 'data-canvas="chart-trend"'):
        assert part in page.text
    drills = re.findall(r'href="(/kpi/drill\?kpi=volume[^"]+)"', page.text)
    assert drills
    drill = client.get(drills[0].replace("&amp;", "&"))
    assert drill.status_code == 200 and "Выигранные сделки" in drill.text
    card = re.findall(r'href="(/kpi/managers/\d+\?period=[^"]+)"', page.text)[0]
    one = client.get(card)
    assert one.status_code == 200 and 'id="manager-kpis"' in one.text


def test_the_excel_export_has_a_sheet_per_view(head: tuple[TestClient, str]) -> None:
    client, _ = head
    answer = client.get("/kpi/export.xlsx", params={"period": LAST_MONTH})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(io.BytesIO(answer.content))
    assert len(book.sheet_names) >= 4


def test_a_head_sets_a_plan_from_the_page(head: tuple[TestClient, str], demo: Engine) -> None:
    client, csrf = head
    page = client.get("/kpi", params={"period": "2030-01"}).text
    manager_id = int(re.search(r'<select name="manager_id"><option value="(\d+)"', page).group(1))  # type: ignore[union-attr]
    done = client.post(
        "/kpi/plans",
        data={"csrf_token": csrf, "manager_id": manager_id, "period": "2030-01", "amount": 500000},
        follow_redirects=False,
    )
    assert done.status_code == 303
    with UnitOfWork(demo) as uow:
        plan = uow.session.scalar(
            select(PlanTarget.amount).where(
                PlanTarget.manager_id == manager_id, PlanTarget.period == "2030-01"
            )
        )
    assert plan == 500000


def test_a_manager_sees_only_his_own_results(demo: Engine) -> None:
    me = next(a for a in accounts.list_users(demo) if a.login == "manager").manager_id
    with TestClient(create_app(demo)) as client:
        csrf = log_in(client, "manager", PASSWORD)
        page = client.get("/kpi", params={"period": LAST_MONTH}).text
        ids = set(re.findall(r'href="/kpi/managers/(\d+)\?', page))
        assert ids <= {str(me)}
        others = [
            int(i)
            for i in re.findall(
                r'href="/kpi/managers/(\d+)\?',
                TestClient(create_app(demo)).get("/kpi").text,
            )
        ]
        assert others == []  # anonymous: redirected, no data
        assert client.get(f"/kpi/managers/{me + 1}").status_code == 404
        assert client.get("/kpi/drill", params={"kpi": "volume"}).status_code == 404
        assert (
            client.post(
                "/kpi/plans",
                data={"csrf_token": csrf, "manager_id": me, "period": "2030-01", "amount": 1},
            ).status_code
            == 403
        )
        book = CalamineWorkbook.from_filelike(
            io.BytesIO(client.get("/kpi/export.xlsx", params={"period": LAST_MONTH}).content)
        )
        first = book.get_sheet_by_index(0).to_python()
        assert len([r for r in first[1:] if any(r)]) <= 1  # his own row only


def test_the_managers_kpi_card_shows_his_competencies_and_training(
    head: tuple[TestClient, str], demo: Engine
) -> None:
    from clientbase.services import competencies

    client, _ = head
    assessed = next(p for p in competencies.matrix(demo)[1] if p.lines)
    page = client.get(f"/kpi/managers/{assessed.manager_id}", params={"period": LAST_MONTH})
    assert page.status_code == 200 and 'id="competencies"' in page.text
    assert all(line.name in page.text for line in assessed.lines)


def test_the_scorecard_shows_volume_credited_by_the_team_split_beside_the_closers_volume(
    head: tuple[TestClient, str], demo: Engine
) -> None:
    from clientbase.services import bonus

    client, _ = head
    report = bonus.credit_report(engine=demo, period=LAST_MONTH)
    page = client.get("/kpi", params={"period": LAST_MONTH}).text
    assert "зачтено по долям" in page
    some = next(r for r in report.rows if r.credited > 0)
    shown = f"{some.credited:,.0f}".replace(",", "\u202f")
    assert shown in page


def test_a_head_assesses_competencies_from_the_managers_card(
    head: tuple[TestClient, str], demo: Engine
) -> None:
    from clientbase.services import competencies

    client, csrf = head
    me = next(u for u in accounts.list_users(demo) if u.login == "manager").manager_id
    codes = [c.code for c in competencies.list_competencies(demo)]
    form = {"csrf_token": csrf, **{f"score-{code}": "3" for code in codes}, "comment": "ok"}
    form[f"score-{codes[0]}"] = "5"
    done = client.post(f"/kpi/managers/{me}/assess", data=form, follow_redirects=False)
    assert done.status_code == 303
    latest = {line.code: line.score for line in competencies.profile(demo, me).lines}
    assert latest[codes[0]] == 5 and latest[codes[1]] == 3
    form[f"score-{codes[0]}"] = "9"
    refused = client.post(f"/kpi/managers/{me}/assess", data=form)
    assert refused.status_code == 400 and "от 1 до 5" in refused.text
