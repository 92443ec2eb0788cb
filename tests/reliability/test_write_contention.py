"""Many writers at once on SQLite: nobody sees "database is locked", every write lands."""

from __future__ import annotations

import datetime as dt

from contention import run, written_rows

from clientbase.db import migrate
from clientbase.db.engine import make_engine
from clientbase.services.demo import DemoParams, create_demo


def test_twenty_concurrent_writers_all_succeed_and_every_write_is_present(
    sqlite_url: str,
) -> None:
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    create_demo(engine, DemoParams(clients=100, months=2, today=dt.date(2026, 11, 22)))
    engine.dispose()
    results = run(sqlite_url, writers=20, seconds=4.0, clients=100)
    errors = [e for r in results for e in r.errors]
    assert errors == []
    committed = sum(r.committed for r in results)
    assert committed > 0
    assert all(r.committed > 0 for r in results), "a writer was starved"
    assert written_rows(sqlite_url) == (committed, committed)
