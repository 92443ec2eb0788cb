"""Backup while others write, restore into either database, verified first, never destroying.

A damaged or altered backup — a rotted byte, a cut file, an edited row or users file, a
missing table, a wrong schema — is refused with a message naming the table and the check,
and the live database stays exactly as it was, a row written after the backup included.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import struct
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Float, Numeric, func, inspect, select

from clientbase.db import migrate
from clientbase.db import tables as t
from clientbase.db.engine import make_engine
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError
from clientbase.services import backup as backups
from clientbase.services.demo import DemoParams, create_demo

TODAY = dt.date(2026, 11, 22)
AFTER_BACKUP = "after-backup"

Change = Callable[[str, bytes], bytes | None]
Row = dict[str, Any]


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """A small demo company with web accounts on SQLite, and its backup file."""
    folder = tmp_path_factory.mktemp("backup")
    engine = make_engine(f"sqlite:///{folder}/demo.db")
    migrate.upgrade(engine)
    create_demo(engine, DemoParams(clients=200, months=6, today=TODAY))
    with UnitOfWork(engine, write=True) as uow:
        managers = uow.session.scalars(select(t.Manager.id).order_by(t.Manager.id)).all()
        for number, manager_id in enumerate(managers[:3]):
            uow.session.add(_user(f"manager{number}", "manager", manager_id))
        uow.session.add(_user("head", "head", None))
        uow.session.add(_user("admin", "admin", None))
        uow.commit()
    states = backups.table_states(engine)
    meta = backups.backup(engine, folder / "demo.zip")
    engine.dispose()
    return folder / "demo.zip", {"states": states, "meta": meta}


def _user(login: str, role: str, manager_id: int | None) -> t.User:
    return t.User(
        login=login,
        name=login,
        password_hash="not-a-real-hash",
        role=role,
        manager_id=manager_id,
        language="ru",
        active=True,
        failed_logins=0,
    )


def _live(engine: Engine, file: Path) -> dict[str, backups.TableState]:
    """The backup restored, then one more row written: the live state a restore must keep."""
    backups.restore(engine, file)
    with UnitOfWork(engine, write=True) as uow:
        uow.session.add(t.AppMeta(key=AFTER_BACKUP, value="written after the backup"))
        uow.commit()
    return backups.table_states(engine)


def _assert_exactly_as_it_was(engine: Engine, before: dict[str, backups.TableState]) -> None:
    assert backups.table_states(engine) == before
    with UnitOfWork(engine) as uow:
        row = uow.session.get(t.AppMeta, AFTER_BACKUP)
        assert row is not None and row.value == "written after the backup"


def _rewritten(file: Path, target: Path, change: Change) -> Path:
    """A copy of the backup as a valid ZIP, each member passed through `change` (None drops)."""
    with zipfile.ZipFile(file) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info))
            if data is not None:
                dst.writestr(info.filename, data)
    return target


def _with_meta(file: Path, target: Path, edit: Callable[[dict[str, object]], None]) -> Path:
    def change(name: str, data: bytes) -> bytes:
        if name != "meta.json":
            return data
        meta = json.loads(data)
        edit(meta)
        return json.dumps(meta).encode()

    return _rewritten(file, target, change)


def _jsonl(row: Row) -> bytes:
    return json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _checksum(name: str, rows: list[Row]) -> str:
    """The checksum meta.json keeps for a table: SHA-256 of its rows as sorted, compact
    JSON lines, with money and other decimals as floats rounded to 6 places."""
    table = t.Base.metadata.tables[name]
    numeric = {c.name for c in table.columns if isinstance(c.type, Numeric | Float)}
    digest = hashlib.sha256()
    for row in rows:
        plain = {
            k: round(float(v), 6) if k in numeric and v is not None else v for k, v in row.items()
        }
        digest.update(_jsonl(plain) + b"\n")
    return digest.hexdigest()


def _resealed(
    file: Path,
    target: Path,
    rows: Callable[[str, list[Row]], list[Row] | None],
    *,
    revision: str | None = None,
) -> Path:
    """The backup with each table's rows passed through `rows` (None drops the table) and
    its counts and checksums written anew: a copy that passes its own checks."""
    with zipfile.ZipFile(file) as src:
        meta = json.loads(src.read("meta.json"))
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
            for name in list(meta["tables"]):
                lines = src.read(f"{name}.jsonl").splitlines()
                new = rows(name, [json.loads(line) for line in lines if line.strip()])
                if new is None:
                    del meta["tables"][name]
                    continue
                dst.writestr(f"{name}.jsonl", b"".join(_jsonl(row) + b"\n" for row in new))
                meta["tables"][name] = {"rows": len(new), "checksum": _checksum(name, new)}
            if revision is not None:
                meta["revision"] = revision
            dst.writestr("meta.json", json.dumps(meta))
    return target


def _folder_leftovers(engine: Engine) -> list[str]:
    """Files a SQLite restore left beside the database (none on PostgreSQL)."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return []
    return sorted(p.name for p in Path(engine.url.database).parent.glob(".*.restore-*"))


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


def test_a_good_backup_replaces_newer_data_fully_and_leaves_nothing_beside_the_database(
    engine: Engine, demo_copy: tuple[Path, dict[str, object]]
) -> None:
    file, info = demo_copy
    _live(engine, file)
    backups.restore(engine, file)
    assert backups.table_states(engine) == info["states"]
    with UnitOfWork(engine) as uow:
        assert uow.session.get(t.AppMeta, AFTER_BACKUP) is None
    assert _folder_leftovers(engine) == []


def test_a_backup_with_one_changed_character_leaves_the_live_database_exactly_as_it_was(
    engine: Engine, demo_copy: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    file, _ = demo_copy
    before = _live(engine, file)

    def one_character(name: str, data: bytes) -> bytes:
        if name != "clients.jsonl":
            return data
        first, rest = data.decode().split("\n", 1)
        at = first.index('"name":"') + len('"name":"')
        changed = "Ж" if first[at] != "Ж" else "Щ"
        return (first[:at] + changed + first[at + 1 :] + "\n" + rest).encode()

    tampered = _rewritten(file, tmp_path / "tampered.zip", one_character)
    with pytest.raises(backups.DamagedBackupError, match=r"таблицы clients .*контрольной суммы"):
        backups.restore(engine, tampered)
    _assert_exactly_as_it_was(engine, before)


def test_a_backup_with_one_rotted_byte_leaves_the_live_database_exactly_as_it_was(
    engine: Engine, demo_copy: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    file, _ = demo_copy
    before = _live(engine, file)
    with zipfile.ZipFile(file) as zf:
        member = zf.getinfo("clients.jsonl")
    data = bytearray(file.read_bytes())
    header = member.header_offset
    name_length, extra_length = struct.unpack("<HH", data[header + 26 : header + 30])
    start = header + 30 + name_length + extra_length
    data[start + member.compress_size // 2] ^= 0x10  # one bit, in the middle of the rows
    rotted = tmp_path / "rotted.zip"
    rotted.write_bytes(bytes(data))
    with pytest.raises(backups.DamagedBackupError, match=r"clients\.jsonl \(таблица clients\)"):
        backups.restore(engine, rotted)
    _assert_exactly_as_it_was(engine, before)


@pytest.mark.parametrize("kept", [0.5, 0.99])
def test_a_truncated_backup_leaves_the_live_database_exactly_as_it_was(
    engine: Engine, demo_copy: tuple[Path, dict[str, object]], tmp_path: Path, kept: float
) -> None:
    file, _ = demo_copy
    before = _live(engine, file)
    data = file.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: int(len(data) * kept)])
    with pytest.raises(backups.DamagedBackupError, match="архив обрезан или повреждён"):
        backups.restore(engine, cut)
    _assert_exactly_as_it_was(engine, before)


def test_a_backup_whose_users_file_makes_every_manager_an_admin_is_refused(
    engine: Engine, demo_copy: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    file, _ = demo_copy
    before = _live(engine, file)

    def every_manager_an_admin(name: str, data: bytes) -> bytes:
        if name != "users.jsonl":
            return data
        assert data.count(b'"role":"manager"') == 3
        return data.replace(b'"role":"manager"', b'"role":"admin"')

    edited = _rewritten(file, tmp_path / "admins.zip", every_manager_an_admin)
    with pytest.raises(backups.DamagedBackupError, match=r"таблицы users .*контрольной суммы"):
        backups.restore(engine, edited)
    _assert_exactly_as_it_was(engine, before)
    with UnitOfWork(engine) as uow:
        admins = uow.session.scalar(
            select(func.count()).select_from(t.User).where(t.User.role == "admin")
        )
    assert admins == 1


def test_a_backup_missing_a_table_file_leaves_the_live_database_exactly_as_it_was(
    engine: Engine, demo_copy: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    file, _ = demo_copy
    before = _live(engine, file)
    no_file = _rewritten(
        file, tmp_path / "no-deals.zip", lambda name, data: None if name == "deals.jsonl" else data
    )
    with pytest.raises(backups.DamagedBackupError, match=r"нет файла deals\.jsonl"):
        backups.restore(engine, no_file)

    def forget_deals(meta: dict[str, object]) -> None:
        tables = meta["tables"]
        assert isinstance(tables, dict)
        del tables["deals"]

    nowhere = _with_meta(no_file, tmp_path / "no-deals-at-all.zip", forget_deals)
    with pytest.raises(backups.DamagedBackupError, match="в копии нет таблиц: deals"):
        backups.restore(engine, nowhere)
    _assert_exactly_as_it_was(engine, before)


def test_a_backup_of_a_wrong_schema_version_leaves_the_live_database_exactly_as_it_was(
    engine: Engine, demo_copy: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    file, _ = demo_copy
    before = _live(engine, file)
    head = migrate.head_revision(engine)

    def newer(meta: dict[str, object]) -> None:
        meta["revision"] = "9999"

    def older(meta: dict[str, object]) -> None:
        meta["revision"] = f"{int(head) - 1:04d}"

    def unknown(meta: dict[str, object]) -> None:
        meta["revision"] = "0000"

    with pytest.raises(BadInputError, match=r"более новой версией clientbase \(схема 9999"):
        backups.restore(engine, _with_meta(file, tmp_path / "newer.zip", newer))
    with pytest.raises(BadInputError, match=f"База уже на схеме {head}"):
        backups.restore(engine, _with_meta(file, tmp_path / "older.zip", older))
    with pytest.raises(BadInputError, match="неизвестной схеме '0000'"):
        backups.restore(engine, _with_meta(file, tmp_path / "unknown.zip", unknown))
    _assert_exactly_as_it_was(engine, before)


def test_a_backup_that_passes_its_checksums_but_loads_otherwise_is_rolled_back(
    engine: Engine, demo_copy: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    """Defence in depth: what was loaded is compared with the verified file before the swap."""
    file, _ = demo_copy
    before = _live(engine, file)

    def id_as_text(name: str, rows: list[Row]) -> list[Row]:
        if name == "users":
            rows[0]["id"] = str(rows[0]["id"])  # "1": the database stores the number 1
        return rows

    forged = _resealed(file, tmp_path / "forged.zip", id_as_text)
    loaded_otherwise = "после загрузки таблица users не совпадает"
    with pytest.raises(backups.DamagedBackupError, match=loaded_otherwise):
        backups.restore(engine, forged)
    _assert_exactly_as_it_was(engine, before)
    assert _folder_leftovers(engine) == []


def test_a_backup_of_an_older_schema_is_restored_then_migrated(
    db_url: str, demo_copy: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    file, info = demo_copy
    empty = make_engine(db_url)
    head = migrate.head_revision(empty)
    older = f"{int(head) - 1:04d}"
    # What the clientbase of the revision before wrote: its tables, its columns.
    scratch = make_engine(f"sqlite:///{tmp_path}/scratch.db")
    migrate.upgrade(scratch, older)
    inspector = inspect(scratch)
    columns = {
        name: {c["name"] for c in inspector.get_columns(name)}
        for name in inspector.get_table_names()
        if name != "alembic_version"
    }
    scratch.dispose()

    def at_older_revision(name: str, rows: list[Row]) -> list[Row] | None:
        if name not in columns:
            return None
        return [{k: v for k, v in row.items() if k in columns[name]} for row in rows]

    old_backup = _resealed(file, tmp_path / "older.zip", at_older_revision, revision=older)
    try:
        backups.restore(empty, old_backup)
        assert migrate.current_revision(empty) == head
        states = backups.table_states(empty)
    finally:
        empty.dispose()
    expected = info["states"]
    assert isinstance(expected, dict)
    for name, kept in columns.items():
        assert states[name].rows == expected[name].rows, name
        if kept == set(t.Base.metadata.tables[name].columns.keys()):
            assert states[name] == expected[name], name


def test_a_sqlite_restore_is_refused_while_another_connection_has_the_file_open(
    sqlite_url: str, demo_copy: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    file, info = demo_copy
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    before = _live(engine, file)
    web_worker = make_engine(sqlite_url)
    backups.table_states(web_worker)  # its pooled connection keeps the file open
    try:
        with pytest.raises(backups.DatabaseInUseError, match="открыта другим процессом"):
            backups.restore(engine, file)
        _assert_exactly_as_it_was(engine, before)
        assert _folder_leftovers(engine) == []
    finally:
        web_worker.dispose()
    backups.restore(engine, file)
    assert backups.table_states(engine) == info["states"]
    engine.dispose()


def test_a_file_that_is_not_a_backup_is_refused(engine: Engine, tmp_path: Path) -> None:
    before = backups.table_states(engine)
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
