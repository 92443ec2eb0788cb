"""Benchmark: the full KPI scorecard of one period over 1 000 managers, 100 000 clients, 5 M deals.

Generates the data straight into a new SQLite file (migrations, then bulk executemany with
the deal and activity indexes dropped and rebuilt after the load, then ANALYZE), times
`services.kpi.scorecard` for one quarter (every KPI of SPEC §7 per manager, percentiles,
scores, ranks, team / role-group / company roll-ups), then computes the SPEC §10 columns
(volume, won, lost, conversion, average check, new clients, retention, repeat rate, plan,
attainment, dynamics) with a straightforward pandas implementation over the same file
(`read_sql` of deals, clients, responsibilities and plans, then group-by) and asserts that
both agree — money to the cent, counts exactly, ratios to 1e-9.

Usage: python benchmarks/bench_kpi.py [--managers 1000 --clients 100000 --deals 5000000]
       [--activities 1000000] [--period 2026-Q3] [--keep FILE] [--runs 1]

`--keep FILE` builds the file once and reuses it on later runs (brought to the current
schema first: a kept file from before a new index gets it, then ANALYZE). `--runs N` times
the scorecard N times each way (each a full computation, nothing cached between calls).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from clientbase.core.kpi import Period, parse_period
from clientbase.db import migrate
from clientbase.db.engine import make_engine
from clientbase.services import kpi

TODAY = dt.date(2026, 11, 22)
EPOCH = np.datetime64("1970-01-01", "D")
HISTORY_START = dt.date(2023, 1, 1)


def _days(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def _iso(days: np.ndarray) -> list[str]:
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D").tolist()  # type: ignore[no-any-return]


def _iso_seconds(seconds: np.ndarray) -> list[str]:
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return np.char.replace(text, "T", " ").tolist()  # type: ignore[no-any-return]


def build(path: Path, managers: int, clients: int, deals: int, activities: int) -> float:
    """Write the synthetic company; return seconds."""
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    rng = np.random.default_rng(8)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -400000")
    indexes = con.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('deals', 'activities', 'responsibilities')"
    ).fetchall()
    for (sql,) in indexes:
        con.execute("DROP INDEX " + sql.split(" ON ")[0].split()[-1])
    con.execute("BEGIN")
    n_hunters = managers // 5
    n_special = max(3, managers // 50)
    n_farmers = managers - n_hunters - n_special
    groups = (
        ["hunter"] * n_hunters
        + ["farmer"] * n_farmers
        + [("head", "service", "admin")[i % 3] for i in range(n_special)]
    )
    con.executemany(
        "INSERT INTO managers (id, name, role_group, team, grade, active, source, regions,"
        " industries, product_lines, channels, ownerships, tiers, version, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, 3, 1, 'bench', '*', '*', '*', '*', '*', '*', 1,"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        [(i + 1, f"Менеджер {i + 1}", groups[i], f"Команда {i % 50:02d}") for i in range(managers)],
    )
    today = _days(TODAY)
    first_day = _days(HISTORY_START)
    # 90 % of clients have bought: a first purchase between 2020 and a month ago.
    bought = rng.random(clients) < 0.9
    fp = rng.integers(_days(dt.date(2020, 1, 1)), today - 30, clients)
    farmers = np.arange(n_hunters, n_hunters + n_farmers) + 1
    share = rng.lognormal(0, 0.4, farmers.size)
    owner = rng.choice(farmers, clients, p=share / share.sum())
    hunter = rng.integers(1, n_hunters + 1, clients)
    con.executemany(
        "INSERT INTO clients (id, name, tier, status, first_purchase, tier_given, potential,"
        " revenue_12m, locked, source, version, created_at, updated_at)"
        " VALUES (?, ?, 'C', ?, ?, 0, 0, 0, 0, 'bench', 1,"
        " '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        zip(
            range(1, clients + 1),
            [f"Клиент {i + 1}" for i in range(clients)],
            np.where(bought, "active", "prospect").tolist(),
            [d if b else None for d, b in zip(_iso(fp), bought.tolist(), strict=True)],
            strict=True,
        ),
    )
    resp: list[tuple[Any, ...]] = []
    fp_text = _iso(fp)
    for i in range(clients):
        if bought[i]:
            resp.append((i + 1, "account", int(owner[i]), fp_text[i], None))
            resp.append((i + 1, "acquisition", int(hunter[i]), "2019-12-01", fp_text[i]))
        else:
            resp.append((i + 1, "acquisition", int(hunter[i]), "2026-01-01", None))
    con.executemany(
        "INSERT INTO responsibilities (client_id, role, manager_id, since, until, reason)"
        " VALUES (?, ?, ?, ?, ?, 'bench')",
        resp,
    )
    # Deals: the first purchase of clients who first bought inside the history (closed by
    # the hunter), then the rest spread over each client's buying years (closed by the owner).
    buyers = np.nonzero(bought)[0]
    firsts = buyers[fp[buyers] >= first_day]
    n_rest = deals - firsts.size
    c_rest = rng.choice(buyers, n_rest)
    lo = np.maximum(fp[c_rest] + 1, first_day)
    closed_rest = lo + (rng.random(n_rest) * np.maximum(today - lo, 1)).astype(np.int64)
    d_client = np.concatenate([firsts, c_rest])
    d_closed = np.concatenate([fp[firsts], closed_rest])
    d_mgr = np.concatenate([hunter[firsts], owner[c_rest]])
    outcome = np.concatenate(
        [
            np.full(firsts.size, "won"),
            np.array(["won", "lost", "open"])[rng.choice(3, n_rest, p=[0.7, 0.25, 0.05])],
        ]
    )
    cents = np.round(np.exp(rng.normal(11.0, 1.0, deals)) * 100).astype(np.int64)
    amount = (cents / 100).tolist()
    created = _iso(d_closed - rng.integers(1, 40, deals))
    closed = _iso(d_closed)
    open_ = outcome == "open"
    con.executemany(
        "INSERT INTO deals (source, client_id, manager_id, amount, currency, created, closed,"
        " outcome) VALUES ('bench', ?, ?, ?, 'RUB', ?, ?, ?)",
        zip(
            (d_client + 1).tolist(),
            d_mgr.tolist(),
            amount,
            created,
            [None if o else c for o, c in zip(open_.tolist(), closed, strict=True)],
            outcome.tolist(),
            strict=True,
        ),
    )
    # Activities of the last two years: calls, meetings, e-mails, tasks, inbound requests.
    a_client = rng.choice(buyers, activities)
    a_start = (today - 730) * 86400 + rng.integers(0, 730 * 86400, activities)
    a_type = np.array(["call", "meeting", "email", "task", "inbound"])[
        rng.choice(5, activities, p=[0.4, 0.1, 0.25, 0.15, 0.1])
    ]
    direction = np.where(
        a_type == "inbound",
        "inbound",
        np.where(np.isin(a_type, ["call", "email"]), "outbound", None),
    )
    a_end = a_start + rng.integers(300, 3 * 86400, activities)
    due = a_start + rng.integers(1, 6, activities) * 86400
    is_task = a_type == "task"
    con.executemany(
        "INSERT INTO activities (source, client_id, manager_id, type, direction, started, ended,"
        " completed, due) VALUES ('bench', ?, ?, ?, ?, ?, ?, ?, ?)",
        zip(
            (a_client + 1).tolist(),
            owner[a_client].tolist(),
            a_type.tolist(),
            direction.tolist(),
            _iso_seconds(a_start),
            _iso_seconds(a_end),
            (a_end < today * 86400).astype(int).tolist(),
            [d if t else None for d, t in zip(_iso_seconds(due), is_task.tolist(), strict=True)],
            strict=True,
        ),
    )
    plan_rows = []
    for mid in range(1, n_hunters + n_farmers + 1):
        for year in (2024, 2025, 2026):
            for month in range(1, 13):
                plan_rows.append((mid, f"{year}-{month:02d}", float(rng.integers(50, 400) * 10000)))
    con.executemany(
        "INSERT INTO plan_targets (source, external_id, manager_id, period, amount)"
        " VALUES ('bench', ?, ?, ?, ?)",
        [(f"{m}:{p}", m, p, a) for m, p, a in plan_rows],
    )
    s_client = rng.choice(buyers, 50_000)
    con.executemany(
        "INSERT INTO surveys (source, client_id, manager_id, date, scale, score, kind)"
        " VALUES ('bench', ?, ?, ?, 'csat', ?, 'survey')",
        zip(
            (s_client + 1).tolist(),
            owner[s_client].tolist(),
            _iso(today - rng.integers(1, 730, s_client.size)),
            rng.integers(1, 6, s_client.size).tolist(),
            strict=True,
        ),
    )
    con.execute("COMMIT")
    for (sql,) in indexes:
        con.execute(sql)
    con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - started


def upgrade_kept(path: Path) -> float | None:
    """Bring a kept file to the current schema (new indexes), then ANALYZE; seconds or None."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        if migrate.current_revision(engine) == migrate.head_revision(engine):
            return None
        started = time.perf_counter()
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - started


def ours(path: Path, period: str, *, parallel: bool = True) -> tuple[float, float, kpi.Scorecard]:
    """Wall-clock and CPU seconds of the full scorecard (CPU: this process, both threads)."""
    engine = make_engine(f"sqlite:///{path}")
    started, cpu = time.perf_counter(), time.process_time()
    card = kpi.scorecard(engine=engine, period=period, today=TODAY, parallel=parallel)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return seconds, cpu, card


def with_pandas(path: Path, period: Period) -> tuple[float, float, dict[int, dict[str, Any]]]:
    """The SPEC §10 KPIs with pandas: read the tables once, then group-by."""
    import pandas as pd

    prev, ly = period.previous(), period.same_last_year()
    con = sqlite3.connect(path)
    t0 = time.perf_counter()
    deals = pd.read_sql(
        "SELECT client_id, manager_id, amount, closed, outcome FROM deals"
        " WHERE outcome IN ('won', 'lost')",
        con,
    )
    clients = pd.read_sql("SELECT id AS client_id, first_purchase FROM clients", con)
    acq = pd.read_sql(
        "SELECT id, client_id, manager_id, since FROM responsibilities WHERE role = 'acquisition'",
        con,
    )
    plans = pd.read_sql("SELECT manager_id, period, amount FROM plan_targets", con)
    t1 = time.perf_counter()
    deals["closed"] = pd.to_datetime(deals["closed"])
    clients["first_purchase"] = pd.to_datetime(clients["first_purchase"])

    def within(p: Period) -> pd.Series:
        return (deals["closed"] >= pd.Timestamp(p.start)) & (deals["closed"] <= pd.Timestamp(p.end))

    won = deals["outcome"] == "won"
    cur = deals[within(period)]
    out = pd.DataFrame(
        {
            "volume": cur[cur["outcome"] == "won"].groupby("manager_id")["amount"].sum(),
            "won": cur[cur["outcome"] == "won"].groupby("manager_id").size(),
            "lost": cur[cur["outcome"] == "lost"].groupby("manager_id").size(),
            "volume_prev": deals[won & within(prev)].groupby("manager_id")["amount"].sum(),
            "volume_ly": deals[won & within(ly)].groupby("manager_id")["amount"].sum(),
        }
    )
    cur_pairs = deals[won & within(period)][["manager_id", "client_id"]].drop_duplicates()
    prev_pairs = deals[won & within(prev)][["manager_id", "client_id"]].drop_duplicates()
    first_won = deals[won].groupby("client_id")["closed"].min().rename("first_won")
    first = clients.set_index("client_id")["first_purchase"].to_frame().join(first_won)
    first["first"] = first[["first_purchase", "first_won"]].min(axis=1)
    before = first["first"] < pd.Timestamp(period.start)
    cur_pairs = cur_pairs.join(before.rename("before"), on="client_id")
    out["buyers"] = cur_pairs.groupby("manager_id").size()
    out["repeat"] = cur_pairs.groupby("manager_id")["before"].sum()
    kept = prev_pairs.merge(cur_pairs[["manager_id", "client_id"]], how="left", indicator=True)
    kept["kept"] = kept["_merge"] == "both"
    out["prev_buyers"] = kept.groupby("manager_id").size()
    out["retained"] = kept.groupby("manager_id")["kept"].sum()
    # New clients: first purchase in the period; credit to the latest acquisition holder,
    # else to the closer of the first won deal in the period.
    lo, hi = pd.Timestamp(period.start), pd.Timestamp(period.end)
    new = first[(first["first"] >= lo) & (first["first"] <= hi)]
    new = new[new["first_won"].notna()].reset_index()
    latest = acq.sort_values(["since", "id"]).groupby("client_id").tail(1)
    new = new.merge(latest[["client_id", "manager_id"]], on="client_id", how="left")
    first_deals = (
        deals[won & within(period)]
        .reset_index()
        .sort_values(["closed", "index"])
        .groupby("client_id")
        .head(1)[["client_id", "manager_id"]]
        .rename(columns={"manager_id": "closer"})
    )
    new = new.merge(first_deals, on="client_id", how="inner")
    new["credited"] = new["manager_id"].fillna(new["closer"])
    out["new_clients"] = new.groupby("credited").size()
    plan = plans[plans["period"] == period.label].set_index("manager_id")["amount"]
    months = plans[plans["period"].isin([m.label for m in period.months()])]
    out["plan"] = plan.reindex(out.index).fillna(months.groupby("manager_id")["amount"].sum())
    t2 = time.perf_counter()
    result: dict[int, dict[str, Any]] = {}
    for mid, row in out.iterrows():
        result[int(mid)] = {k: (None if pd.isna(v) else v) for k, v in row.items()}
    return t2 - t0, t2 - t1, result


def compare(card: kpi.Scorecard, ref: dict[int, dict[str, Any]]) -> int:
    """Assert that ours and pandas agree; return the number of managers compared."""

    def cents(x: Any) -> int:
        return round(float(x or 0) * 100)

    def close(a: float | None, b: float | None) -> bool:
        if a is None or b is None:
            return a is None and b is None
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)

    compared = 0
    for row in card.rows:
        k = row.kpis
        r = ref.get(row.manager_id, {})
        pairs = {
            "volume": (cents(k.volume), cents(r.get("volume"))),
            "volume_prev": (cents(k.volume_prev), cents(r.get("volume_prev"))),
            "volume_last_year": (cents(k.volume_last_year), cents(r.get("volume_ly"))),
            "won": (k.won_deals, int(r.get("won") or 0)),
            "lost": (k.lost_deals, int(r.get("lost") or 0)),
            "new_clients": (k.new_clients, int(r.get("new_clients") or 0)),
            "plan": (cents(k.plan), cents(r.get("plan"))),
        }
        for name, (a, b) in pairs.items():
            assert a == b, f"manager {row.manager_id} {name}: ours {a} vs pandas {b}"
        buyers, repeat = int(r.get("buyers") or 0), int(r.get("repeat") or 0)
        base, kept = int(r.get("prev_buyers") or 0), int(r.get("retained") or 0)
        assert close(k.repeat_rate, repeat / buyers if buyers else None), row.manager_id
        assert close(k.retention, kept / base if base else None), row.manager_id
        won, lost = int(r.get("won") or 0), int(r.get("lost") or 0)
        assert close(k.conversion, won / (won + lost) if won + lost else None), row.manager_id
        if won:
            # Both sides: the volume rounded to the cent, divided, rounded to the cent.
            assert cents(k.average_check) == cents(round(round(float(r["volume"]), 2) / won, 2))
        compared += 1
    return compared


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--managers", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=100_000)
    ap.add_argument("--deals", type=int, default=5_000_000)
    ap.add_argument("--activities", type=int, default=1_000_000)
    ap.add_argument("--period", default="2026-Q3")
    ap.add_argument("--keep", type=Path, help="Use (or keep) this database file.")
    ap.add_argument("--runs", type=int, default=1, help="Time the scorecard this many times.")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    path = args.keep or Path(tmp.name) / "kpi.db"
    if not path.exists():
        built = build(path, args.managers, args.clients, args.deals, args.activities)
        print(f"built {args.deals:,} deals, {args.activities:,} activities in {built:.1f} s")
    else:
        upgraded = upgrade_kept(path)
        if upgraded:
            print(f"kept file {path} upgraded to the current schema in {upgraded:.1f} s")
    period = parse_period(args.period)
    print(f"load average before: {_load()}")
    walls: list[float] = []
    cards: list[kpi.Scorecard] = []
    for run in range(1, args.runs + 1):
        serial, serial_cpu, serial_card = ours(path, args.period, parallel=False)
        seconds, cpu, card = ours(path, args.period)
        walls.append(seconds)
        cards += [serial_card, card]
        print(
            f"run {run}: ours: full scorecard of {args.period} for {len(card.rows)} managers:"
            f" {seconds:.2f} s (CPU {cpu:.2f} s); one connection: {serial:.2f} s"
            f" (CPU {serial_cpu:.2f} s); load average {_load()}"
        )
    if args.runs > 1:
        print(f"ours (parallel read): best {min(walls):.2f} s, worst {max(walls):.2f} s")
    pd_total, pd_compute, ref = with_pandas(path, period)
    print(f"pandas: read + compute {pd_total:.2f} s (compute alone {pd_compute:.2f} s)")
    for each in cards:
        n = compare(each, ref)
    print(
        f"all {len(cards)} scorecards agree to the cent on {n} managers;"
        f" ratio ours (best) / pandas = {min(walls) / pd_total:.2f}"
    )
    vol = card.company.kpis.volume
    print(f"company volume {vol:,.2f}; won {card.company.kpis.won_deals:,}")
    print(f"load average after: {_load()}")


def _load() -> str:
    with open("/proc/loadavg", encoding="ascii") as fh:
        return fh.read().split()[0]


if __name__ == "__main__":
    main()
