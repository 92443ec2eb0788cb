"""Backup while others write, restore into either database, all or nothing."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from clientbase.db import migrate
from clientbase.db import tables as t
from clientbase.db.engine import make_engine
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError
from clientbase.services import backup as backups
from clientbase.services.demo import DemoParams, create_demo

TODAY = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """A small demo company on SQLite and its backup file."""
    folder = tmp_path_factory.mktemp("backup")
    engine = make_engine(f"sqlite:///{folder}/demo.db")
    migrate.upgrade(engine)
    create_demo(engine, DemoParams(clients=200, months=6, today=TODAY))
    states = backups.table_states(engine)
    meta = backups.backup(engine, folder / "demo.zip")
    engine.dispose()
    return folder / "demo.zip", {"states": states, "meta": meta}


def test_a_restore_drill_gives_the_same_counts_and_checksums_on_either_database(
    engine: Engine, demo_copy: tuple[Path, dict[str, object]]
) -> None:
    file, info = demo_copy
    backups.restore(engine, file)
    assert backups.table_states(engine) == info["states"]
    # Identifiers continue after the restored rows (sequences on PostgreSQL).
    with UnitOfWork(engine, write=True) as uow:
        uow.session.add(t.Client(name="Новый клиент", tier="C", status="prospect"))
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(t.Client)) == 201


def test_restoring_over_existing_data_replaces_it(
    engine: Engine, demo_copy: tuple[Path, dict[str, object]]
) -> None:
    file, info = demo_copy
    with UnitOfWork(engine, write=True) as uow:
        uow.session.add(t.AppMeta(key="stray", value="this row is not in the backup"))
        uow.commit()
    backups.restore(engine, file)
    assert backups.table_states(engine) == info["states"]


def test_a_damaged_backup_is_refused_and_the_database_is_left_as_it_was(
    engine: Engine, demo_copy: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    file, _ = demo_copy
    backups.restore(engine, file)
    before = backups.table_states(engine)
    damaged = tmp_path / "damaged.zip"
    data = file.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInputError):
        backups.restore(engine, damaged)
    not_a_backup = tmp_path / "page.zip"
    not_a_backup.write_text("<html>not a backup</html>")
    with pytest.raises(BadInputError, match="не резервная копия"):
        backups.restore(engine, not_a_backup)
    assert backups.table_states(engine) == before


def test_a_backup_taken_while_others_write_is_consistent(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    create_demo(engine, DemoParams(clients=200, months=6, today=TODAY))
    stop = threading.Event()
    written = 0

    def write() -> None:
        nonlocal written
        while not stop.is_set():
            # Each write adds a pair of rows; a consistent copy never holds half a pair.
            with UnitOfWork(engine, write=True) as uow:
                uow.session.add(t.AppMeta(key=f"a{written}", value="pair"))
                uow.session.add(t.AppMeta(key=f"b{written}", value="pair"))
                uow.commit()
            written += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        meta = backups.backup(engine, tmp_path / "live.zip")
    finally:
        stop.set()
        thread.join()
    assert written > 0
    target = make_engine(f"sqlite:///{tmp_path}/restored.db")
    backups.restore(target, tmp_path / "live.zip")
    with UnitOfWork(target) as uow:
        pairs = uow.session.scalar(
            select(func.count()).select_from(t.AppMeta).where(t.AppMeta.value == "pair")
        )
    assert pairs is not None and pairs % 2 == 0
    assert meta["tables"]["app_meta"]["rows"] >= pairs  # type: ignore[index]
    engine.dispose()
    target.dispose()
