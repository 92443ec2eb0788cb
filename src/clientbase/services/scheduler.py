"""Scheduled jobs: one `tick` that cron, a systemd timer or the in-app scheduler calls.

Each job runs under a named database lock (services/locks.py), so two web workers or a
worker and a cron call never run it together, and remembers the period it last ran for
(app_meta `scheduler:<job>`), so calling `tick` again in the same period does nothing.

Jobs (docs/operations.md):
- `sessions`: daily, removes expired login sessions;
- `kpi_snapshot`: monthly, stores the closed month's scorecard (app_meta `kpi_snapshot:P`),
  the figures bonuses are paid on even if deals are corrected later;
- `rotation`: monthly on the configured day, the rotation run of that date (off by default:
  the head of sales turns it on with `rotation_day`).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from clientbase.db.tables import AppMeta
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError, ConflictError
from clientbase.services import locks

SCHEDULE_KEY = "schedule"


@dataclass(frozen=True, slots=True)
class Schedule:
    """What runs when: stored as JSON in app_meta `schedule`."""

    rotation_day: int | None = None  # day of month 1–28, None = no automatic rotation
    kpi_snapshot: bool = True
    purge_sessions: bool = True

    def check(self) -> None:
        """Refuse impossible settings."""
        if self.rotation_day is not None and not 1 <= self.rotation_day <= 28:
            raise BadInputError("День ротации: от 1 до 28 (есть в каждом месяце).")


@dataclass(slots=True)
class TickReport:
    """What one tick did: job → a line for the log."""

    ran: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def _meta(engine: Engine, key: str) -> str | None:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(AppMeta.value).where(AppMeta.key == key))


def _set_meta(engine: Engine, key: str, value: str) -> None:
    with UnitOfWork(engine, write=True) as uow:
        row = uow.session.get(AppMeta, key)
        if row is None:
            uow.session.add(AppMeta(key=key, value=value))
        else:
            row.value = value
        uow.commit()


def load_schedule(engine: Engine) -> Schedule:
    """The stored schedule, defaults when none."""
    raw = _meta(engine, SCHEDULE_KEY)
    if not raw:
        return Schedule()
    data = json.loads(raw)
    return Schedule(
        rotation_day=data.get("rotation_day"),
        kpi_snapshot=bool(data.get("kpi_snapshot", True)),
        purge_sessions=bool(data.get("purge_sessions", True)),
    )


def save_schedule(engine: Engine, schedule: Schedule) -> None:
    """Store the schedule."""
    schedule.check()
    _set_meta(engine, SCHEDULE_KEY, json.dumps(asdict(schedule)))


def _previous_month(day: dt.date) -> str:
    first = day.replace(day=1)
    last = first - dt.timedelta(days=1)
    return f"{last.year}-{last.month:02d}"


def _purge(engine: Engine, today: dt.date) -> str:
    from clientbase.services import accounts

    return f"удалено истёкших сеансов: {accounts.purge_sessions(engine)}"


def _snapshot(engine: Engine, today: dt.date) -> str:
    from clientbase.services import kpi

    period = _previous_month(today)
    card = kpi.scorecard(engine=engine, period=period, today=today)
    rows = [
        {
            "manager_id": r.manager_id,
            "manager": r.manager,
            "role_group": r.role_group,
            "kpis": asdict(r.kpis),
            "score": r.score,
            "rank": r.rank,
        }
        for r in card.rows
    ]
    _set_meta(engine, f"kpi_snapshot:{period}", json.dumps(rows, ensure_ascii=False, default=str))
    return f"снимок KPI за {period}: менеджеров {len(rows)}"


def _rotation(engine: Engine, today: dt.date) -> str:
    from clientbase.services import rotation

    result = rotation.run_rotation(engine=engine, run_date=today, actor="scheduler", today=today)
    return result.message[:300]


# job name → (period key of a date or None when not due, the work)
Job = tuple[Callable[[Schedule, dt.date], str | None], Callable[[Engine, dt.date], str]]
JOBS: dict[str, Job] = {
    "sessions": (lambda s, d: d.isoformat() if s.purge_sessions else None, _purge),
    "kpi_snapshot": (lambda s, d: _previous_month(d) if s.kpi_snapshot else None, _snapshot),
    "rotation": (
        lambda s, d: (
            d.isoformat() if s.rotation_day is not None and d.day == s.rotation_day else None
        ),
        _rotation,
    ),
}


def tick(engine: Engine, *, today: dt.date | None = None, only: str | None = None) -> TickReport:
    """Run every job that is due and has not run for its period; safe to call any time."""
    today = today or dt.date.today()
    schedule = load_schedule(engine)
    report = TickReport()
    for name, (period_of, work) in JOBS.items():
        if only and name != only:
            continue
        period = period_of(schedule, today)
        if period is None:
            report.skipped[name] = "не запланировано"
            continue
        key = f"scheduler:{name}"
        if _meta(engine, key) == period:
            report.skipped[name] = f"уже выполнено за {period}"
            continue
        try:
            with locks.job_lock(engine, key, ttl_seconds=3600):
                if _meta(engine, key) == period:  # another worker finished it meanwhile
                    report.skipped[name] = f"уже выполнено за {period}"
                    continue
                report.ran[name] = work(engine, today)
                _set_meta(engine, key, period)
        except ConflictError as exc:
            report.skipped[name] = exc.message
    return report


class InAppScheduler:
    """A daemon thread that calls `tick` every `interval` seconds (each web worker has one;
    the database locks let only one of them run a job)."""

    def __init__(self, engine: Engine, *, interval: float = 60.0) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: TickReport | None = None
        self.error: str | None = None

    def start(self) -> None:
        """Start ticking in the background."""
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current tick."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.last = tick(self.engine)
                self.error = None
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"
            self._stop.wait(self.interval)


def describe(report: TickReport) -> list[tuple[str, str, str]]:
    """(job, выполнено/пропущено, detail) lines for printing."""
    lines = [(name, "выполнено", text) for name, text in report.ran.items()]
    lines += [(name, "пропущено", text) for name, text in report.skipped.items()]
    return lines


def as_dict(report: TickReport) -> dict[str, Any]:
    """JSON-ready form."""
    return {"ran": report.ran, "skipped": report.skipped}
