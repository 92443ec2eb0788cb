"""Unit of work: one use case, one transaction.

Writers take the write lock at once on SQLite (BEGIN IMMEDIATE). A writer may also name a
lock (`lock="assignments"`): on PostgreSQL it takes a transaction-scoped advisory lock of
that name first, so two use cases that read-check-write the same data (two heads applying
plans, a rotation run and a plan apply) run one after the other there too.

Errors that mean "someone else got there first" — SQLite's "database is locked", a
PostgreSQL serialization failure or deadlock, a unique key taken by a concurrent insert —
leave the unit of work as a `ConflictError` the user can act on (exit code 3).
"""

from __future__ import annotations

import hashlib
from types import TracebackType

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from clientbase.db.engine import writer
from clientbase.db.failpoints import failpoint
from clientbase.errors import ConflictError

# SQLSTATE codes of PostgreSQL that mean a concurrent transaction won.
_PG_CONFLICT_STATES = {"40001", "40P01", "55P03"}


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for a lock name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def conflict_of(exc: BaseException) -> ConflictError | None:
    """The user-facing conflict an exception from the database stands for, if any."""
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    message = str(orig).lower()
    if isinstance(exc, OperationalError) and (
        "database is locked" in message or "database is busy" in message
    ):
        return ConflictError(
            "База данных занята другой записью дольше времени ожидания; повторите операцию."
        )
    if state in _PG_CONFLICT_STATES:
        return ConflictError("Данные одновременно изменил другой пользователь; повторите операцию.")
    if isinstance(exc, IntegrityError) and (
        state == "23505" or "unique constraint failed" in message
    ):
        return ConflictError(
            "Эту запись только что создал другой пользователь или процесс; "
            "обновите данные и повторите операцию."
        )
    return None


class UnitOfWork:
    """Opens a session; commits only when `commit()` is called, rolls back otherwise."""

    def __init__(self, engine: Engine, *, write: bool = False, lock: str | None = None) -> None:
        self._engine = writer(engine) if write or lock else engine
        self._lock = lock
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = Session(bind=self._engine, expire_on_commit=False)
        try:
            if self._lock and self._engine.dialect.name == "postgresql":
                self.session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": advisory_key(self._lock)},
                )
        except BaseException as exc:
            self.session.rollback()
            self.session.close()
            conflict = conflict_of(exc)
            if conflict is not None:
                raise conflict from exc
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()
        if exc is not None:
            conflict = conflict_of(exc)
            if conflict is not None:
                raise conflict from exc

    def commit(self) -> None:
        """Commit everything done in this unit of work."""
        failpoint("before-commit", self.session)
        self.session.commit()
