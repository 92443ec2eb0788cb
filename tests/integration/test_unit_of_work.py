"""The unit of work turns "someone else got there first" into a conflict the user can act on."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import Engine, func, select

from clientbase.db import migrate
from clientbase.db import tables as t
from clientbase.db.engine import make_engine
from clientbase.db.uow import UnitOfWork, advisory_key
from clientbase.errors import ConflictError


def test_a_busy_sqlite_database_is_reported_as_a_conflict_and_nothing_is_written(
    sqlite_url: str,
) -> None:
    engine = make_engine(sqlite_url, busy_timeout_ms=200)
    migrate.upgrade(engine)
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(ConflictError, match="занята"), UnitOfWork(engine, write=True) as uow:
            uow.session.add(t.AppMeta(key="k", value="v"))
            uow.session.flush()
            uow.commit()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(t.AppMeta)) == 0
    engine.dispose()


def test_a_key_taken_by_a_concurrent_insert_is_reported_as_a_conflict(engine: Engine) -> None:
    with UnitOfWork(engine, write=True) as uow:
        uow.session.add(t.AppMeta(key="k", value="first"))
        uow.commit()
    with pytest.raises(ConflictError, match="другой"), UnitOfWork(engine, write=True) as uow:
        uow.session.add(t.AppMeta(key="k", value="second"))
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.session.get(t.AppMeta, "k").value == "first"  # type: ignore[union-attr]


def test_named_locks_map_to_stable_distinct_advisory_keys() -> None:
    assert advisory_key("assignments") == advisory_key("assignments")
    assert advisory_key("assignments") != advisory_key("rotation")
    assert -(2**63) <= advisory_key("assignments") < 2**63


def test_a_named_writer_lock_works_on_both_databases(engine: Engine) -> None:
    with UnitOfWork(engine, write=True, lock="assignments") as uow:
        uow.session.add(t.AppMeta(key="locked", value="yes"))
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.session.get(t.AppMeta, "locked") is not None
