"""The web pages over a demo company, through the real app in-process."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from clientbase.services import accounts
from clientbase.services.demo import DemoParams, create_demo
from clientbase.web.app import create_app
from web_helpers import log_in

PASSWORD = "test-password"


def _admin_client(engine: Engine) -> TestClient:
    accounts.ensure_demo_accounts(engine, password=PASSWORD)
    client = TestClient(create_app(engine))
    log_in(client, "admin", PASSWORD)
    return client


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    create_demo(engine, DemoParams(clients=250, months=6, today=dt.date(2026, 11, 22)))
    with _admin_client(engine) as c:
        yield c


def test_the_dashboard_shows_counts_regions_and_chart_data(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<b id="clients-count">250</b>' in page.text
    assert 'id="chart-data"' in page.text and "Москва" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_the_client_list_filters_sorts_and_pages(client: TestClient) -> None:
    page = client.get("/clients", params={"region": "Москва", "sort": "name", "desc": "false"})
    assert page.status_code == 200
    rows = re.findall(r'<a href="/clients/(\d+)">([^<]+)</a>', page.text)
    assert rows
    names = [n for _, n in rows]
    assert names == sorted(names)
    total = int(re.search(r"Найдено: (\d+)", page.text).group(1))  # type: ignore[union-attr]
    api = client.get("/api/v1/clients", params={"region": "Москва", "limit": 1000}).json()
    assert total == api["total"] and {r["region"] for r in api["rows"]} == {"Москва"}


def test_an_htmx_request_gets_only_the_table(client: TestClient) -> None:
    page = client.get("/clients", params={"tier": "VIP"}, headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert "<html" not in page.text and 'id="clients"' in page.text


def test_the_client_card_shows_team_deals_activities_and_history(client: TestClient) -> None:
    api = client.get("/api/v1/clients", params={"status": "active", "limit": 1}).json()
    cid = api["rows"][0]["id"]
    card = client.get(f"/clients/{cid}")
    assert card.status_code == 200
    for section in ('id="team"', 'id="deals"', 'id="activities"', 'id="history"'):
        assert section in card.text
    assert api["rows"][0]["name"].replace('"', "&#34;") in card.text


def test_an_unknown_client_is_a_404_with_a_clear_message(client: TestClient) -> None:
    page = client.get("/clients/999999")
    assert page.status_code == 404
    assert "Клиент #999999 не найден" in page.text
    assert client.get("/api/v1/clients/999999").json() == {"detail": "Клиент #999999 не найден."}


def test_the_managers_page_lists_everybody_with_their_load(client: TestClient) -> None:
    page = client.get("/managers")
    managers = client.get("/api/v1/managers").json()
    for m in managers:
        assert m["name"] in page.text
    hunters = client.get("/managers", params={"role_group": "hunter"}).text
    assert all((m["name"] in hunters) == (m["role_group"] == "hunter") for m in managers)


def test_an_empty_filter_field_from_the_form_means_no_filter(client: TestClient) -> None:
    page = client.get("/clients?region=&owner_id=&tier=&search=", headers={"HX-Request": "1"})
    assert page.status_code == 200
    assert "Найдено: 250" in page.text


def test_bad_query_values_are_refused_not_crashed(client: TestClient) -> None:
    assert client.get("/clients", params={"page": "0"}).status_code == 422
    assert client.get("/clients", params={"owner_id": "x"}).status_code == 422
    assert client.get("/clients", params={"sort": "drop table"}).status_code == 200


def test_the_managers_page_is_paged_when_there_are_many_managers(engine: Engine) -> None:
    create_demo(engine, DemoParams(clients=400, managers=90, months=1, today=dt.date(2026, 11, 22)))
    with _admin_client(engine) as client:
        first = client.get("/managers")
        assert first.status_code == 200
        assert "Показаны 1–100 из" in first.text and 'rel="next"' in first.text
        last = client.get("/managers?page=999")
        assert last.status_code == 200 and 'rel="prev"' in last.text


def test_the_client_card_lists_the_clients_contacts(client: TestClient, engine: Engine) -> None:
    from clientbase.services import contacts

    contacts.add_contact(
        engine, 1, name="<b>Сидоров</b>", purchase_role="ЛПР", phone="8 495 1234567", primary=True
    )
    page = client.get("/clients/1")
    assert page.status_code == 200
    assert "&lt;b&gt;Сидоров&lt;/b&gt;" in page.text  # escaped, never markup
    assert "ЛПР (принимает решение)" in page.text and "+74951234567" in page.text


def test_the_dashboard_flags_plan_attainment_overload_and_buried_clients(
    client: TestClient, engine: Engine
) -> None:
    from clientbase.services import capacity

    page = client.get("/")
    assert 'id="alerts"' in page.text
    report = capacity.buried_clients(engine, limit=1)
    buried = sum(m.buried for m in report.managers)
    overloaded = sum(1 for m in report.managers if m.status == "over")
    assert f'<b id="buried">{buried}</b>' in page.text
    assert f'<b id="overloaded">{overloaded}</b>' in page.text


def test_a_contact_is_added_on_the_client_card(client: TestClient, engine: Engine) -> None:
    from clientbase.services import contacts

    page = client.get("/clients/3").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    before = len(contacts.list_contacts(engine, 3))
    done = client.post(
        "/clients/3/contacts",
        data={
            "csrf_token": token,
            "name": "Петрова Ольга",
            "purchase_role": "buyer",
            "phone": "8 (495) 765-43-21",
            "email": "petrova@client.ru",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    people = contacts.list_contacts(engine, 3)
    assert len(people) == before + 1
    assert any(p.name == "Петрова Ольга" and p.phone == "+74957654321" for p in people)
    bad = client.post(
        "/clients/3/contacts", data={"csrf_token": token, "name": "X", "email": "not-an-email"}
    )
    assert bad.status_code == 400
