"""Cross-sell and seasonal capacity in the web app: route a file, see why; edit the season."""

from __future__ import annotations

import json

from sqlalchemy import Engine, func, select

from clientbase.db import tables as t
from clientbase.db.uow import UnitOfWork
from clientbase.services import accounts, season
from web_helpers import demo_company, logged_in

PASSWORD = "xsell-pass-1"


def _active_clients(engine: Engine, n: int) -> list[int]:
    with UnitOfWork(engine) as uow:
        return list(
            uow.session.scalars(
                select(t.Client.id)
                .where(t.Client.status == "active")
                .order_by(t.Client.id)
                .limit(n)
            )
        )


def test_a_head_routes_opportunities_from_a_file_and_everyone_sees_why(engine: Engine) -> None:
    demo_company(engine, clients=250, months=3, password=PASSWORD)
    ids = _active_clients(engine, 12)
    body = "opportunity_id;client;product_line;amount\n" + "".join(
        f"W-{i};{cid};Серверы;{100000 + i}\n" for i, cid in enumerate(ids)
    )
    with logged_in(engine, "rop", PASSWORD) as (client, csrf):
        files = {"file": ("opps.csv", body.encode(), "text/csv")}
        preview = client.post(
            "/crosssell", data={"csrf_token": csrf, "dry_run": "true"}, files=files
        )
        assert preview.status_code == 200 and 'id="crosssell-decisions"' in preview.text
        with UnitOfWork(engine) as uow:
            assert (
                uow.session.scalar(
                    select(func.count()).select_from(t.Deal).where(t.Deal.source == "cross_sell")
                )
                == 0
            )
        done = client.post("/crosssell", data={"csrf_token": csrf, "dry_run": "false"}, files=files)
        assert done.status_code == 200
        page = client.get("/crosssell")
        assert page.status_code == 200 and page.text.count("Серверы") >= len(ids)
    me = next(u for u in accounts.list_users(engine) if u.login == "manager").manager_id
    with UnitOfWork(engine) as uow:
        mine = uow.session.scalar(
            select(func.count()).select_from(t.Deal)
            .where(t.Deal.source == "cross_sell", t.Deal.manager_id == me)
        )  # fmt: skip
    with logged_in(engine, "manager", PASSWORD) as (client, csrf):
        page = client.get("/crosssell").text
        rows = page.split('id="crosssell"')[1].split("</tbody>")[0].count("<tr><td>")
        assert rows == mine
        assert client.post("/crosssell", data={"csrf_token": csrf}).status_code in (403, 422)


def test_the_head_sets_a_december_factor_on_the_settings_page(engine: Engine) -> None:
    demo_company(engine, clients=120, months=2, password=PASSWORD)
    with logged_in(engine, "rop", PASSWORD) as (client, csrf):
        page = client.get("/capacity/settings").text
        assert 'id="season"' in page
        tables = page.split('name="tables"')[1].split(">", 1)[1].split("</textarea>")[0]
        import html

        data = json.loads(html.unescape(tables))
        saved = client.post(
            "/capacity/settings",
            data={
                "csrf_token": csrf,
                "tables": json.dumps(data),
                "season_table": '{"months": {"12": 0.8}}',
            },
            follow_redirects=False,
        )
        assert saved.status_code == 303, saved.text
        assert season.load_season(engine=engine).factor(12) == 0.8
        broken = client.post(
            "/capacity/settings",
            data={"csrf_token": csrf, "tables": json.dumps(data), "season_table": "[1,"},
        )
        assert broken.status_code == 400 and "Сезонность" in broken.text
