"""Background jobs of the web app: long operations whose progress is kept in the database.

The worker that receives the request runs the job in a thread of its own and writes its
progress and result to the `jobs` table, so the page that polls it never freezes, survives
a reload and shows the same state from any web worker. A job whose worker died (a restart)
is reported as failed once it has shown no progress for `STALE_AFTER`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Engine, select, update

from clientbase.db.tables import Job
from clientbase.db.uow import UnitOfWork
from clientbase.errors import ClientbaseError, NotFoundError
from clientbase.services.locks import process_alive

STALE_AFTER = dt.timedelta(hours=1)
_HOST = socket.gethostname()[:60]


@cache
def _process(pid: int) -> str:
    """This process as written into the jobs it runs (per pid: a forked worker is new)."""
    return f"{_HOST}:{pid}:{uuid.uuid4().hex[:12]}"


def process_id() -> str:
    """host:pid:token of this process."""
    return _process(os.getpid())


# Attempts to write a job's final state before giving up (1 + 2 + 4 + 8 s between them).
RECORD_ATTEMPTS = 5
log = logging.getLogger(__name__)
Progress = Callable[[str], None]
Work = Callable[[Progress], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class JobView:
    """A job as the page shows it."""

    id: int
    kind: str
    title: str
    status: str
    progress: str | None
    result: dict[str, Any] | None
    error: str | None
    created_by: str
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @property
    def finished(self) -> bool:
        """Done or failed: nothing more will change."""
        return self.status in ("done", "failed")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _set(engine: Engine, job_id: int, **values: Any) -> None:
    with UnitOfWork(engine, write=True) as uow:
        uow.session.execute(update(Job).where(Job.id == job_id).values(**values))
        uow.commit()


# Progress of the jobs running in this process. The work may report progress from inside its
# own write transaction (an import holds SQLite's single write lock from its first read), so
# progress is kept in memory here and written to the table only where a second writer does
# not wait for the first (PostgreSQL); the final state is always written.
_live: dict[int, str] = {}
_live_lock = threading.Lock()


def _progress(engine: Engine, job_id: int) -> Progress:
    def report(text: str) -> None:
        with _live_lock:
            _live[job_id] = text[:300]
        if engine.dialect.name != "sqlite":
            try:
                _set(engine, job_id, progress=text[:300])
            except Exception:  # progress is a courtesy: the work goes on without it
                log.debug("job %s: progress not written", job_id, exc_info=True)

    return report


def _failure(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ClientbaseError):
        error = exc.message
    else:
        error = f"Внутренняя ошибка: {type(exc).__name__}: {exc}"
    return {"status": "failed", "error": error[:2000], "finished_at": _now()}


def _record(
    engine: Engine, job_id: int, values: dict[str, Any], *, attempts: int = RECORD_ATTEMPTS
) -> bool:
    """Write a job's state, retrying while the database is busy; False when it never could.

    Another writer (an import holds SQLite's write lock for its whole length) or a full
    connection pool may make one attempt fail; the page that polls the job waits for this
    row, so giving up after one attempt would leave it spinning forever.
    """
    for attempt in range(attempts):
        if attempt:
            time.sleep(min(2.0 ** (attempt - 1), 10.0))
        try:
            _set(engine, job_id, **values)
            return True
        except Exception:
            log.warning(
                "job %s: state not written (attempt %s)", job_id, attempt + 1, exc_info=True
            )
    return False


def _run(engine: Engine, job_id: int, work: Work) -> None:
    """Run the work and always leave the job done or failed (never running forever)."""
    try:
        # "Running" is only shown while the job works: one attempt, the work does not wait.
        _record(engine, job_id, {"status": "running", "progress": "Выполняется…"}, attempts=1)
        try:
            result = work(_progress(engine, job_id))
        except Exception as exc:
            if not isinstance(exc, ClientbaseError):
                log.exception("job %s failed", job_id)
            final = _failure(exc)
        else:
            final = {"status": "done", "result": result, "progress": None, "finished_at": _now()}
        if not _record(engine, job_id, final) and final["status"] == "done":
            # The result itself may be what the database refuses (it is JSON): say so.
            _record(engine, job_id, _failure(RuntimeError("результат задания не записан")))
    finally:
        with _live_lock:
            _live.pop(job_id, None)


def start_job(
    *, engine: Engine, kind: str, title: str, actor: str, work: Work, wait: bool = False
) -> int:
    """Record a job and run `work` in a background thread (or at once when `wait`)."""
    with UnitOfWork(engine, write=True) as uow:
        job = Job(
            kind=kind, title=title[:200], status="queued", created_by=actor, owner=process_id()
        )
        uow.session.add(job)
        uow.session.flush()
        job_id = job.id
        uow.commit()
    if wait:
        _run(engine, job_id, work)
    else:
        threading.Thread(
            target=_run, args=(engine, job_id, work), name=f"job-{job_id}", daemon=True
        ).start()
    return job_id


INTERRUPTED = "Задание прервано (перезапуск сервера?); запустите его снова."


def _alive(owner: str | None) -> bool:
    """Whether the process that runs a job may still be running it.

    A job of this host whose process is gone, or whose pid is ours under another token
    (the same pid after a restart, as in a container), was interrupted; a job of another
    host is judged by its age only.
    """
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != _HOST or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return owner == process_id()
    return process_alive(pid)


def recover_interrupted(engine: Engine) -> int:
    """Mark failed the unfinished jobs whose process is gone (called when the app starts)."""
    with UnitOfWork(engine) as uow:
        lost = [
            job_id
            for job_id, owner in uow.session.execute(
                select(Job.id, Job.owner).where(Job.status.in_(("queued", "running")))
            )
            if not _alive(owner)
        ]
    if lost:
        with UnitOfWork(engine, write=True) as uow:
            uow.session.execute(
                update(Job)
                .where(Job.id.in_(lost), Job.status.in_(("queued", "running")))
                .values(status="failed", error=INTERRUPTED, finished_at=_now())
            )
            uow.commit()
        log.warning("jobs interrupted by a restart marked failed: %s", lost)
    return len(lost)


def _view(job: Job, now: dt.datetime) -> JobView:
    status, error = job.status, job.error
    if status in ("queued", "running") and now - job.created_at > STALE_AFTER:
        status, error = "failed", INTERRUPTED
    with _live_lock:
        live = _live.get(job.id)
    return JobView(
        id=job.id,
        kind=job.kind,
        title=job.title,
        status=status,
        progress=live if live and status == "running" else job.progress,
        result=job.result,
        error=error,
        created_by=job.created_by,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def get_job(engine: Engine, job_id: int) -> JobView:
    """One job; NotFoundError when there is none."""
    with UnitOfWork(engine) as uow:
        job = uow.session.get(Job, job_id)
        if job is None:
            raise NotFoundError(f"Задание #{job_id} не найдено.")
        return _view(job, _now())


def recent_jobs(engine: Engine, *, kind: str | None = None, limit: int = 10) -> list[JobView]:
    """The latest jobs, newest first."""
    with UnitOfWork(engine) as uow:
        stmt = select(Job).order_by(Job.id.desc()).limit(limit)
        if kind:
            stmt = stmt.where(Job.kind == kind)
        now = _now()
        return [_view(j, now) for j in uow.session.scalars(stmt)]
