"""Schema migrations (Alembic) driven from code, with a check for a too-new schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from clientbase.errors import DatabaseError, SchemaTooNewError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs on the given engine."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def _script(engine: Engine) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(engine))


def head_revision(engine: Engine) -> str:
    """The newest revision this version of clientbase knows."""
    head = _script(engine).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, None for an empty database."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise DatabaseError(
            f"Не удалось открыть базу данных {_safe(engine)}: {_first_line(exc)}"
        ) from exc


def check_known(engine: Engine) -> str | None:
    """Raise if the database was written by a newer clientbase; return its revision."""
    current = current_revision(engine)
    if current is not None:
        script = _script(engine)
        try:
            script.get_revision(current)
        except Exception as exc:
            raise SchemaTooNewError(
                f"База данных {_safe(engine)} создана более новой версией clientbase "
                f"(ревизия схемы {current}); обновите clientbase."
            ) from exc
    return current


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate the schema up to `revision`."""
    check_known(engine)
    try:
        command.upgrade(alembic_config(engine), revision)
    except OperationalError as exc:
        raise DatabaseError(
            f"Не удалось обновить схему {_safe(engine)}: {_first_line(exc)}"
        ) from exc


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the schema down to `revision` (`base` drops everything)."""
    check_known(engine)
    command.downgrade(alembic_config(engine), revision)


def ensure_current(engine: Engine) -> None:
    """Raise a clear error unless the database is at the head revision."""
    current = check_known(engine)
    if current != head_revision(engine):
        state = "пуста" if current is None else f"на ревизии {current}"
        raise DatabaseError(
            f"База данных {_safe(engine)} {state}; выполните `clientbase db upgrade`."
        )


def _safe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).splitlines()[0]
