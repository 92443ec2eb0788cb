"""Benchmark: the whole validated import vs pandas' bare read of the same files (issue 9).

Generates a clients XLSX (default 100 000 rows) and a deals CSV (default 1 000 000 rows) in
a temporary directory, then in the same run measures for each file:

- pandas: `pandas.read_excel(engine="calamine")` / `pandas.read_csv` (reading only);
- ours: `import_file` into a fresh SQLite database (read, map, validate every cell and
  reference, write all in one transaction).

Each measurement runs in a child process so that its peak RSS (`ru_maxrss`) is its own.
Usage: python benchmarks/bench_import.py [--clients 100000] [--deals 1000000]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
kind, path, db, entity = sys.argv[1:5]
if kind == "floor":
    # SQLite alone: the same number of deal rows generated inside SQLite by one
    # INSERT … SELECT (no Python per row, no parsing), with the import's settings.
    import sqlite3
    count = int(entity)
    con = sqlite3.connect(db, isolation_level=None)
    for pragma in ("foreign_keys = ON", "journal_mode = WAL", "synchronous = FULL",
                   "cache_size = -262144"):
        con.execute(f"PRAGMA {pragma}")
    low, high = con.execute("SELECT min(id), max(id) FROM clients").fetchone()
    managers = con.execute("SELECT max(id) FROM managers").fetchone()[0]
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deals' "
        "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'"
    ).fetchall()
    started = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")
    con.execute(
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
        "INSERT INTO deals (client_id, manager_id, amount, currency, created, closed, outcome, "
        "stage, product_line, source, external_id) "
        "SELECT i * 7919 % (? - ? + 1) + ?, i % ? + 1, (i % 9999 + 1) * 100.0, 'RUB', "
        "'2026-02-' || printf('%02d', i % 27 + 1), "
        "CASE WHEN i % 5 < 2 THEN '2026-03-' || printf('%02d', i % 27 + 1) END, "
        "CASE i % 5 WHEN 0 THEN 'won' WHEN 1 THEN 'lost' ELSE 'open' END, "
        "'Переговоры', NULL, 'floor', 'D' || i FROM s",
        (count - 1, high, low, low, managers),
    )
    for _, sql in indexes:
        con.execute(sql)
    con.execute("COMMIT")
    rows = count
    extra = {}
elif kind == "pandas":
    import pandas as pd
    started = time.perf_counter()
    if path.endswith(".xlsx"):
        frame = pd.read_excel(path, engine="calamine")
    else:
        frame = pd.read_csv(path)
    rows = len(frame)
    extra = {}
else:
    from clientbase.db import migrate
    from clientbase.db.engine import make_engine
    engine = make_engine(f"sqlite:///{db}")
    if entity == "clients":
        migrate.upgrade(engine)
    from clientbase.services.importing import import_file
    ticks = []
    started = time.perf_counter()
    report = import_file(
        engine=engine,
        entity=entity,
        path=Path(path),
        progress=lambda done, total: ticks.append(time.perf_counter()),
    )
    assert report.ok, [e.line() for e in report.errors[:5]]
    rows = report.inserted
    # The first progress call comes when every cell is read and checked; the rest of
    # the time is writing (SQLite inserts, index rebuilds, the hand-offs) and the commit.
    checked = ticks[0] - started
    extra = {"errors": len(report.errors), "checked_s": checked}
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mib": peak, "rows": rows, **extra}))
"""

REGIONS = ["Москва", "Московская область", "Санкт-Петербург", "Казань", "Новосибирск"]
INDUSTRIES = ["Ритейл", "Производство", "IT", "Логистика", "Строительство"]
STAGES = ["Новая", "Переговоры", "Сделка успешна", "Сделка провалена", "Счёт на предоплату"]
MANAGERS = 200


def inn(n: int) -> str:
    """The n-th valid 10-digit company tax id of a series."""
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    base = f"77{n % 10_000_000:07d}"
    check = sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11 % 10
    return base + str(check)


def make_managers(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["manager_id", "name", "email", "team"])
        for m in range(MANAGERS):
            out.writerow([f"M{m}", f"Менеджер {m}", f"m{m}@example.ru", "Москва"])


def make_clients(path: Path, count: int, rng: random.Random) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Компании")
    headers = ["ID", "Название компании", "ИНН", "Регион", "Отрасль", "Потенциал",
               "Ответственный"]  # fmt: skip
    sheet.write_row(0, 0, headers)
    for i in range(count):
        sheet.write_row(
            i + 1,
            0,
            [
                f"C{i}",
                f"ООО Клиент {i}",
                inn(i),
                rng.choice(REGIONS),
                rng.choice(INDUSTRIES),
                rng.randrange(10, 5000) * 1000,
                f"m{rng.randrange(MANAGERS)}@example.ru",
            ],
        )
    book.close()


def make_deals(path: Path, count: int, clients: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["deal_id", "client", "manager", "amount", "stage", "created", "closed"])
        for i in range(count):
            day = rng.randrange(1, 28)
            stage = rng.choice(STAGES)
            closed = f"2026-03-{day:02d}" if stage.startswith("Сделка") else ""
            out.writerow(
                [
                    f"D{i}",
                    f"C{rng.randrange(clients)}",
                    f"M{rng.randrange(MANAGERS)}",
                    f"{rng.randrange(1, 10_000) * 100}.00",
                    stage,
                    f"2026-02-{day:02d}",
                    closed,
                ]
            )


def postgres_floor(url: str, count: int, clients: int) -> float:
    """Seconds PostgreSQL takes to insert `count` deal rows made by one INSERT … SELECT.

    The schema (foreign keys, CHECKs, indexes) is created in a scratch schema of the
    database at `url` and dropped afterwards; no Python per row.
    """
    from sqlalchemy import create_engine, text

    from clientbase.db.tables import Base

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS import_floor CASCADE"))
            conn.execute(text("CREATE SCHEMA import_floor"))
            conn.execute(text("SET LOCAL search_path TO import_floor"))
            Base.metadata.create_all(conn)
            conn.execute(
                text(
                    "INSERT INTO managers (name, role_group, source, external_id) SELECT "
                    f"'m' || i, 'farmer', 'g', 'M' || i FROM generate_series(1, {MANAGERS}) i"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO clients (name, source, external_id) "
                    f"SELECT 'c' || i, 'g', 'C' || i FROM generate_series(1, {clients}) i"
                )
            )
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL search_path TO import_floor"))
            low, high = conn.execute(text("SELECT min(id), max(id) FROM clients")).one()
            first = conn.execute(text("SELECT min(id) FROM managers")).scalar()
            started = time.perf_counter()
            conn.execute(
                text(
                    "INSERT INTO deals (client_id, manager_id, amount, currency, created, closed, "
                    "outcome, stage, source, external_id) "
                    f"SELECT {low} + i::bigint * 7919 % ({high} - {low} + 1), {first} + i % "
                    f"{MANAGERS}, (i % 9999 + 1) * 100.0, 'RUB', DATE '2026-02-01' + i % 27, "
                    "CASE WHEN i % 5 < 2 THEN DATE '2026-03-01' END, "
                    "CASE i % 5 WHEN 0 THEN 'won' WHEN 1 THEN 'lost' ELSE 'open' END, "
                    f"'Переговоры', 'floor', 'D' || i FROM generate_series(0, {count - 1}) i"
                )
            )
        seconds = time.perf_counter() - started
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA import_floor CASCADE"))
        return seconds
    finally:
        engine.dispose()


def measure(kind: str, path: Path, db: Path, entity: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(path), str(db), entity],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument(
        "--workdir", type=Path, help="keep the generated files here and reuse them next time"
    )
    parser.add_argument(
        "--pg", help="also time PostgreSQL's own insert of the deal rows (database URL)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        db = work / "bench.db"
        for stale in work.glob("bench.db*"):
            stale.unlink()
        managers = work / "managers.csv"
        clients = work / f"clients-{args.clients}.xlsx"
        deals = work / f"deals-{args.deals}-{args.clients}.csv"
        started = time.perf_counter()
        make_managers(managers)
        if not clients.exists():
            make_clients(clients, args.clients, random.Random(9))
        if not deals.exists():
            make_deals(deals, args.deals, args.clients, random.Random(10))
        print(f"files generated in {time.perf_counter() - started:.1f} s: "
              f"clients.xlsx {clients.stat().st_size / 2**20:.1f} MiB, "
              f"deals.csv {deals.stat().st_size / 2**20:.1f} MiB")  # fmt: skip
        from clientbase.db import migrate
        from clientbase.db.engine import make_engine
        from clientbase.services.importing import import_file

        engine = make_engine(f"sqlite:///{db}")
        migrate.upgrade(engine)
        assert import_file(engine=engine, entity="managers", path=managers).ok
        engine.dispose()
        print(
            "| file | rows | pandas s | pandas peak MiB | ours s | of which read + check s "
            "| of which write + commit s | ours peak MiB | ratio | write alone / pandas |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        results = []
        floor_db = work / "bench-floor.db"
        for path, entity in ((clients, "clients"), (deals, "deals")):
            base = measure("pandas", path, db, entity)
            if entity == "deals":
                shutil.copy(db, floor_db)
                floor = measure("floor", path, floor_db, str(args.deals))
                floor_db.unlink()
            ours = measure("ours", path, db, entity)
            ratio = ours["seconds"] / base["seconds"]
            written = ours["seconds"] - ours["checked_s"]
            print(
                f"| {path.name} ({entity}) | {int(ours['rows']):,} | {base['seconds']:.2f} | "
                f"{base['peak_mib']:.0f} | {ours['seconds']:.2f} | {ours['checked_s']:.2f} | "
                f"{written:.2f} | {ours['peak_mib']:.0f} | {ratio:.1f}× (target ≤ 3×) | "
                f"{written / base['seconds']:.1f}× |".replace(",", " ")
            )
            results.append((entity, base))
        deals_base = dict(results)["deals"]["seconds"]
        count = f"{args.deals:,}".replace(",", " ")
        print(
            f"\nSQLite alone, {count} deal rows made by one INSERT … SELECT inside SQLite "
            f"(same schema, constraints and index rebuilds, no Python per row): "
            f"{floor['seconds']:.2f} s = {floor['seconds'] / deals_base:.1f}× pandas' read of "
            "the deals file"
        )
        if args.pg:
            seconds = postgres_floor(args.pg, args.deals, args.clients)
            print(
                f"PostgreSQL alone, the same {count} rows by one INSERT … SELECT (same schema): "
                f"{seconds:.2f} s = {seconds / deals_base:.1f}× pandas' read of the deals file"
            )


if __name__ == "__main__":
    main()
