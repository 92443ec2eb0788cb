"""Scheduled jobs: due once per period, one worker at a time, the same from cron and in-app."""

from __future__ import annotations

import datetime as dt
import json
import time

from sqlalchemy import Engine, func, select

from cli_support import demo_engine_today
from clientbase.db.tables import AppMeta, RotationRun
from clientbase.db.uow import UnitOfWork
from clientbase.services import locks, scheduler
from clientbase.services.scheduler import Schedule

TODAY = dt.date(2026, 11, 22)


def _meta(engine: Engine, key: str) -> str | None:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(AppMeta.value).where(AppMeta.key == key))


def test_a_tick_runs_each_due_job_once_per_period(engine: Engine) -> None:
    demo_engine_today(engine, TODAY)
    first = scheduler.tick(engine, today=TODAY)
    assert set(first.ran) == {"sessions", "kpi_snapshot"}
    assert "rotation" in first.skipped  # off until the head of sales turns it on
    snapshot = json.loads(_meta(engine, "kpi_snapshot:2026-10") or "[]")
    assert snapshot and {"manager_id", "kpis", "score", "rank"} <= set(snapshot[0])
    second = scheduler.tick(engine, today=TODAY)
    assert second.ran == {}
    assert second.skipped["kpi_snapshot"] == "уже выполнено за 2026-10"
    next_day = scheduler.tick(engine, today=TODAY + dt.timedelta(days=1))
    assert set(next_day.ran) == {"sessions"}  # daily, but the month's snapshot is done


def test_the_rotation_runs_on_its_day_and_never_twice(engine: Engine) -> None:
    demo_engine_today(engine, TODAY)
    scheduler.save_schedule(engine, Schedule(rotation_day=TODAY.day, kpi_snapshot=False))
    assert "rotation" in scheduler.tick(engine, today=TODAY - dt.timedelta(days=1)).skipped
    ran = scheduler.tick(engine, today=TODAY)
    assert "rotation" in ran.ran and "Прогон" in ran.ran["rotation"]
    again = scheduler.tick(engine, today=TODAY)
    assert "rotation" in again.skipped
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(RotationRun)) == 1


def test_a_job_held_by_another_worker_is_skipped_not_run_twice(engine: Engine) -> None:
    demo_engine_today(engine, TODAY)
    with locks.job_lock(engine, "scheduler:kpi_snapshot", holder="other-worker"):
        report = scheduler.tick(engine, today=TODAY, only="kpi_snapshot")
    assert report.ran == {} and "уже выполняется" in report.skipped["kpi_snapshot"]
    assert _meta(engine, "kpi_snapshot:2026-10") is None
    assert "kpi_snapshot" in scheduler.tick(engine, today=TODAY, only="kpi_snapshot").ran


def test_the_in_app_scheduler_ticks_in_the_background_and_stops(engine: Engine) -> None:
    ticker = scheduler.InAppScheduler(engine, interval=0.05)
    ticker.start()
    deadline = time.monotonic() + 20
    while ticker.last is None and time.monotonic() < deadline:
        time.sleep(0.05)
    ticker.stop()
    assert ticker.error is None and ticker.last is not None
    assert "sessions" in ticker.last.ran or "sessions" in ticker.last.skipped


def test_an_impossible_rotation_day_is_refused(engine: Engine) -> None:
    import pytest

    from clientbase.errors import BadInputError

    with pytest.raises(BadInputError, match="от 1 до 28"):
        scheduler.save_schedule(engine, Schedule(rotation_day=31))
