"""Shared fixtures: fresh databases on SQLite (always) and PostgreSQL (when configured).

PostgreSQL tests run when CLIENTBASE_TEST_PG_URL points at a server where we may create
databases (CI sets it); each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine

from clientbase.db import migrate
from clientbase.db.engine import make_engine

PG_URL = os.environ.get("CLIENTBASE_TEST_PG_URL")
DEMO_TODAY = dt.date(2026, 11, 22)


def _pg_admin_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    """URL of a new SQLite file in the test's temporary folder."""
    return f"sqlite:///{tmp_path}/clientbase.db"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a new, empty PostgreSQL database, dropped after the test."""
    if not PG_URL:
        pytest.skip("CLIENTBASE_TEST_PG_URL is not set")
    name = f"cb_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin_dsn(PG_URL)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh empty database URL, once per backend."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a fresh database migrated to the head revision."""
    eng = make_engine(db_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()
