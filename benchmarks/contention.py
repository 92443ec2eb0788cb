"""Many processes writing to one database at once: every write lands, nobody sees "locked".

Each writer process repeats a small real transaction — bump a client's version and add a
history row saying so — for a fixed time, and reports how many it committed, the time each
took (waiting for the write lock included) and any error a user would have seen.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import statistics
import time
from dataclasses import dataclass

from sqlalchemy import func, select, update

from clientbase.db import tables as t
from clientbase.db.engine import make_engine
from clientbase.db.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class WriterResult:
    """What one writer did."""

    writer: int
    committed: int
    errors: list[str]
    seconds: list[float]


def _writer(url: str, writer: int, seconds: float, clients: int, queue: mp.Queue) -> None:  # type: ignore[type-arg]
    engine = make_engine(url)
    rng = random.Random(writer)
    committed = 0
    errors: list[str] = []
    took: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        client_id = rng.randint(1, clients)
        start = time.perf_counter()
        try:
            with UnitOfWork(engine, write=True) as uow:
                uow.session.execute(
                    update(t.Client)
                    .where(t.Client.id == client_id)
                    .values(version=t.Client.version + 1)
                )
                uow.session.add(
                    t.ChangeHistory(
                        entity="client",
                        entity_id=client_id,
                        field="contention",
                        new_value=f"{writer}:{committed}",
                        reason="benchmark",
                    )
                )
                uow.commit()
            committed += 1
            took.append(time.perf_counter() - start)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    engine.dispose()
    queue.put(WriterResult(writer, committed, errors, took))


def run(url: str, *, writers: int, seconds: float, clients: int) -> list[WriterResult]:
    """Start `writers` processes writing for `seconds`; wait for all of them."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [
        ctx.Process(target=_writer, args=(url, w, seconds, clients, queue)) for w in range(writers)
    ]
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return sorted(results, key=lambda r: r.writer)


def written_rows(url: str) -> tuple[int, int]:
    """History rows written by writers, and the sum of client versions above 1."""
    engine = make_engine(url)
    with UnitOfWork(engine) as uow:
        rows = uow.session.scalar(select(func.count()).where(t.ChangeHistory.field == "contention"))
        bumps = uow.session.scalar(select(func.sum(t.Client.version - 1)))
    engine.dispose()
    return int(rows or 0), int(bumps or 0)


def p95(values: list[float]) -> float:
    """95th percentile."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=20)[-1]
