"""Engine creation with the connection settings every connection must have."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from clientbase.errors import BadInputError

# Writes start with BEGIN IMMEDIATE on SQLite so two writers never deadlock on upgrade
# from a read lock; set through `engine.execution_options(sqlite_begin="IMMEDIATE")`.
SQLITE_BEGIN_OPTION = "sqlite_begin"


def is_sqlite(url: str) -> bool:
    """Whether the URL points at SQLite."""
    return url.startswith("sqlite")


def normalize_url(url: str) -> str:
    """Map plain `postgresql://` to the psycopg 3 driver, keep everything else."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _install_sqlite_pragmas(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins (SQLAlchemy docs,
        # "Serializable isolation / Savepoints / Transactional DDL").
        dbapi_conn.isolation_level = None
        # SQLite's own lower() folds ASCII only; Russian names and regions need Unicode.
        dbapi_conn.create_function("lower", 1, _unicode_lower, deterministic=True)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys = ON")
        if cur.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
            cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str, *, busy_timeout_ms: int = 30_000, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, busy timeout and FULL sync."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise BadInputError(f"Неверный адрес базы данных: {url!r}") from exc
    try:
        if parsed.get_backend_name() == "sqlite":
            _create_private(parsed.database)
            engine = create_engine(url, echo=echo, connect_args={"timeout": busy_timeout_ms / 1000})
            _install_sqlite_pragmas(engine, busy_timeout_ms)
        else:
            engine = create_engine(url, echo=echo, pool_pre_ping=True)
    except Exception as exc:
        raise BadInputError(f"Неподдерживаемый адрес базы данных {url!r}: {exc}") from exc
    return engine


def _create_private(database: str | None) -> None:
    """Create a new SQLite file readable by its owner only (0600): it holds clients' data.

    SQLite gives its -wal and -shm files the mode of the database file.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.exists() or not path.parent.is_dir():
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def writer(engine: Engine) -> Engine:
    """The same engine whose transactions take the write lock at once on SQLite."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    return engine
