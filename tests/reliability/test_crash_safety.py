"""A process killed mid-transaction leaves the database intact and as it was before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from crash import integrity_ok, kill_after_acknowledgement, kill_at_failpoint
from sqlalchemy import Engine, func, select

from clientbase.db import tables as t
from clientbase.db.uow import UnitOfWork
from clientbase.planning.schemas import Settings
from clientbase.services import backup, plans
from clientbase.services.demo import DemoParams, create_demo

TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def demo(engine: Engine) -> Engine:
    create_demo(engine, DemoParams(clients=300, months=6, today=TODAY))
    return engine


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_a_plan_apply_killed_before_commit_changes_nothing_and_can_be_redone(
    demo: Engine, tmp_path: Path
) -> None:
    summary, _ = plans.create_plan(
        engine=demo,
        solver=plans.solve,
        settings=Settings(time_limit=5.0, seed=1),
        today=TODAY,
    )
    assert summary.moves > 0
    before = backup.table_states(demo)
    kill_at_failpoint(["plan", "apply", str(summary.id), "--db", _url(demo)], tmp_path / "marker")
    assert integrity_ok(demo)
    assert backup.table_states(demo) == before
    # Nothing half-written blocks the next attempt: the draft applies cleanly.
    result = plans.apply_plan(engine=demo, plan_id=summary.id, today=TODAY)
    assert result.moved == summary.moves


def _backup_then_one_more_row(demo: Engine, copy: Path) -> dict[str, backup.TableState]:
    """A backup, a row written after it, and the live state a failed restore must keep.

    A SQLite restore swaps the file only when no one else has it open (the web workers are
    stopped for it): this test's own pooled connections are closed before it runs.
    """
    backup.backup(demo, copy)
    with UnitOfWork(demo, write=True) as uow:
        uow.session.add(t.AppMeta(key="after-backup", value="kept"))
        uow.commit()
    before = backup.table_states(demo)
    demo.dispose()
    return before


@pytest.mark.parametrize("point", ["restore-before-commit", "restore-before-swap"])
def test_a_restore_killed_midway_leaves_the_previous_database(
    demo: Engine, tmp_path: Path, point: str
) -> None:
    """Killed with every row loaded (before the check), or checked and about to swap."""
    copy = tmp_path / "copy.zip"
    before = _backup_then_one_more_row(demo, copy)
    kill_at_failpoint(
        ["restore", str(copy), "--yes", "--db", _url(demo)], tmp_path / "marker", point=point
    )
    assert integrity_ok(demo)
    assert backup.table_states(demo) == before
    with UnitOfWork(demo) as uow:
        assert uow.session.scalar(select(func.count()).select_from(t.Client)) == 300
        assert uow.session.get(t.AppMeta, "after-backup") is not None
    # What the killed restore left beside a SQLite file does not block the next one.
    demo.dispose()
    backup.restore(demo, copy)
    with UnitOfWork(demo) as uow:
        assert uow.session.get(t.AppMeta, "after-backup") is None


def test_a_restore_acknowledged_to_the_user_survives_a_kill_right_after(
    demo: Engine, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.zip"
    backup.backup(demo, copy)
    restored = backup.table_states(demo)
    _backup_then_one_more_row(demo, tmp_path / "later.zip")
    kill_after_acknowledgement(["restore", str(copy), "--yes", "--db", _url(demo)], "восстановлена")
    assert integrity_ok(demo)
    assert backup.table_states(demo) == restored


def test_a_plan_apply_acknowledged_to_the_user_survives_a_kill_right_after(
    demo: Engine,
) -> None:
    summary, plan = plans.create_plan(
        engine=demo,
        solver=plans.solve,
        settings=Settings(time_limit=5.0, seed=1),
        today=TODAY,
    )
    kill_after_acknowledgement(["plan", "apply", str(summary.id), "--db", _url(demo)], "применён")
    assert integrity_ok(demo)
    with UnitOfWork(demo) as uow:
        record = uow.session.get(t.PlanRecord, summary.id)
        assert record is not None and record.status == "applied"
        owners = dict(
            uow.session.execute(
                select(t.Responsibility.client_id, t.Responsibility.manager_id).where(
                    t.Responsibility.role == "account", t.Responsibility.until.is_(None)
                )
            ).all()
        )
    for cid, mid in plan.assignment.items():
        if mid is not None:
            assert owners[int(cid)] == int(mid)


def test_an_import_killed_before_commit_leaves_the_database_as_it_was(
    demo: Engine, tmp_path: Path
) -> None:
    clients = tmp_path / "clients.csv"
    rows = ["Название;Регион;ИНН;Потенциал;Значимость"]
    rows += [f"ООО Новый клиент {i};Казань;;{1000 + i};B" for i in range(2000)]
    clients.write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = backup.table_states(demo)
    kill_at_failpoint(["import", "clients", str(clients), "--db", _url(demo)], tmp_path / "m")
    assert integrity_ok(demo)
    assert backup.table_states(demo) == before
