"""The bonus page: statements with their lines, Excel export, a manager sees his own only."""

from __future__ import annotations

import datetime as dt
import io

from python_calamine import CalamineWorkbook
from sqlalchemy import Engine

from clientbase.services import accounts, bonus
from web_helpers import demo_company, logged_in

PASSWORD = "bonus-pass-1"
LAST_MONTH = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


def test_the_head_sees_every_statement_and_the_manager_only_his(engine: Engine) -> None:
    demo_company(engine, clients=250, months=4, password=PASSWORD)
    st = bonus.statement(engine=engine, period=LAST_MONTH)
    with logged_in(engine, "rop", PASSWORD) as (client, _):
        page = client.get("/bonus", params={"period": LAST_MONTH})
        assert page.status_code == 200 and 'id="bonus"' in page.text
        assert all(r.manager in page.text for r in st.rows)
        book = client.get("/bonus/statement.xlsx", params={"period": LAST_MONTH})
        assert book.status_code == 200
        assert CalamineWorkbook.from_filelike(io.BytesIO(book.content)).sheet_names
    with logged_in(engine, "manager", PASSWORD) as (client, _):
        page = client.get("/bonus", params={"period": LAST_MONTH}).text
        shown = [r.manager_id for r in st.rows if f"<summary>{r.manager}</summary>" in page]
    me = next(u for u in accounts.list_users(engine) if u.login == "manager").manager_id
    assert shown == [me]


def test_a_head_compares_bonuses_under_a_scheme_file(engine: Engine) -> None:
    import json

    from clientbase.core import bonus as core_bonus

    demo_company(engine, clients=200, months=3, password=PASSWORD)
    data = core_bonus.schemes_to_data(core_bonus.DEFAULT_SCHEMES)
    for scheme in data["schemes"]:
        scheme["salary"] = 0
    body = json.dumps(data, ensure_ascii=False).encode()
    with logged_in(engine, "rop", PASSWORD) as (client, csrf):
        page = client.post(
            "/bonus/what-if",
            data={"csrf_token": csrf, "period": LAST_MONTH},
            files={"file": ("zero-salary.json", body, "application/json")},
        )
        assert page.status_code == 200 and 'id="what-if"' in page.text
        expected = bonus.statement(engine=engine, period=LAST_MONTH).total
        current = page.text.split('id="current-total">')[1].split("<")[0]
        assert current == f"{expected:,.0f}".replace(",", "\u202f")
        bad = client.post(
            "/bonus/what-if",
            data={"csrf_token": csrf, "period": LAST_MONTH},
            files={"file": ("x.exe", b"MZ", "application/octet-stream")},
        )
        assert bad.status_code == 400
    with logged_in(engine, "manager", PASSWORD) as (client, csrf):
        refused = client.post(
            "/bonus/what-if",
            data={"csrf_token": csrf, "period": LAST_MONTH},
            files={"file": ("s.json", body, "application/json")},
        )
        assert refused.status_code == 403
