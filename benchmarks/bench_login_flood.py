"""Login flood: a logged-in head of sales works while sixty bad logins hammer the login form.

The failure it guards against: with the password hash checked inside a write transaction,
sixty parallel logins with unknown names made a contact save take 21.9 s and a clients page
15.9 s, and past 30 s writes failed with "database is locked". Target: the working user's
p95 under 1 s during the flood.

Builds a demo database (SQLite), starts `clientbase serve` on 127.0.0.1 (one worker, the
in-app scheduler off), logs a head of sales in through the form and has him alternate a
clients page and a contact save (0.2 s apart) for `--seconds` in each phase:

1. baseline — nobody else;
2. flood from many addresses — `--attackers` clients, each behind its own X-Forwarded-For
   (uvicorn trusts it from 127.0.0.1, as behind nginx), so no address is throttled and
   every attempt costs a hash check: the worst case for the server;
3. flood from one address — the same attackers behind one X-Forwarded-For address (another
   one each run): the address window answers 429, after 2 s, once 30 attempts have failed.

Attackers reuse the form token of each refusal, as a script would, and send their next
attempt as soon as the last one is answered.

Half the attackers try unknown logins, half wrong passwords of `admin`, `rop` and
`manager`. Bounded in time: each phase stops at its deadline; an attacker's request in
flight then gets at most 60 s. `--runs` repeats the three phases (seeds 1, 2, …).

Run: `.venv/bin/python benchmarks/bench_login_flood.py [--clients 3000 --months 6]
[--seconds 20 --attackers 60 --runs 1] [--db FILE]`
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

LOGIN = "bench-head"
PASSWORD = "flood-pass-12"
DEMO_PASSWORD = "demo-flood-pass-1"
_LOGIN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SESSION_CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "clientbase", *args], check=True)


def _prepare(db: Path, clients: int, months: int) -> tuple[str, list[int]]:
    url = f"sqlite:///{db}"
    if not db.exists():
        print(f"building the demo database ({clients} clients, {months} months) …", flush=True)
        _cli(
            "demo", "--db", url, "--clients", str(clients), "--months", str(months),
            "--password", DEMO_PASSWORD,
        )  # fmt: skip
    with sqlite3.connect(db) as conn:
        known = conn.execute("SELECT 1 FROM users WHERE login = ?", (LOGIN,)).fetchone()
        ids = [r[0] for r in conn.execute("SELECT id FROM clients ORDER BY id LIMIT 2000")]
    if known:
        _cli("users", "reset-password", LOGIN, "--db", url, "--password", PASSWORD)
    else:
        _cli("users", "add", LOGIN, "--role", "head", "--db", url, "--password", PASSWORD)
    return url, ids


def _log_in(client: httpx.Client) -> str:
    form = client.get("/login")
    token = _LOGIN_CSRF.search(form.text.split('id="login-form"', 1)[-1])
    assert token, form.text[:500]
    data = {"login": LOGIN, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"}
    done = client.post("/login", data=data, follow_redirects=False)
    assert done.status_code == 303, done.text[:500]
    csrf = _SESSION_CSRF.search(client.get("/").text)
    assert csrf, "no session CSRF token"
    return csrf.group(1)


@dataclass
class Timings:
    """The working user's requests of one phase."""

    pages: list[float] = field(default_factory=list)
    saves: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def all(self) -> list[float]:
        return self.pages + self.saves


def _work(client: httpx.Client, csrf: str, ids: list[int], seconds: float, seed: int) -> Timings:
    rng = random.Random(seed)
    timings = Timings()
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        start = time.perf_counter()
        try:
            if n % 2:
                answer = client.get(f"/clients?page={rng.randint(1, 20)}")
                took, ok, kind = time.perf_counter() - start, answer.status_code == 200, "page"
                timings.pages.append(took)
            else:
                answer = client.post(
                    f"/clients/{rng.choice(ids)}/contacts",
                    data={"name": f"Контакт {seed}-{n}", "csrf_token": csrf},
                    follow_redirects=False,
                )
                took, ok, kind = time.perf_counter() - start, answer.status_code == 303, "save"
                timings.saves.append(took)
            if not ok:
                timings.failures[f"{kind} {answer.status_code}: {answer.text[:80]!r}"] += 1
        except httpx.HTTPError as exc:
            timings.failures[f"{type(exc).__name__}"] += 1
        time.sleep(0.2)
    return timings


def _form_token(html: str) -> str | None:
    found = _LOGIN_CSRF.search(html.split('id="login-form"', 1)[-1])
    return found.group(1) if found else None


async def _attacker(
    n: int, base: str, stop_at: float, address: str | None, seed: int, seen: Counter[str]
) -> None:
    """Bad logins as fast as the server answers; the form token of each refusal is reused
    for the next attempt, as a script would (no GET of the login page in between)."""
    rng = random.Random(seed * 1000 + n)
    headers = {"X-Forwarded-For": address} if address else {}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        i = 0
        token: str | None = None
        while time.monotonic() < stop_at:
            i += 1
            try:
                if token is None:
                    token = _form_token((await client.get("/login")).text)
                login = f"ghost-{n}-{i}" if n % 2 else rng.choice(["admin", "rop", "manager"])
                data = {
                    "login": login,
                    "password": f"guess-{rng.randrange(10**9)}",
                    "csrf_token": token or "",
                }
                answer = await client.post("/login", data=data, follow_redirects=False)
                seen[str(answer.status_code)] += 1
                token = _form_token(answer.text)
            except httpx.HTTPError as exc:
                seen[type(exc).__name__] += 1
                token = None


def _flood(
    base: str,
    attackers: int,
    seconds: float,
    spread: bool,
    seed: int,
    out: multiprocessing.Queue[dict[str, int]],
) -> None:
    """A process of its own: the attackers must not share the measuring client's GIL.

    `spread`: each attacker behind an address of its own; else all behind one (not the
    working user's 127.0.0.1, and another one each run, so runs do not carry over).
    """
    seen: Counter[str] = Counter()
    stop_at = time.monotonic() + seconds

    def address(n: int) -> str:
        return f"10.{seed % 250}.{n // 250}.{n % 250 + 1}" if spread else f"192.0.2.{seed % 250}"

    async def run() -> None:
        await asyncio.gather(
            *(_attacker(n, base, stop_at, address(n), seed, seen) for n in range(attackers))
        )

    asyncio.run(run())
    out.put(dict(seen))


@dataclass
class Row:
    """One phase of one run, as printed."""

    phase: str
    timings: Timings
    attempts: dict[str, int]


def _ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _phase(
    name: str,
    base: str,
    client: httpx.Client,
    csrf: str,
    ids: list[int],
    args: argparse.Namespace,
    seed: int,
    spread: bool | None,
) -> Row:
    flood = None
    queue: multiprocessing.Queue[dict[str, int]] = multiprocessing.Queue()
    if spread is not None:
        flood = multiprocessing.Process(
            target=_flood, args=(base, args.attackers, args.seconds, spread, seed, queue)
        )
        flood.start()
        time.sleep(1.0)  # the attackers are at it before the user starts
    timings = _work(client, csrf, ids, args.seconds - (1.0 if flood else 0.0), seed)
    attempts: dict[str, int] = {}
    if flood is not None:
        attempts = queue.get(timeout=120)
        flood.join(timeout=30)
    row = Row(name, timings, attempts)
    print(f"  {_line(row)}", flush=True)
    return row


def _line(row: Row) -> str:
    t = row.timings
    answered = ", ".join(f"{k}: {v}" for k, v in sorted(row.attempts.items())) or "—"
    return (
        f"| {row.phase} | {len(t.all)} | {sum(t.failures.values())} | {_ms(t.all, 0.5):.0f} | "
        f"{_ms(t.all, 0.95):.0f} | {_ms(t.all, 1.0):.0f} | {_ms(t.pages, 0.95):.0f} | "
        f"{_ms(t.saves, 0.95):.0f} | {answered} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=3000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--attackers", type=int, default=60)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--db", type=Path, help="reuse this demo database file")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cb-flood-"))
    url, ids = _prepare(args.db or tmp / "flood.db", args.clients, args.months)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CLIENTBASE_SCHEDULER": "false"}
    env.pop("CLIENTBASE_DATABASE_URL", None)
    log_path = tmp / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "clientbase", "serve", "--db", url, "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    rows: list[Row] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(log_path.read_text(errors="replace")) from None
                time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=120) as client:
            csrf = _log_in(client)
            for run in range(1, args.runs + 1):
                print(f"run {run} (seed {run}):", flush=True)
                for name, spread in (
                    ("baseline, no flood", None),
                    (f"flood, {args.attackers} addresses", True),
                    (f"flood, {args.attackers} clients, one address", False),
                ):
                    rows.append(_phase(name, base, client, csrf, ids, args, run, spread))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"\n{len(ids)} clients, {args.attackers} attackers, {args.seconds:.0f} s a phase, "
        f"{args.runs} run(s); the user's requests (a clients page, a contact save) in ms"
    )
    print(
        "| phase | requests | failures | p50 | p95 | max | page p95 | save p95 | logins answered |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(_line(row))
    flood_p95 = [_ms(r.timings.all, 0.95) for r in rows if r.attempts]
    if flood_p95:
        print(
            f"p95 under flood: worst {max(flood_p95):.0f} ms, "
            f"median {statistics.median(flood_p95):.0f} ms (target < 1000)"
        )
    for row in rows:
        if row.timings.failures:
            print(row.phase, dict(row.timings.failures))


if __name__ == "__main__":
    main()
