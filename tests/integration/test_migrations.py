"""Alembic migrations on empty SQLite and PostgreSQL databases."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from clientbase.db import migrate
from clientbase.db.engine import make_engine
from clientbase.db.tables import Base
from clientbase.errors import DatabaseError, SchemaTooNewError
from clientbase.services.demo import DemoParams, create_demo


def test_upgrade_creates_every_table_on_an_empty_database(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    names = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= names
    assert migrate.current_revision(engine) == migrate.head_revision(engine)


def test_the_tables_in_code_match_the_migrations(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_base_then_upgrade_to_head_works(engine: Engine) -> None:
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert not set(Base.metadata.tables) & set(inspect(engine).get_table_names())
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)


def test_a_database_from_a_newer_schema_is_refused_with_a_clear_message(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'zz_future'"))
    with pytest.raises(SchemaTooNewError, match="более новой версией"):
        migrate.upgrade(engine)
    with pytest.raises(SchemaTooNewError):
        migrate.ensure_current(engine)


def test_an_empty_database_asks_for_db_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    with pytest.raises(DatabaseError, match="clientbase db upgrade"):
        migrate.ensure_current(engine)


def test_sqlite_connections_use_wal_foreign_keys_and_full_sync(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def _revisions() -> list[str]:
    script = ScriptDirectory(str(migrate.MIGRATIONS_DIR))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


REVISIONS = _revisions()


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())
            for name in ("managers", "clients", "deals", "activities", "responsibilities")
        }


@pytest.mark.parametrize("start", REVISIONS[:-1])
def test_a_database_with_data_upgrades_from_an_earlier_revision_and_downgrades_one_step(
    db_url: str, start: str
) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine, start)
    create_demo(engine, DemoParams(clients=60, managers=3, months=3, today=dt.date(2026, 11, 22)))
    before = _counts(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    assert _counts(engine) == before
    migrate.downgrade(engine, REVISIONS[-2])
    assert _counts(engine) == before
    migrate.upgrade(engine)
    assert _counts(engine) == before
    engine.dispose()
