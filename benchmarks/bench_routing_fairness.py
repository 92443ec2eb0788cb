"""Benchmark: fairness of lead routing over 10 000 simulated arrivals.

Each manager's share of the routed arrivals is compared with his share of the team's
capacity; the figure is the largest deviation in percentage points (target: every manager
within ±2 points).

Two runs:

1. `core` — the pure strategies (`core.routing.simulate`): 10 000 arrivals one by one, held
   clients leaving at random (mean stay = 70 % of the team's capacity in arrivals), for
   least-load (the default), weighted and round robin, on a team of unequal capacities.
2. `db` — the real service on a fresh SQLite database: 8 hunters with unequal capacity
   overrides; 10 000 leads arrive in files of 100 through `services.routing.route_file`
   (each lead created as a prospect and routed in one transaction per file); between files
   a random 40 % of the open prospects are closed (lost or handed off), so the team runs
   at about 70 % of its capacity. The fairness report
   (`services.routing.fairness_report`) then gives the shares.

Usage: python benchmarks/bench_routing_fairness.py [--arrivals 10000] [--mode core|db|both]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clientbase.core.routing import RoutingStrategy, simulate
from clientbase.db import migrate
from clientbase.db import tables as t
from clientbase.db.engine import make_engine
from clientbase.services import routing as rs

CAPACITIES = {1: 30, 2: 40, 3: 50, 4: 60, 5: 45, 6: 35, 7: 52, 8: 41}
TODAY = dt.date(2026, 11, 22)


def run_core(arrivals: int) -> None:
    """The pure strategies."""
    print(f"core: {arrivals} arrivals, capacities {list(CAPACITIES.values())}")
    for strategy in RoutingStrategy:
        started = time.perf_counter()
        result = simulate(
            {m: float(c) for m, c in CAPACITIES.items()},
            arrivals=arrivals,
            strategy=strategy,
            seed=42,
        )
        seconds = time.perf_counter() - started
        print(
            f"  {strategy.value:12s} max deviation {result.max_deviation:5.2f} pp, "
            f"unassigned {result.unassigned}, {seconds:.1f} s"
        )


def run_db(arrivals: int, batch: int = 100) -> None:
    """The routing service on a database, with prospects closing between files."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "routing.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate.upgrade(engine)
        with Session(engine) as s, s.begin():
            for mid, cap in CAPACITIES.items():
                s.add(
                    t.Manager(
                        id=mid, name=f"Охотник {mid}", role_group="hunter", capacity_override=cap
                    )
                )
        rng = random.Random(7)
        started = time.perf_counter()
        unassigned = 0
        n = 0
        while n < arrivals:
            size = min(batch, arrivals - n)
            leads = Path(tmp) / "leads.csv"
            leads.write_text(
                "client_id,name,tier,potential\n"
                + "".join(f"L{n + i},Лид {n + i},C,{rng.randint(0, 10**6)}\n" for i in range(size)),
                encoding="utf-8",
            )
            report = rs.route_file(engine=engine, path=leads, today=TODAY, seed=n)
            unassigned += len(report.unassigned)
            n += size
            # 40 % of the open prospects close (lost or bought) before the next file, so the
            # team runs at about 70 % of its capacity and never has to queue.
            with Session(engine) as s, s.begin():
                open_ids = list(
                    s.scalars(select(t.Responsibility.id).where(t.Responsibility.until.is_(None)))
                )
                closing = rng.sample(open_ids, (len(open_ids) * 2) // 5)
                for part in range(0, len(closing), 500):
                    s.execute(
                        update(t.Responsibility)
                        .where(t.Responsibility.id.in_(closing[part : part + 500]))
                        .values(until=TODAY)
                    )
        seconds = time.perf_counter() - started
        report_f = rs.fairness_report(engine=engine, since=TODAY, until=TODAY)
        routed = sum(r.routed for r in report_f.rows)
        print(
            f"db: {arrivals} leads in files of {batch}, routed {routed}, queued {unassigned}, "
            f"{seconds:.1f} s ({1000 * seconds / arrivals:.2f} ms a lead)"
        )
        for r in report_f.rows:
            print(
                f"  #{r.manager_id} capacity {r.capacity:3d}: {r.routed:5d} routed, "
                f"{r.share:5.2f} % vs {r.capacity_share:5.2f} % → {r.deviation:+.2f} pp"
            )
        print(f"  max deviation {report_f.max_deviation:.2f} pp")
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arrivals", type=int, default=10_000)
    parser.add_argument("--mode", choices=["core", "db", "both"], default="both")
    args = parser.parse_args()
    if args.mode in ("core", "both"):
        run_core(args.arrivals)
    if args.mode in ("db", "both"):
        run_db(args.arrivals)


if __name__ == "__main__":
    main()
