"""Who sees what, for pages and API alike: roles × paths × own / same department / other.

A manager sees his own clients; a head of sales his department; an admin everything. A
client outside the user's scope is a 404 (its existence is not revealed), a page reserved
for heads is a 403 for a manager, and anonymous requests never reach data.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from clientbase.core.access import UserRole
from clientbase.db import migrate
from clientbase.db.engine import make_engine
from clientbase.db.tables import Manager, Responsibility
from clientbase.db.uow import UnitOfWork
from clientbase.services import accounts
from clientbase.services.demo import DemoParams, create_demo
from clientbase.web.app import create_app
from web_helpers import log_in

PASSWORD = "matrix-pass-1"
PG_URL = os.environ.get("CLIENTBASE_TEST_PG_URL")


@dataclass(frozen=True)
class World:
    """A demo company with three users and three clients at known distances."""

    engine: Engine
    own: int  # held by the manager user
    same_team: int  # held by another manager of his department
    other_team: int  # held by a manager of another department
    own_manager: int
    other_manager: int


def _client_of(engine: Engine, manager_id: int) -> int:
    with UnitOfWork(engine) as uow:
        return int(
            uow.session.scalar(
                select(Responsibility.client_id)
                .where(Responsibility.manager_id == manager_id, Responsibility.until.is_(None))
                .order_by(Responsibility.client_id)
                .limit(1)
            )
            or 0
        )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def matrix_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One database for the whole matrix (read-only tests), per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('matrix')}/cb.db"
        drop = None
    else:
        if not PG_URL:
            pytest.skip("CLIENTBASE_TEST_PG_URL is not set")
        name = f"cb_matrix_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = PG_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        url = f"{url}/{name}"
        drop = name
    eng = make_engine(url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()
    if drop:
        with psycopg.connect(PG_URL or "", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')


@pytest.fixture(scope="module")
def world(matrix_engine: Engine) -> World:
    engine = matrix_engine
    create_demo(engine, DemoParams(clients=300, months=3, today=dt.date(2026, 11, 22)))
    with UnitOfWork(engine) as uow:
        farmers = list(
            uow.session.execute(
                select(Manager.id, Manager.team)
                .where(Manager.role_group == "farmer")
                .order_by(Manager.id)
            )
        )
    by_team: dict[str, list[int]] = {}
    for mid, team in farmers:
        by_team.setdefault(team, []).append(mid)
    team, members = next((t, m) for t, m in by_team.items() if len(m) >= 2)
    other = next(m[0] for t, m in by_team.items() if t != team)
    me, colleague = members[0], members[1]
    accounts.create_user(engine, login="admin", password=PASSWORD, role=UserRole.ADMIN)
    accounts.create_user(engine, login="head", password=PASSWORD, role=UserRole.HEAD, team=team)
    accounts.create_user(
        engine, login="manager", password=PASSWORD, role=UserRole.MANAGER, manager_id=me
    )
    return World(
        engine=engine,
        own=_client_of(engine, me),
        same_team=_client_of(engine, colleague),
        other_team=_client_of(engine, other),
        own_manager=me,
        other_manager=other,
    )


@pytest.fixture(scope="module")
def clients(world: World) -> Iterator[dict[str, TestClient]]:
    app = create_app(world.engine)
    logged: dict[str, TestClient] = {}
    for login in ("admin", "head", "manager"):
        c = TestClient(app)
        log_in(c, login, PASSWORD)
        logged[login] = c
    yield logged
    for c in logged.values():
        c.close()


# Expected status per user for a client at each distance.
CLIENT_MATRIX = {
    "admin": {"own": 200, "same_team": 200, "other_team": 200},
    "head": {"own": 200, "same_team": 200, "other_team": 404},
    "manager": {"own": 200, "same_team": 404, "other_team": 404},
}


@pytest.fixture
def anonymous(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.engine)) as c:
        yield c


@pytest.mark.parametrize("user", ["admin", "head", "manager"])
@pytest.mark.parametrize("distance", ["own", "same_team", "other_team"])
@pytest.mark.parametrize("path", ["/clients/{id}", "/api/v1/clients/{id}"])
def test_a_client_card_is_shown_only_within_the_users_scope(
    world: World, clients: dict[str, TestClient], user: str, distance: str, path: str
) -> None:
    client_id = getattr(world, distance)
    answer = clients[user].get(path.format(id=client_id))
    assert answer.status_code == CLIENT_MATRIX[user][distance], (user, distance, path)
    if answer.status_code == 404:
        assert "не найден" in answer.text  # the same answer as for a missing client


@pytest.mark.parametrize("user", ["admin", "head", "manager"])
def test_client_lists_hold_only_the_clients_in_scope(
    world: World, clients: dict[str, TestClient], user: str
) -> None:
    rows = clients[user].get("/api/v1/clients", params={"limit": 1000}).json()["rows"]
    ids = {r["id"] for r in rows}
    for distance, status in CLIENT_MATRIX[user].items():
        assert (getattr(world, distance) in ids) == (status == 200), (user, distance)
    page = clients[user].get("/clients", params={"search": ""}).text
    total = int(page.split("Найдено: ")[1].split("<")[0].split()[0])
    assert total == clients[user].get("/api/v1/clients").json()["total"]


@pytest.mark.parametrize(
    ("user", "sees_own", "sees_other"),
    [("admin", True, True), ("head", True, False), ("manager", True, False)],
)
def test_manager_lists_hold_only_the_managers_in_scope(
    world: World, clients: dict[str, TestClient], user: str, sees_own: bool, sees_other: bool
) -> None:
    ids = {m["id"] for m in clients[user].get("/api/v1/managers").json()}
    assert (world.own_manager in ids) == sees_own
    assert (world.other_manager in ids) == sees_other
    if user == "manager":
        assert ids == {world.own_manager}


@pytest.mark.parametrize("path", ["/", "/clients", "/managers", "/clients/1"])
def test_anonymous_pages_go_to_the_login_page(anonymous: TestClient, path: str) -> None:
    answer = anonymous.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "path", ["/api/v1/clients", "/api/v1/clients/1", "/api/v1/managers", "/api/v1/openapi.json"]
)
def test_anonymous_api_calls_get_401(anonymous: TestClient, path: str) -> None:
    assert anonymous.get(path).status_code == 401


def test_the_dashboard_counts_only_what_the_user_may_see(
    world: World, clients: dict[str, TestClient]
) -> None:
    def count(user: str) -> int:
        text = clients[user].get("/").text
        return int(text.split('<b id="clients-count">')[1].split("<")[0])

    own_total = clients["manager"].get("/api/v1/clients").json()["total"]
    assert count("manager") == own_total < count("head") < count("admin") == 300


def test_a_write_without_the_csrf_token_is_refused(world: World) -> None:
    head = TestClient(create_app(world.engine))
    log_in(head, "head", PASSWORD)
    refused = head.post("/logout", follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert head.get("/").status_code == 200  # still logged in
    token = head.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]
    done = head.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert head.get("/", follow_redirects=False).status_code == 303


def test_the_login_form_refuses_a_post_without_its_own_csrf_cookie(
    anonymous: TestClient,
) -> None:
    answer = anonymous.post(
        "/login", data={"login": "admin", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert answer.status_code == 400 and "устарела" in answer.text


def test_login_never_redirects_to_another_site(anonymous: TestClient) -> None:
    form = anonymous.get("/login", params={"next": "//evil.example/x"}).text
    assert 'name="next" value="/"' in form
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    answer = anonymous.post(
        "/login",
        data={
            "login": "admin",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_pages_carry_a_strict_csp_and_secure_cookie_flags(
    clients: dict[str, TestClient], anonymous: TestClient
) -> None:
    page = clients["admin"].get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    form = anonymous.get("/login").text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    answer = anonymous.post(
        "/login",
        data={"login": "admin", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "cb_session=" in c).lower()
    assert "cb_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie


# Pages, API calls and exports that only heads of sales and admins may open (403 for a
# manager), and those every logged-in user may open (200, cut to his scope).
HEADS_ONLY = [
    "/plans",
    "/roles",
    "/import",
    "/capacity/headcount",
    "/capacity/settings",
    "/api/v1/plans",
    "/api/v1/rotation/effect",
]
EVERYONE = [
    "/board",
    "/bonus",
    "/bonus/statement.xlsx",
    "/crosssell",
    "/capacity",
    "/rotation",
    "/kpi",
    "/kpi/export.xlsx",
    "/rotation/warnings.csv",
    "/api/v1/capacity",
    "/api/v1/kpi",
    "/api/v1/rotation/warnings",
    "/api/v1/session",
]


@pytest.mark.parametrize("user", ["admin", "head", "manager"])
@pytest.mark.parametrize("path", HEADS_ONLY)
def test_management_pages_and_api_are_for_heads_and_admins(
    clients: dict[str, TestClient], user: str, path: str
) -> None:
    expected = 403 if user == "manager" else 200
    assert clients[user].get(path).status_code == expected, (user, path)


@pytest.mark.parametrize("user", ["admin", "head", "manager"])
@pytest.mark.parametrize("path", EVERYONE)
def test_reports_and_exports_open_for_every_role(
    clients: dict[str, TestClient], user: str, path: str
) -> None:
    assert clients[user].get(path).status_code == 200, (user, path)


@pytest.mark.parametrize(("user", "distance"), [("manager", "same_team"), ("head", "other_team")])
def test_a_client_team_outside_the_scope_is_not_found_in_the_api(
    world: World, clients: dict[str, TestClient], user: str, distance: str
) -> None:
    client_id = getattr(world, distance)
    assert clients[user].get(f"/api/v1/clients/{client_id}/team").status_code == 404
    assert clients[user].get(f"/api/v1/clients/{world.own}/team").status_code == 200


@pytest.mark.parametrize("user", ["head", "manager"])
def test_scoped_reports_hold_only_visible_managers(
    world: World, clients: dict[str, TestClient], user: str
) -> None:
    rows = clients[user].get("/api/v1/capacity").json()
    ids = {r["manager_id"] for r in rows}
    assert world.other_manager not in ids and ids
    kpi_ids = {r["manager_id"] for r in clients[user].get("/api/v1/kpi").json()["rows"]}
    assert world.other_manager not in kpi_ids
    if user == "manager":
        assert ids == {world.own_manager} and kpi_ids <= {world.own_manager}
