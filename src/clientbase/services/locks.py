"""A named job lock on the `job_locks` table, for SQLite and PostgreSQL (SPEC §9).

Acquire = INSERT of the name (primary key) or, in the same transaction, taking over a
row whose lock has expired. A second holder gets `JobLockedError` (a ConflictError,
exit code 3).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from clientbase.db.engine import writer
from clientbase.db.tables import JobLock
from clientbase.errors import ConflictError

# The named lock of every use case that changes who owns which client (plans, rotation,
# manager leaving): on PostgreSQL they run one at a time, as they do on SQLite.
ASSIGNMENTS_LOCK = "assignments"


class JobLockedError(ConflictError):
    """The named job is already running in another process."""


def default_holder() -> str:
    """host:pid of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def process_alive(pid: int) -> bool:
    """Whether a process of this host with this pid is running (or not ours to signal)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def acquire(engine: Engine, name: str, holder: str, *, ttl_seconds: int = 3600) -> None:
    """Take the lock `name` for `holder`, or raise JobLockedError."""
    now = _now()
    expires = now + dt.timedelta(seconds=ttl_seconds)
    try:
        with writer(engine).begin() as conn:
            row = conn.execute(
                select(JobLock.holder, JobLock.expires_at).where(JobLock.name == name)
            ).first()
            if row is not None:
                if row.expires_at > now:
                    raise JobLockedError(
                        f"Задание «{name}» уже выполняется ({row.holder}, "
                        f"до {row.expires_at:%Y-%m-%d %H:%M} UTC); повторите позже"
                    )
                conn.execute(
                    delete(JobLock).where(
                        JobLock.name == name, JobLock.expires_at == row.expires_at
                    )
                )
            conn.execute(
                insert(JobLock).values(
                    name=name, holder=holder, acquired_at=now, expires_at=expires
                )
            )
    except IntegrityError as exc:
        raise JobLockedError(
            f"Задание «{name}» уже выполняется в другом процессе; повторите позже"
        ) from exc


def release(engine: Engine, name: str, holder: str) -> None:
    """Release the lock if `holder` still holds it."""
    with writer(engine).begin() as conn:
        conn.execute(delete(JobLock).where(JobLock.name == name, JobLock.holder == holder))


@contextmanager
def job_lock(
    engine: Engine, name: str, holder: str | None = None, *, ttl_seconds: int = 3600
) -> Iterator[str]:
    """Hold the lock `name` for the duration of the block."""
    who = holder or default_holder()
    acquire(engine, name, who, ttl_seconds=ttl_seconds)
    try:
        yield who
    finally:
        release(engine, name, who)
