"""Web load: p95 page time at 20 concurrent users for 2 minutes on a 100 000-client base.

Issue 10's target: p95 under 300 ms for lists and cards, under 1 s for the dashboard.
Builds (or reuses) a demo database of `--clients` × `--managers`, starts the app with
uvicorn on 127.0.0.1, and drives it with Locust (as a library, bounded in time). Every
simulated user logs in as a head of sales of the whole company first (sessions in the
database, CSRF, the scope checks: the real request path).

Run: `.venv/bin/python benchmarks/bench_web_load.py [--clients 100000 --managers 1000]
[--users 20 --seconds 120] [--db FILE]`
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gevent import monkey

monkey.patch_all()

import httpx  # noqa: E402
from locust import HttpUser, between, task  # noqa: E402
from locust.env import Environment  # noqa: E402

LOGIN = "bench-head"
PASSWORD = "bench-password-123"

CLIENT_IDS: list[int] = []
REGIONS: list[str] = []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "clientbase", *args], check=True)


def _prepare(db: Path, clients: int, managers: int) -> str:
    url = f"sqlite:///{db}"
    if not db.exists():
        print(f"building the demo database {clients}×{managers} …", flush=True)
        _cli("demo", "--db", url, "--clients", str(clients), "--managers", str(managers))
    from clientbase.core.access import UserRole
    from clientbase.errors import BadInputError
    from clientbase.services import accounts, database

    engine = database.open_database(url)
    try:
        accounts.create_user(
            engine, login=LOGIN, name="Benchmark", role=UserRole.HEAD, password=PASSWORD
        )
    except BadInputError:  # the account of an earlier run on the same file
        accounts.reset_password(engine, login=LOGIN, password=PASSWORD)
    import sqlite3

    with sqlite3.connect(db) as conn:
        CLIENT_IDS.extend(r[0] for r in conn.execute("SELECT id FROM clients"))
        REGIONS.extend(r[0] for r in conn.execute("SELECT DISTINCT region FROM clients") if r[0])
    return url


class HeadOfSales(HttpUser):
    """Opens the pages a head of sales uses, in the proportions he uses them."""

    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        page = self.client.get("/login", name="login page")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        data = {"login": LOGIN, "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
        with self.client.post("/login", data=data, name="login", catch_response=True) as done:
            if 'id="current-user"' not in done.text:
                done.failure("login refused")

    @task(2)
    def dashboard(self) -> None:
        self.client.get("/", name="dashboard")

    @task(5)
    def clients_list(self) -> None:
        page = random.randint(1, 50)
        self.client.get(f"/clients?page={page}", name="clients list")

    @task(3)
    def clients_filtered(self) -> None:
        region = random.choice(REGIONS) if REGIONS else ""
        self.client.get(
            "/clients", params={"region": region, "sort": "-potential"}, name="clients filtered"
        )

    @task(5)
    def client_card(self) -> None:
        self.client.get(f"/clients/{random.choice(CLIENT_IDS)}", name="client card")

    @task(1)
    def managers(self) -> None:
        self.client.get("/managers", name="managers")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--managers", type=int, default=1_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--db", type=Path, help="reuse this demo database file")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="cb-load-")
    db = args.db or Path(tmp) / "load.db"
    url = _prepare(db, args.clients, args.managers)
    port = _free_port()
    # The in-app scheduler would compute a KPI snapshot at start: not part of page load.
    env = {**os.environ, "CLIENTBASE_DATABASE_URL": url, "CLIENTBASE_SCHEDULER": "false"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "clientbase.web.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--workers",
            str(args.workers),
        ],
        env=env,
    )
    host = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                httpx.get(f"{host}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        HeadOfSales.host = host
        environment = Environment(user_classes=[HeadOfSales])
        runner = environment.create_local_runner()
        runner.start(args.users, spawn_rate=args.users)
        time.sleep(args.seconds)
        runner.quit()
        stats = environment.stats
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"{args.users} users for {args.seconds:.0f} s on {len(CLIENT_IDS)} clients, "
        f"{args.workers} uvicorn workers"
    )
    print("| page | requests | failures | median ms | p95 ms | max ms | target ms |")
    print("|---|---|---|---|---|---|---|")
    targets = {"dashboard": 1000}
    for name in ("dashboard", "clients list", "clients filtered", "client card", "managers"):
        entry = stats.get(name, "GET")
        p95 = entry.get_response_time_percentile(0.95)
        print(
            f"| {name} | {entry.num_requests} | {entry.num_failures} | "
            f"{entry.median_response_time:.0f} | {p95:.0f} | {entry.max_response_time:.0f} | "
            f"{targets.get(name, 300)} |"
        )
    total = stats.total
    print(
        f"total requests {total.num_requests}, failures {total.num_failures}, "
        f"{total.total_rps:.1f} per s"
    )


if __name__ == "__main__":
    main()
