"""A rotation run killed mid-transaction leaves the database as it was, and can be redone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from crash import integrity_ok, kill_at_failpoint
from sqlalchemy import Engine, func, select

from clientbase.db import tables as t
from clientbase.db.uow import UnitOfWork
from clientbase.services import rotation as rot
from clientbase.services.backup import table_states
from clientbase.services.demo import DemoParams, create_demo

TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def demo(engine: Engine) -> Engine:
    create_demo(engine, DemoParams(clients=900, months=12, today=TODAY))
    return engine


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _without_locks(states: dict[str, object]) -> dict[str, object]:
    # The killed process leaves its job lock row behind (it is a separate, committed
    # transaction); the next run takes it over because its holder process is gone.
    return {name: state for name, state in states.items() if name != "job_locks"}


@pytest.mark.parametrize("point", ["rotation-halfway", "before-commit"])
def test_a_rotation_run_killed_midway_changes_nothing_and_can_be_redone(
    demo: Engine, tmp_path: Path, point: str
) -> None:
    planned = rot.run_rotation(engine=demo, run_date=TODAY, dry_run=True, today=TODAY)
    assert planned.rotated >= 2
    before = table_states(demo)
    kill_at_failpoint(
        ["rotate", "run", "--date", TODAY.isoformat(), "--db", _url(demo)],
        tmp_path / "marker",
        point=point,
    )
    assert integrity_ok(demo)
    assert _without_locks(table_states(demo)) == _without_locks(before)
    with UnitOfWork(demo) as uow:
        assert uow.session.scalar(select(func.count()).select_from(t.JobLock)) == 1
    # The redo takes over the dead run's lock and does exactly what the dry run showed.
    done = rot.run_rotation(engine=demo, run_date=TODAY, today=TODAY)
    assert done.run_id is not None and not done.already_done
    assert [(m.client_id, m.arm, m.to_manager_id) for m in done.members] == [
        (m.client_id, m.arm, m.to_manager_id) for m in planned.members
    ]
    with UnitOfWork(demo) as uow:
        s = uow.session
        assert s.scalar(select(func.count()).select_from(t.JobLock)) == 0
        moved = s.scalar(
            select(func.count())
            .select_from(t.Responsibility)
            .where(t.Responsibility.reason == f"rotation run #{done.run_id}")
        )
        assert moved == planned.rotated
