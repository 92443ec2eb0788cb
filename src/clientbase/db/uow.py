"""Unit of work: one use case, one transaction."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from clientbase.db.engine import writer


class UnitOfWork:
    """Opens a session; commits only when `commit()` is called, rolls back otherwise."""

    def __init__(self, engine: Engine, *, write: bool = False) -> None:
        self._engine = writer(engine) if write else engine
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = Session(bind=self._engine, expire_on_commit=False)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        """Commit everything done in this unit of work."""
        self.session.commit()
