"""Re-running import, handoff, rotation and the KPI snapshot for the same input changes nothing.

Each operation runs once, the whole database is fingerprinted (per-table counts and
checksums, the backup's own check), the operation runs again, and the fingerprint must be
the same — on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete

from clientbase.db.tables import AppMeta
from clientbase.db.uow import UnitOfWork
from clientbase.services import backup, rotation, scheduler, teams
from clientbase.services.demo import DemoParams, create_demo
from clientbase.services.exporting import ExportFormat, export_entity
from clientbase.services.importing import import_file

TODAY = dt.date(2026, 11, 22)
# Audit rows that a repeated call is meant to add (an import batch records every attempt).
AUDIT = {"import_batches"}


@pytest.fixture
def demo(engine: Engine) -> Engine:
    create_demo(engine, DemoParams(clients=300, months=12, today=TODAY))
    return engine


def _state(engine: Engine) -> dict[str, object]:
    return {k: v for k, v in backup.table_states(engine).items() if k not in AUDIT}


@pytest.mark.parametrize("entity", ["managers", "clients", "teams", "deals", "activities"])
def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    demo: Engine, tmp_path: Path, entity: str
) -> None:
    path = tmp_path / f"{entity}.csv"
    export_entity(engine=demo, entity=entity, path=path, fmt=ExportFormat.csv)
    import_file(engine=demo, entity=entity, path=path, source="generic", today=TODAY)
    once = _state(demo)
    again = import_file(engine=demo, entity=entity, path=path, source="generic", today=TODAY)
    assert again.ok and again.inserted == 0 and again.updated == 0
    assert _state(demo) == once


def test_a_second_handoff_hands_off_nobody(demo: Engine) -> None:
    first = teams.run_handoff(engine=demo, today=TODAY)
    assert first.handed_off, "the demo has prospects with a won deal still held by a hunter"
    once = _state(demo)
    second = teams.run_handoff(engine=demo, today=TODAY)
    assert second.handed_off == []
    assert _state(demo) == once


def test_a_second_rotation_run_for_the_same_date_moves_nothing(demo: Engine) -> None:
    first = rotation.run_rotation(engine=demo, run_date=TODAY, seed=3, today=TODAY)
    assert first.candidates > 0 and not first.already_done
    once = _state(demo)
    second = rotation.run_rotation(engine=demo, run_date=TODAY, seed=3, today=TODAY)
    assert second.already_done and second.run_id == first.run_id
    assert _state(demo) == once


def test_the_kpi_snapshot_taken_again_for_the_same_month_is_identical(demo: Engine) -> None:
    assert "kpi_snapshot" in scheduler.tick(demo, today=TODAY, only="kpi_snapshot").ran
    once = _state(demo)
    assert "kpi_snapshot" in scheduler.tick(demo, today=TODAY, only="kpi_snapshot").skipped
    assert _state(demo) == once
    # Even forced (the "done" mark removed), the same input gives the same snapshot.
    with UnitOfWork(demo, write=True) as uow:
        uow.session.execute(delete(AppMeta).where(AppMeta.key == "scheduler:kpi_snapshot"))
        uow.commit()
    assert "kpi_snapshot" in scheduler.tick(demo, today=TODAY, only="kpi_snapshot").ran
    assert _state(demo) == once
