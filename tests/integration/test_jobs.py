"""Background jobs always end done or failed, even when the database is busy as they end."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from clientbase.db import migrate
from clientbase.db.engine import make_engine
from clientbase.services import jobs


def _held_for(path: Path, seconds: float) -> threading.Event:
    """Another process's writer: SQLite's write lock taken now and released after `seconds`."""
    taken = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        taken.set()
        threading.Event().wait(seconds)
        conn.execute("ROLLBACK")
        conn.close()

    threading.Thread(target=hold, daemon=True).start()
    assert taken.wait(5)
    return taken


def test_a_job_that_ends_while_another_writer_holds_the_database_still_ends_done(
    tmp_path: Path,
) -> None:
    path = tmp_path / "busy.db"
    url = f"sqlite:///{path}"
    # A short busy timeout: the first attempt to record "done" fails as "database is locked".
    engine = make_engine(url, busy_timeout_ms=200)
    migrate.upgrade(engine)

    def work(progress: jobs.Progress) -> dict[str, object]:
        _held_for(path, 1.5)
        return {"url": "/somewhere"}

    job_id = jobs.start_job(engine=engine, kind="test", title="t", actor="x", work=work, wait=True)
    job = jobs.get_job(engine, job_id)
    assert job.status == "done" and job.result == {"url": "/somewhere"}
    assert job.finished_at is not None


def test_a_job_whose_work_breaks_unexpectedly_ends_failed_with_the_reason(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'broken.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)

    def work(progress: jobs.Progress) -> dict[str, object]:
        raise KeyError("колонка")

    job_id = jobs.start_job(engine=engine, kind="test", title="t", actor="x", work=work, wait=True)
    job = jobs.get_job(engine, job_id)
    assert job.status == "failed" and job.error is not None
    assert "KeyError" in job.error and "колонка" in job.error
