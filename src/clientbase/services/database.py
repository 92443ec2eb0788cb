"""Opening the database for a command: reachable, known schema, migrated when asked."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from clientbase.db import migrate
from clientbase.db.engine import make_engine, normalize_url
from clientbase.errors import DatabaseError
from clientbase.settings import get_settings


def resolve_url(url: str | None) -> str:
    """`--db` if given, else CLIENTBASE_DATABASE_URL, else clientbase.db here."""
    return normalize_url(url or get_settings().database_url)


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, None for memory or other databases."""
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    return Path(parsed.database)


def open_database(url: str | None, *, create: bool = False) -> Engine:
    """An engine on a database at the current schema; with `create`, create or migrate it."""
    resolved = resolve_url(url)
    path = sqlite_path(resolved)
    if path is not None and not create and not path.exists():
        raise DatabaseError(
            f"База данных {path} не найдена; создайте её: `clientbase db upgrade` "
            "или `clientbase demo`."
        )
    if path is not None and create and not path.parent.exists():
        raise DatabaseError(f"Папка {path.parent} для базы данных не существует.")
    engine = make_engine(resolved, busy_timeout_ms=get_settings().sqlite_busy_timeout_ms)
    if create:
        migrate.upgrade(engine)
    else:
        migrate.ensure_current(engine)
    return engine


def open_for_restore(url: str | None) -> Engine:
    """An engine on a database of any known schema revision, created if it is missing."""
    resolved = resolve_url(url)
    path = sqlite_path(resolved)
    if path is not None and not path.parent.exists():
        raise DatabaseError(f"Папка {path.parent} для базы данных не существует.")
    engine = make_engine(resolved, busy_timeout_ms=get_settings().sqlite_busy_timeout_ms)
    migrate.check_known(engine)
    return engine
