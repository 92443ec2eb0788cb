"""Benchmark: capacity, load and coverage for 1 000 managers, 100 000 clients, 2 M activities.

Generates the data straight into a new SQLite file (bulk executemany after the migrations),
then times `services.capacity.manager_loads` (capacity + load in clients and hours +
buried/coverage, all set-based SQL) against a straightforward pandas computation of the same
figures over the same data read once (`read_sql` of the three tables, then group-by).
Both start from the database file; the pandas figure is reported with and without the read.

Usage: python benchmarks/bench_capacity.py [--managers 1000 --clients 100000 --activities 2000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from clientbase.db import migrate
from clientbase.db.engine import make_engine
from clientbase.services import capacity as cs

TODAY = dt.date(2026, 11, 22)
TIERS = np.array(["VIP", "A", "B", "C"])
TYPES = np.array(["call", "meeting", "email", "task", "inbound"])


def build(path: Path, managers: int, clients: int, activities: int) -> float:
    """Write the synthetic company; return seconds."""
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    rng = np.random.default_rng(7)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("BEGIN")
    n_hunters = managers // 7
    groups = ["hunter" if i < n_hunters else "farmer" for i in range(managers)]
    con.executemany(
        "INSERT INTO managers (id, name, role_group, grade, complexity, readiness, support, tools,"
        " active, source, regions, industries, product_lines, channels, ownerships, tiers,"
        " version, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 'bench', '*', '*', '*', '*', '*', '*', 1,"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        [
            (i + 1, f"Менеджер {i + 1}", groups[i], *(int(x) for x in rng.integers(1, 6, 5)))
            for i in range(managers)
        ],
    )
    tier = TIERS[rng.choice(4, clients, p=[0.03, 0.17, 0.3, 0.5])]
    status = np.where(rng.random(clients) < 0.15, "prospect", "active")
    region = rng.integers(0, 40, clients)
    con.executemany(
        "INSERT INTO clients (id, name, tier, status, region, tier_given, potential, revenue_12m,"
        " locked, source, version, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 0, 0, 0, 0, 'bench', 1,"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        (
            (i + 1, f"Клиент {i + 1}", str(tier[i]), str(status[i]), f"Регион {region[i]}")
            for i in range(clients)
        ),
    )
    # Uneven loads: a lognormal share per farmer, so some carry far more than others.
    farmers = np.arange(n_hunters, managers) + 1
    share = rng.lognormal(0, 0.4, farmers.size)
    owner = rng.choice(farmers, clients, p=share / share.sum())
    hunter = rng.integers(1, n_hunters + 1, clients)
    rows = [(i + 1, "account", int(owner[i]), "2025-01-01", None) for i in range(clients)]
    rows += [
        (i + 1, "acquisition", int(hunter[i]), "2025-01-01", None)
        for i in range(clients)
        if status[i] == "prospect"
    ]
    con.executemany(
        "INSERT INTO responsibilities (client_id, role, manager_id, since, until, reason)"
        " VALUES (?, ?, ?, ?, ?, 'bench')",
        rows,
    )
    a_client = rng.integers(1, clients + 1, activities)
    a_mgr = owner[a_client - 1]
    base = dt.datetime(2025, 11, 22).timestamp()
    start = int(base) + rng.integers(0, 365 * 86400, activities)
    minutes = rng.integers(2, 90, activities)
    typ = TYPES[rng.integers(0, 5, activities)]
    as_text = np.vectorize(lambda x: x.replace("T", " "))
    started_txt = as_text(np.datetime_as_string(start.astype("datetime64[s]"), unit="s"))
    ended_txt = as_text(
        np.datetime_as_string((start + minutes * 60).astype("datetime64[s]"), unit="s")
    )
    acts = zip(
        a_client.tolist(),
        a_mgr.tolist(),
        typ.tolist(),
        started_txt.tolist(),
        ended_txt.tolist(),
        strict=True,
    )
    con.executemany(
        "INSERT INTO activities (client_id, manager_id, type, started, ended, completed, source)"
        " VALUES (?, ?, ?, ?, ?, 1, 'bench')",
        acts,
    )
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - started


def ours(path: Path) -> tuple[float, int, int]:
    engine = make_engine(f"sqlite:///{path}")
    started = time.perf_counter()
    loads = cs.manager_loads(engine, today=TODAY, days=30)
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, len(loads), sum(x.buried for x in loads)


def with_pandas(path: Path) -> tuple[float, float, int]:
    import pandas as pd

    con = sqlite3.connect(path)
    t0 = time.perf_counter()
    resp = pd.read_sql(
        "SELECT client_id, role, manager_id FROM responsibilities WHERE until IS NULL", con
    )
    clients = pd.read_sql("SELECT id AS client_id, tier, status, hours FROM clients", con)
    mgrs = pd.read_sql("SELECT id AS manager_id, role_group, complexity FROM managers", con)
    acts = pd.read_sql("SELECT client_id, started FROM activities WHERE completed = 1", con)
    t1 = time.perf_counter()
    roles = {"farmer": {"account"}, "head": {"account"}, "hunter": {"acquisition", "sales"}}
    df = resp.merge(mgrs, on="manager_id").merge(clients, on="client_id")
    ok = [r in roles.get(g, {g}) for r, g in zip(df["role"], df["role_group"], strict=True)]
    df = df[ok]
    df = df[(df["role_group"] != "hunter") | (df["status"] == "prospect")]
    weight = df["tier"].map({"VIP": 3, "A": 1, "B": 1, "C": 1})
    df = df.assign(weight=weight)
    load = df.groupby(["manager_id", "tier"]).size()
    weighted = df.groupby("manager_id")["weight"].sum()
    last = acts.groupby("client_id")["started"].max()
    cutoff = (TODAY - dt.timedelta(days=30)).isoformat()
    df = df.assign(last=df["client_id"].map(last))
    buried = df[df["last"].isna() | (df["last"] < cutoff)].groupby("manager_id").size()
    t2 = time.perf_counter()
    con.close()
    assert len(load) and len(weighted)
    return t2 - t0, t2 - t1, int(buried.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--managers", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=2_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        built = build(path, args.managers, args.clients, args.activities)
        print(
            f"data: {args.managers} managers, {args.clients} clients, "
            f"{args.activities} activities; built in {built:.1f} s"
        )
        ours_s, n, buried_ours = ours(path)
        pd_total, pd_groupby, buried_pd = with_pandas(path)
        print(f"ours (capacity + load + coverage, SQL): {ours_s:.2f} s for {n} managers")
        print(f"pandas: read + group-by {pd_total:.2f} s (group-by alone {pd_groupby:.2f} s)")
        print(f"ratio ours / pandas (read + group-by): {ours_s / pd_total:.2f}")
        print(f"buried clients: ours {buried_ours}, pandas {buried_pd}")
        print("target ≤ 5 s:", "met" if ours_s <= 5 else "NOT met")


if __name__ == "__main__":
    main()
