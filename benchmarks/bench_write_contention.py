"""Write contention on SQLite: 20 writer processes for 30 s (issue 11).

Prints committed transactions per second, the 95th-percentile time of a write (waiting for
the lock included), and errors a user would have seen (must be 0); checks that every
acknowledged write is in the database. Run: `.venv/bin/python benchmarks/bench_write_contention.py`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from contention import p95, run, written_rows

from clientbase.db import migrate
from clientbase.db.engine import make_engine
from clientbase.services.demo import DemoParams, create_demo


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--db", help="URL of an EMPTY database (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'contention.db'}"
        engine = make_engine(url)
        if migrate.current_revision(engine) is not None:
            raise SystemExit(f"{url}: the database is not empty; give an empty one")
        migrate.upgrade(engine)
        create_demo(engine, DemoParams(clients=900, months=3, today=dt.date(2026, 11, 22)))
        engine.dispose()
        results = run(url, writers=args.writers, seconds=args.seconds, clients=900)
        committed = sum(r.committed for r in results)
        errors = [e for r in results for e in r.errors]
        took = [s for r in results for s in r.seconds]
        rows, bumps = written_rows(url)
    print(f"database: {url.split(':')[0]}; writers {args.writers}; {args.seconds:.0f} s")
    print(f"committed writes: {committed} ({committed / args.seconds:.0f} per s)")
    print(
        f"p95 write time incl. lock wait: {p95(took) * 1000:.0f} ms; max {max(took) * 1000:.0f} ms"
    )
    print(f"errors seen by users: {len(errors)}")
    for e in errors[:5]:
        print("  ", e)
    print(f"history rows present: {rows}; version bumps present: {bumps}")
    print("every acknowledged write present:", rows == committed and bumps == committed)


if __name__ == "__main__":
    main()
