"""Alembic environment: the engine comes from clientbase, batch mode for SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from clientbase.db.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on the engine handed over in `config.attributes`."""
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        from clientbase.db.engine import make_engine
        from clientbase.settings import get_settings

        engine = make_engine(
            config.get_main_option("sqlalchemy.url") or get_settings().database_url
        )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `clientbase db upgrade`")
run_migrations_online()
