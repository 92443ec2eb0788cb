"""Who sees what, for pages and API alike: roles × paths × own / same department / other.

A manager sees his own clients; a head of sales his department; an admin everything. A
client outside the user's scope is a 404 (its existence is not revealed), a page reserved
for heads is a 403 for a manager, and anonymous requests never reach data.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from clientbase.core.access import Scope, UserRole
from clientbase.db import migrate
from clientbase.db import teams_repository as teams_repo
from clientbase.db.engine import make_engine
from clientbase.db.tables import Client, Manager, Responsibility
from clientbase.db.uow import UnitOfWork
from clientbase.planning.schemas import Settings as PlanSettings
from clientbase.planning.schemas import Strategy
from clientbase.services import accounts, backup, jobs, plans
from clientbase.services.demo import DemoParams, create_demo
from clientbase.services.importing import ImportReport, import_file
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
    moved_away: int  # held by the manager user until it went to his colleague
    team: str  # the head's department
    colleague: int


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
    # The base as a file import leaves it (clients and managers keyed by the file's ids),
    # and one client that the manager user held until it went to his colleague.
    with UnitOfWork(engine, write=True) as uow:
        uow.session.execute(update(Client).values(source="generic"))
        uow.session.execute(update(Manager).values(source="generic"))
        uow.commit()
    with UnitOfWork(engine) as uow:
        held = list(
            uow.session.scalars(
                select(Responsibility.client_id)
                .where(Responsibility.manager_id == me, Responsibility.until.is_(None))
                .order_by(Responsibility.client_id)
            )
        )
    moved_away = held[-1]
    with UnitOfWork(engine, write=True) as uow:
        role = uow.session.scalar(
            select(Responsibility.role).where(
                Responsibility.client_id == moved_away,
                Responsibility.manager_id == me,
                Responsibility.until.is_(None),
            )
        )
        teams_repo.transfer(
            uow.session,
            client_id=moved_away,
            role=str(role),
            manager_id=colleague,
            today=dt.date(2026, 11, 20),
            reason="test",
            actor="test",
        )
        uow.commit()
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
        moved_away=moved_away,
        team=team,
        colleague=colleague,
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
    "admin": {"own": 200, "same_team": 200, "other_team": 200, "moved_away": 200},
    "head": {"own": 200, "same_team": 200, "other_team": 404, "moved_away": 200},
    "manager": {"own": 200, "same_team": 404, "other_team": 404, "moved_away": 404},
}


@pytest.fixture
def anonymous(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.engine)) as c:
        yield c


@pytest.mark.parametrize("user", ["admin", "head", "manager"])
@pytest.mark.parametrize("distance", ["own", "same_team", "other_team", "moved_away"])
@pytest.mark.parametrize(
    "path", ["/clients/{id}", "/api/v1/clients/{id}", "/api/v1/clients/{id}/team"]
)
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


# --- a department head stays in his department on every write path ------------------------


@dataclass(frozen=True)
class Named:
    """The names and file ids a head would write in a file to reach an object."""

    client_ext: str
    client_name: str
    client_inn: str | None
    manager_ext: str
    manager_name: str
    manager_email: str | None


def _named(engine: Engine, client_id: int, manager_id: int) -> Named:
    with UnitOfWork(engine) as uow:
        c = uow.session.get(Client, client_id)
        m = uow.session.get(Manager, manager_id)
        assert c is not None and m is not None
        return Named(str(c.external_id), c.name, c.tax_id, str(m.external_id), m.name, m.email)


def _business_state(world: World) -> dict[str, Any]:
    """Every table but the log-in bookkeeping (sessions, users' last login and failures)."""
    states = backup.table_states(world.engine)
    for bookkeeping in ("user_sessions", "users"):
        states.pop(bookkeeping, None)
    return states


def _head_scope(world: World) -> Scope:
    return Scope(role=UserRole.HEAD, team=world.team)


def _import(world: World, tmp_path: Path, entity: str, text: str, **kw: Any) -> ImportReport:
    path = tmp_path / f"{entity}.csv"
    path.write_text(text, encoding="utf-8")
    return import_file(
        engine=world.engine, entity=entity, path=path, scope=_head_scope(world), **kw
    )


def _outside_rows(world: World) -> dict[str, tuple[str, str]]:
    """entity → (a file whose row 2 reaches outside the head's department, its column)."""
    other = _named(world.engine, world.other_team, world.other_manager)
    mine = _named(world.engine, world.same_team, world.colleague)
    return {
        "clients-rename": (
            f"client_id;name\n{other.client_ext};Переименован\n",
            "name",
        ),
        "clients-owner": (
            f"client_id;name;owner_id\nnew-1;ООО Новый;{other.manager_ext}\n",
            "owner_id",
        ),
        "managers-move": (
            f"manager_id;name;team\n{other.manager_ext};{other.manager_name};{world.team}\n",
            "name",
        ),
        "managers-by-email": (
            f"manager_id;name;email;team\ncrm-77;Тот же;{other.manager_email};{world.team}\n",
            "name",
        ),
        "managers-other-team": (
            "manager_id;name;team\nnew-9;Новый Менеджер;Чужая команда\n",
            "team",
        ),
        "teams": (
            f"client;role;manager\n{other.client_name};account;{mine.manager_ext}\n",
            "client",
        ),
        "teams-manager": (
            f"client;role;manager\n{mine.client_name};service;{other.manager_ext}\n",
            "manager",
        ),
        "deals": (
            f"deal_id;client;manager;amount;stage;created\n"
            f"d-1;{other.client_name};{mine.manager_ext};1000;Новая;2026-11-01\n",
            "client",
        ),
        "activities": (
            f"activity_id;client;manager;type;started\n"
            f"a-1;{other.client_name};{mine.manager_ext};call;2026-11-01\n",
            "client",
        ),
        "surveys": (
            f"survey_id;client;manager;score;date\n"
            f"s-1;{mine.client_name};{other.manager_ext};5;2026-11-01\n",
            "manager",
        ),
        "plans": (
            f"manager;period;amount\n{other.manager_ext};2026-12;100000\n",
            "manager",
        ),
        "feedback": (
            f"from_manager;to_manager;date;score\n"
            f"{mine.manager_ext};{other.manager_ext};2026-11-01;4\n",
            "to_manager",
        ),
    }


OUTSIDE = [
    "clients-rename",
    "clients-owner",
    "managers-move",
    "managers-by-email",
    "managers-other-team",
    "teams",
    "teams-manager",
    "deals",
    "activities",
    "surveys",
    "plans",
    "feedback",
]


@pytest.mark.parametrize("case", OUTSIDE)
def test_a_team_head_cannot_import_a_row_that_reaches_outside_his_department(
    world: World, tmp_path: Path, case: str
) -> None:
    text, column = _outside_rows(world)[case]
    before = _business_state(world)
    report = _import(world, tmp_path, case.split("-")[0], text)
    assert report.errors, (case, report)
    assert (report.errors[0].row, report.errors[0].column) == (2, column), report.errors
    assert "не из вашего отдела" in report.errors[0].message or "вашей" in (
        report.errors[0].message
    )
    assert _business_state(world) == before


def test_the_same_rows_inside_his_department_pass_the_check(world: World, tmp_path: Path) -> None:
    mine = _named(world.engine, world.same_team, world.colleague)
    own = _named(world.engine, world.own, world.own_manager)
    files = {
        "clients": f"client_id;name;owner_id\n{mine.client_ext};{mine.client_name};"
        f"{own.manager_ext}\n",
        "teams": f"client;role;manager\n{mine.client_name};service;{own.manager_ext}\n",
        "deals": f"deal_id;client;manager;amount;stage;created\n"
        f"d-2;{mine.client_name};{own.manager_ext};1000;Новая;2026-11-01\n",
        "managers": f"manager_id;name;team\nnew-5;Новый Менеджер;{world.team}\n",
    }
    for entity, text in files.items():
        report = _import(world, tmp_path, entity, text, dry_run=True)
        assert report.errors == [], (entity, report.errors)


def test_the_web_wizard_applies_the_same_department_check(
    world: World, clients: dict[str, TestClient]
) -> None:
    other = _named(world.engine, world.other_team, world.other_manager)
    mine = _named(world.engine, world.same_team, world.colleague)
    head = clients["head"]
    page = head.get("/import").text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    body = f"client;role;manager\n{other.client_name};account;{mine.manager_ext}\n"
    before = _business_state(world)
    answer = head.post(
        "/import",
        data={"csrf_token": csrf, "entity": "teams", "source": "generic"},
        files={"file": ("teams.csv", body.encode(), "text/csv")},
        follow_redirects=False,
    )
    wizard = answer.headers["location"]
    form = {"csrf_token": csrf}
    import re as _re

    for name, options in _re.findall(
        r'<select name="(col-\d+)"[^>]*>(.*?)</select>', head.get(wizard).text, _re.S
    ):
        chosen = _re.search(r'<option value="([^"]*)" selected>', options)
        form[name] = chosen.group(1) if chosen else ""
    checked = head.post(f"{wizard}/check", data=form)
    assert "не из вашего отдела" in checked.text
    job = head.post(f"{wizard}/apply", data=form, follow_redirects=False)
    job_id = int(job.headers["location"].rsplit("/", 1)[1])
    deadline = time.monotonic() + 60
    while not jobs.get_job(world.engine, job_id).finished:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    after = _business_state(world)
    after.pop("jobs"), before.pop("jobs")  # the import's job itself is the only new row
    assert after == before


# --- plans and lead answers are cut to the department -------------------------------------


@pytest.fixture(scope="module")
def plan_id(world: World) -> int:
    summary, _ = plans.create_plan(
        engine=world.engine,
        solver=plans.solve,
        settings=PlanSettings(time_limit=5.0),
        strategy=Strategy.OPTIMAL,
        today=dt.date(2026, 11, 22),
    )
    return summary.id


def _team_ids(world: World) -> set[str]:
    with UnitOfWork(world.engine) as uow:
        return {
            str(i)
            for i in uow.session.scalars(select(Manager.id).where(Manager.team == world.team))
        }


def test_a_team_head_sees_only_his_departments_moves_of_a_plan(
    world: World, clients: dict[str, TestClient], plan_id: int
) -> None:
    full = clients["admin"].get(f"/api/v1/plans/{plan_id}").json()
    cut = clients["head"].get(f"/api/v1/plans/{plan_id}").json()
    team = _team_ids(world)
    assert full["hidden_moves"] == 0
    assert cut["hidden_moves"] > 0, "the plan should move clients of other departments"
    assert len(cut["moves"]) + cut["hidden_moves"] == len(full["moves"])
    for move in cut["moves"]:
        assert (move["before_id"] or move["after_id"]) in team, move
    assert set(cut["managers"]) <= team
    outside = [m for m in full["moves"] if (m["before_id"] or m["after_id"]) not in team]
    page = clients["head"].get(f"/plans/{plan_id}").text
    assert 'id="plan-hidden-moves"' in page
    for move in outside[:20]:
        assert move["client"] not in page
        cid = move["client_id"]
        assert clients["head"].get(f"/api/v1/plans/{plan_id}/explain/{cid}").status_code == 404
        assert clients["head"].get(f"/plans/{plan_id}/explain/{cid}").status_code == 404
        assert clients["admin"].get(f"/api/v1/plans/{plan_id}/explain/{cid}").status_code == 200


def test_a_team_head_cannot_apply_a_plan_that_moves_other_departments_clients(
    world: World, clients: dict[str, TestClient], plan_id: int
) -> None:
    before = _business_state(world)
    head = clients["head"]
    csrf = head.get("/").text.split('"X-CSRF-Token": "')[1].split('"')[0]
    answer = head.post(f"/api/v1/plans/{plan_id}/apply", headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 403 and "других отделов" in answer.text
    assert _business_state(world) == before


def test_a_lead_answer_never_names_another_departments_client(
    world: World, clients: dict[str, TestClient]
) -> None:
    with UnitOfWork(world.engine, write=True) as uow:
        other = uow.session.get(Client, world.other_team)
        assert other is not None
        other.tax_id = other.tax_id or "7707083893"
        other_inn, other_name = other.tax_id, other.name
        uow.commit()
    head = clients["head"]
    csrf = head.get("/").text.split('"X-CSRF-Token": "')[1].split('"')[0]
    answer = head.post(
        "/api/v1/leads",
        json={"name": "Какой-то лид", "tax_id": other_inn},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 200, answer.text
    text = answer.text
    assert other_name not in text and f'"client_id":{world.other_team}' not in text
    assert answer.json()["decisions"][0]["hidden"] is True


# --- every route of the app, classified: a new route must take a place here -------------

PUBLIC = "public"  # no login
EVERYONE = "everyone"  # every logged-in user, cut to his scope
HEADS = "heads"  # heads of sales and admins (403 for a manager)
COMPANY = "company"  # the whole company's head and admins (403 for a team's head too)
CLIENT = "client"  # any user who may see the client (404 outside his scope)
CLIENT_HEADS = "client-heads"  # heads who may see the client
MANAGER = "manager"  # heads whose department holds the manager (404 outside)
PLAN = "plan"  # heads; a team's head sees his department's part
UPLOAD = "upload"  # the head who uploaded the file

ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/"): EVERYONE,
    ("GET", "/api/v1/capacity"): EVERYONE,
    ("GET", "/api/v1/clients"): EVERYONE,
    ("GET", "/api/v1/clients/{client_id}"): CLIENT,
    ("GET", "/api/v1/clients/{client_id}/team"): CLIENT,
    ("GET", "/api/v1/jobs/{job_id}"): HEADS,
    ("GET", "/api/v1/kpi"): EVERYONE,
    ("POST", "/api/v1/leads"): HEADS,
    ("GET", "/api/v1/managers"): EVERYONE,
    ("GET", "/api/v1/openapi.json"): EVERYONE,
    ("GET", "/api/v1/plans"): HEADS,
    ("POST", "/api/v1/plans"): HEADS,
    ("GET", "/api/v1/plans/{plan_id}"): PLAN,
    ("POST", "/api/v1/plans/{plan_id}/apply"): PLAN,
    ("GET", "/api/v1/plans/{plan_id}/explain/{client_id}"): PLAN,
    ("GET", "/api/v1/rotation/effect"): HEADS,
    ("GET", "/api/v1/rotation/warnings"): EVERYONE,
    ("GET", "/api/v1/session"): EVERYONE,
    ("GET", "/board"): EVERYONE,
    ("GET", "/bonus"): EVERYONE,
    ("GET", "/bonus/statement.xlsx"): EVERYONE,
    ("POST", "/bonus/what-if"): HEADS,
    ("GET", "/capacity"): EVERYONE,
    ("GET", "/capacity/headcount"): HEADS,
    ("GET", "/capacity/settings"): HEADS,
    ("POST", "/capacity/settings"): COMPANY,
    ("GET", "/clients"): EVERYONE,
    ("GET", "/clients/{client_id}"): CLIENT,
    ("POST", "/clients/{client_id}/contacts"): CLIENT,
    ("POST", "/clients/{client_id}/team"): CLIENT_HEADS,
    ("GET", "/crosssell"): EVERYONE,
    ("POST", "/crosssell"): COMPANY,
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/import"): HEADS,
    ("POST", "/import"): HEADS,
    ("GET", "/import/{token}"): UPLOAD,
    ("POST", "/import/{token}/apply"): UPLOAD,
    ("POST", "/import/{token}/check"): UPLOAD,
    ("GET", "/import/{token}/errors.csv"): UPLOAD,
    ("GET", "/import/{token}/report"): UPLOAD,
    ("GET", "/jobs/{job_id}"): HEADS,
    ("GET", "/kpi"): EVERYONE,
    ("GET", "/kpi/drill"): EVERYONE,
    ("GET", "/kpi/export.xlsx"): EVERYONE,
    ("GET", "/kpi/managers/{manager_id}"): MANAGER,
    ("POST", "/kpi/managers/{manager_id}/assess"): MANAGER,
    ("POST", "/kpi/plans"): HEADS,
    ("POST", "/language"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): EVERYONE,
    ("GET", "/managers"): EVERYONE,
    ("POST", "/managers/{manager_id}/leave"): MANAGER,
    ("GET", "/plans"): HEADS,
    ("POST", "/plans"): HEADS,
    ("GET", "/plans/compare"): PLAN,
    ("GET", "/plans/{plan_id}"): PLAN,
    ("POST", "/plans/{plan_id}/apply"): PLAN,
    ("POST", "/plans/{plan_id}/discard"): PLAN,
    ("GET", "/plans/{plan_id}/explain/{client_id}"): PLAN,
    ("GET", "/roles"): HEADS,
    ("POST", "/roles/lead"): HEADS,
    ("POST", "/roles/leave"): HEADS,
    ("POST", "/roles/route"): COMPANY,
    ("POST", "/roles/rules"): COMPANY,
    ("GET", "/roles/rules.{suffix}"): HEADS,
    ("GET", "/rotation"): EVERYONE,
    ("POST", "/rotation/run"): COMPANY,
    ("GET", "/rotation/warnings.csv"): EVERYONE,
}


def _app_routes(world: World) -> set[tuple[str, str]]:
    app = create_app(world.engine)
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        inner = getattr(route, "original_router", None)
        for r in inner.routes if inner is not None else [route]:
            for method in getattr(r, "methods", set()) - {"HEAD"}:
                found.add((method, getattr(r, "path", "")))
    return {r for r in found if r[1] and not r[1].startswith("/static")}


def test_every_route_of_the_app_has_its_place_in_the_authorization_matrix(
    world: World,
) -> None:
    assert _app_routes(world) == set(ACCESS)


def _url(path: str, world: World, plan: int) -> str:
    return (
        path.replace("{client_id}", str(world.other_team))
        .replace("{manager_id}", str(world.other_manager))
        .replace("{plan_id}", str(plan))
        .replace("{job_id}", "1")
        .replace("{token}", "not-yours")
        .replace("{suffix}", "csv")
    )


def _csrf(client: TestClient) -> str:
    return client.get("/").text.split('"X-CSRF-Token": "')[1].split('"')[0]


# A valid form for the writes that need one: refusals must come from the scope, not from
# a missing field.
FORMS: dict[str, dict[str, str]] = {
    "/clients/{client_id}/contacts": {"name": "Иван Петров"},
    "/clients/{client_id}/team": {"role": "service", "manager_id": "{own_manager}"},
    "/kpi/managers/{manager_id}/assess": {"score-needs": "4"},
}


def _call(client: TestClient, method: str, url: str, path: str = "", world: Any = None) -> int:
    if method == "GET":
        return client.get(url, follow_redirects=False).status_code
    headers = {"X-CSRF-Token": _csrf(client)}
    form = {
        k: v.replace("{own_manager}", str(world.own_manager)) if world else v
        for k, v in FORMS.get(path, {}).items()
    }
    return client.post(url, headers=headers, data=form, follow_redirects=False).status_code


MANAGEMENT = sorted(k for k, v in ACCESS.items() if v in (HEADS, COMPANY, PLAN, CLIENT_HEADS))


@pytest.mark.parametrize(("method", "path"), MANAGEMENT)
def test_a_manager_is_refused_every_management_route(
    world: World, clients: dict[str, TestClient], plan_id: int, method: str, path: str
) -> None:
    before = _business_state(world)
    status = _call(clients["manager"], method, _url(path, world, plan_id))
    assert status == 403, (method, path, status)
    assert _business_state(world) == before


@pytest.mark.parametrize(("method", "path"), sorted(k for k, v in ACCESS.items() if v == COMPANY))
def test_a_team_head_is_refused_every_company_wide_write(
    world: World, clients: dict[str, TestClient], plan_id: int, method: str, path: str
) -> None:
    before = _business_state(world)
    assert _call(clients["head"], method, _url(path, world, plan_id)) == 403, path
    assert _business_state(world) == before


@pytest.mark.parametrize(
    ("method", "path"),
    sorted(k for k, v in ACCESS.items() if v in (CLIENT, CLIENT_HEADS, MANAGER)),
)
@pytest.mark.parametrize("user", ["head", "manager"])
def test_a_client_or_manager_of_another_department_is_not_found_on_any_path(
    world: World,
    clients: dict[str, TestClient],
    plan_id: int,
    method: str,
    path: str,
    user: str,
) -> None:
    before = _business_state(world)
    status = _call(clients[user], method, _url(path, world, plan_id), path, world)
    allowed_403 = user == "manager" and ACCESS[(method, path)] in (CLIENT_HEADS, MANAGER)
    assert status == 404 or (allowed_403 and status == 403), (user, method, path, status)
    assert _business_state(world) == before


@pytest.mark.parametrize(("method", "path"), sorted(k for k, v in ACCESS.items() if v != PUBLIC))
def test_an_anonymous_request_never_reaches_a_route_behind_the_login(
    world: World, anonymous: TestClient, plan_id: int, method: str, path: str
) -> None:
    url = _url(path, world, plan_id)
    answer = (
        anonymous.get(url, follow_redirects=False)
        if method == "GET"
        else anonymous.post(url, data={}, follow_redirects=False)
    )
    if path.startswith("/api/"):
        assert answer.status_code == 401, (method, path)
    else:
        assert answer.status_code in (303, 403), (method, path, answer.status_code)
        if answer.status_code == 303:
            assert answer.headers["location"].startswith("/login")


@pytest.mark.parametrize(
    "path", sorted(p for (m, p), v in ACCESS.items() if v == EVERYONE and m == "GET")
)
@pytest.mark.parametrize("user", ["admin", "head", "manager"])
def test_every_report_page_opens_for_every_role(
    world: World, clients: dict[str, TestClient], path: str, user: str
) -> None:
    query = {"kpi": "volume", "manager_id": world.own_manager} if path == "/kpi/drill" else None
    assert clients[user].get(path, params=query).status_code == 200, (user, path)
