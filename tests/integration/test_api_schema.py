"""Schemathesis over the OpenAPI schema: whatever a client sends, the API never answers 5xx."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from clientbase.db import migrate
from clientbase.db.engine import make_engine
from clientbase.services.demo import DemoParams, create_demo
from clientbase.web.app import create_app


def _app() -> object:
    path = Path(tempfile.mkdtemp(prefix="cb-schemathesis-")) / "api.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    create_demo(engine, DemoParams(clients=80, managers=3, months=2, today=dt.date(2026, 11, 22)))
    return create_app(engine)


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_answers_with_a_server_error(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
