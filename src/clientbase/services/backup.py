"""Online backup and restore, the same portable format on SQLite and PostgreSQL.

A backup is a ZIP file: `meta.json` (format, schema revision, per-table row counts and
checksums) and one `<table>.jsonl` per table, rows in primary-key order. It is read inside
one snapshot transaction (SQLite WAL read transaction, PostgreSQL REPEATABLE READ), so it
is consistent while other users go on writing, and it can be restored into either
database (a laptop's SQLite into the server's PostgreSQL and back).

Restore replaces every table's content in one transaction: either the database equals the
backup afterwards or, on any error, it is left as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    Numeric,
    Table,
    func,
    insert,
    select,
    text,
)

from clientbase.db import migrate
from clientbase.db.engine import writer
from clientbase.db.failpoints import failpoint
from clientbase.db.tables import Base
from clientbase.db.uow import advisory_key
from clientbase.errors import BadInputError, ConflictError
from clientbase.services.locks import ASSIGNMENTS_LOCK

FORMAT = "clientbase-backup/1"
CHUNK = 5_000

Progress = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class TableState:
    """Row count and checksum of one table."""

    rows: int
    checksum: str


def _tables() -> list[Table]:
    """Every table in foreign-key order (parents first)."""
    return list(Base.metadata.sorted_tables)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns)
    result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(
        select(table).order_by(*order)
    )
    for row in result.mappings():
        yield {key: _plain(value) for key, value in row.items()}


def _line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _snapshot(engine: Engine) -> Connection:
    """A connection inside one read snapshot of the whole database."""
    if engine.dialect.name == "postgresql":
        conn = engine.connect().execution_options(isolation_level="REPEATABLE READ")
        conn.begin()
        conn.execute(text("SET TRANSACTION READ ONLY"))
        return conn
    conn = engine.connect()
    conn.begin()
    # The first read starts SQLite's WAL read transaction; everything after sees that state.
    conn.execute(text("SELECT count(*) FROM sqlite_master"))
    return conn


def table_states(engine: Engine) -> dict[str, TableState]:
    """Row count and content checksum of every table (one snapshot)."""
    conn = _snapshot(engine)
    try:
        return {table.name: _state(conn, table) for table in _tables()}
    finally:
        conn.rollback()
        conn.close()


def _state(conn: Connection, table: Table) -> TableState:
    digest = hashlib.sha256()
    count = 0
    numeric = _numeric_columns(table)
    for row in _rows(conn, table):
        digest.update(_line(_normalized(row, numeric)).encode())
        digest.update(b"\n")
        count += 1
    return TableState(rows=count, checksum=digest.hexdigest())


def _numeric_columns(table: Table) -> frozenset[str]:
    return frozenset(c.name for c in table.columns if isinstance(c.type, Numeric | Float))


def _normalized(row: dict[str, Any], numeric: frozenset[str]) -> dict[str, Any]:
    # SQLite hands back 1500 for a money value PostgreSQL returns as 1500.0: checksum
    # numbers as rounded floats so that both databases agree on the same content.
    return {k: round(float(v), 6) if k in numeric and v is not None else v for k, v in row.items()}


def backup(engine: Engine, target: Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Write a consistent backup of the whole database to `target` (atomically)."""
    revision = migrate.current_revision(engine)
    if revision is None:
        raise BadInputError("База данных пуста: сохранять нечего.")
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".backup-", suffix=".zip", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tables: dict[str, dict[str, Any]] = {}
    conn = _snapshot(engine)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for table in _tables():
                digest = hashlib.sha256()
                count = 0
                numeric = _numeric_columns(table)
                with zf.open(f"{table.name}.jsonl", "w", force_zip64=True) as fh:
                    for row in _rows(conn, table):
                        line = _line(row)
                        fh.write(line.encode())
                        fh.write(b"\n")
                        digest.update(_line(_normalized(row, numeric)).encode())
                        digest.update(b"\n")
                        count += 1
                tables[table.name] = {"rows": count, "checksum": digest.hexdigest()}
                if progress:
                    progress(table.name, count)
            meta = {
                "format": FORMAT,
                "revision": revision,
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "dialect": engine.dialect.name,
                "tables": tables,
            }
            zf.writestr("meta.json", json.dumps(meta, ensure_ascii=False, indent=1))
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        conn.rollback()
        conn.close()
    return meta


def read_meta(source: Path) -> dict[str, Any]:
    """The meta of a backup file, checked to be one."""
    if not source.is_file():
        raise BadInputError(f"Файл резервной копии не найден: {source}")
    try:
        with zipfile.ZipFile(source) as zf:
            meta: dict[str, Any] = json.loads(zf.read("meta.json"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise BadInputError(f"{source}: это не резервная копия clientbase ({exc}).") from exc
    if meta.get("format") != FORMAT:
        raise BadInputError(f"{source}: неизвестный формат копии {meta.get('format')!r}.")
    return meta


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        column = table.columns.get(key)
        if column is None:
            raise BadInputError(f"Копия не совпадает со схемой: нет столбца {table.name}.{key}.")
        if value is not None and isinstance(column.type, DateTime):
            value = dt.datetime.fromisoformat(value)
        elif value is not None and isinstance(column.type, Date):
            value = dt.date.fromisoformat(value)
        out[key] = value
    return out


def restore(engine: Engine, source: Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Replace the database's content with a backup, in one transaction."""
    meta = read_meta(source)
    _schema_for(engine, str(meta["revision"]))
    tables = [table for table in _tables() if table.name in meta["tables"]]
    try:
        with zipfile.ZipFile(source) as zf, writer(engine).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": advisory_key(ASSIGNMENTS_LOCK)},
                )
            for table in reversed(tables):
                conn.execute(table.delete())
            for table in tables:
                expected = meta["tables"].get(table.name, {"rows": 0})["rows"]
                count = _load_table(conn, zf, table)
                if count != expected:
                    raise BadInputError(
                        f"Копия повреждена: в {table.name} {count} строк, ожидалось {expected}."
                    )
                if progress:
                    progress(table.name, count)
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, tables)
            failpoint("restore-before-commit")
    except zipfile.BadZipFile as exc:
        raise BadInputError(f"{source}: копия повреждена ({exc}).") from exc
    # Data of an older schema is restored at its revision, then migrated like any database.
    migrate.upgrade(engine)
    if meta["revision"] != migrate.head_revision(engine):
        return meta
    states = table_states(engine)
    for name, info in meta["tables"].items():
        if states[name].checksum != info["checksum"]:
            raise ConflictError(
                f"После восстановления {name} не совпадает с копией (изменена во время "
                "восстановления?). Повторите восстановление."
            )
    return meta


def _schema_for(engine: Engine, revision: str) -> None:
    """Bring the database's schema to the backup's revision (revisions are 0001, 0002…)."""
    head = migrate.head_revision(engine)
    if revision > head:
        raise BadInputError(
            f"Копия сделана более новой версией clientbase (схема {revision}, "
            f"эта версия знает до {head}); обновите clientbase."
        )
    current = migrate.check_known(engine)
    if current is not None and current > revision:
        raise BadInputError(
            f"База уже на схеме {current}, а копия на {revision}: восстановите копию "
            "в пустую базу (данные будут обновлены до текущей схемы автоматически)."
        )
    migrate.upgrade(engine, revision)


def _load_table(conn: Connection, zf: zipfile.ZipFile, table: Table) -> int:
    name = f"{table.name}.jsonl"
    if name not in zf.namelist():
        return 0
    count = 0
    batch: list[dict[str, Any]] = []
    with zf.open(name) as fh:
        for raw in fh:
            if not raw.strip():
                continue
            batch.append(_typed(table, json.loads(raw)))
            if len(batch) >= CHUNK:
                conn.execute(insert(table), batch)
                count += len(batch)
                batch = []
    if batch:
        conn.execute(insert(table), batch)
        count += len(batch)
    return count


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        top = conn.scalar(select(func.max(pk[0])))
        seq = conn.scalar(text(f"SELECT pg_get_serial_sequence('{table.name}', '{pk[0].name}')"))
        if seq:
            if top is None:
                conn.execute(text(f"SELECT setval('{seq}', 1, false)"))
            else:
                conn.execute(text(f"SELECT setval('{seq}', {int(top)})"))
