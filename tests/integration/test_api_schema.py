"""Schemathesis over the OpenAPI schema: whatever a client sends, the API never answers 5xx."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from clientbase.db import migrate
from clientbase.db.engine import make_engine
from clientbase.services import accounts
from clientbase.services.demo import DemoParams, create_demo
from clientbase.web.app import create_app


def _app() -> tuple[object, str]:
    """The app over a small demo company, and the session token of its head of sales."""
    path = Path(tempfile.mkdtemp(prefix="cb-schemathesis-")) / "api.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    create_demo(engine, DemoParams(clients=80, managers=3, months=2, today=dt.date(2026, 11, 22)))
    accounts.ensure_demo_accounts(engine, password="schema-pass-1")
    token = accounts.login(engine, login="rop", password="schema-pass-1").token
    return create_app(engine), token


APP, TOKEN = _app()
# The schema itself is behind the login, like every API path.
schema = schemathesis.openapi.from_asgi(
    "/api/v1/openapi.json", APP, headers={"Cookie": f"cb_session={TOKEN}"}
)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_answers_with_a_server_error(case: schemathesis.Case) -> None:
    response = case.call(cookies={"cb_session": TOKEN})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])


def test_the_schema_and_the_api_need_a_login() -> None:
    from starlette.testclient import TestClient

    with TestClient(APP) as anonymous:  # type: ignore[arg-type]
        assert anonymous.get("/api/v1/openapi.json").status_code == 401
        assert anonymous.get("/api/v1/clients").status_code == 401
        assert anonymous.get("/openapi.json", follow_redirects=False).status_code == 303
