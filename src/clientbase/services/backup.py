"""Online backup and restore, the same portable format on SQLite and PostgreSQL.

A backup is a ZIP file: `meta.json` (format, schema revision, per-table row counts and
checksums) and one `<table>.jsonl` per table, rows in primary-key order. It is read inside
one snapshot transaction (SQLite WAL read transaction, PostgreSQL REPEATABLE READ), so it
is consistent while other users go on writing, and it can be restored into either
database (a laptop's SQLite into the server's PostgreSQL and back).

Restore never destroys. The whole file is verified first — meta, schema revision, and for
every table its file: archive CRC, each row, the row count and the checksum — without
touching the database. Only then is the content swapped in, atomically, and what was
loaded is checked against the verified file once more before it becomes the database:

- SQLite: a new database file is built beside the live one, loaded, checked, migrated and
  renamed over it (`os.replace`) while no other connection has the live file open.
- PostgreSQL (and SQLite in memory): one transaction deletes and loads every table and
  compares what it loaded with the file before it commits; any mismatch rolls it back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
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
    inspect,
    select,
    text,
)
from sqlalchemy import column as column_clause
from sqlalchemy import table as table_clause
from sqlalchemy.exc import DBAPIError

from clientbase.db import migrate
from clientbase.db.engine import make_engine, writer
from clientbase.db.failpoints import failpoint
from clientbase.db.tables import Base
from clientbase.db.uow import advisory_key
from clientbase.errors import BadInputError, ConflictError, DatabaseError
from clientbase.services import database
from clientbase.services.locks import ASSIGNMENTS_LOCK

FORMAT = "clientbase-backup/1"
CHUNK = 5_000
ZIP_MAGIC = b"PK\x03\x04"
UNCHANGED = "База не изменена."

Progress = Callable[[str, int], None]


class DamagedBackupError(BadInputError):
    """The backup file is damaged, incomplete or altered; the database was not changed."""


class DatabaseInUseError(ConflictError):
    """Another connection has the SQLite database open, so its file cannot be swapped."""


@dataclass(frozen=True, slots=True)
class TableState:
    """Row count and checksum of one table."""

    rows: int
    checksum: str


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table of a verified backup, as its file was read and checked."""

    table: Table
    rows: int
    columns: tuple[str, ...]
    content: int  # order-free digest of the rows, to compare with what a load wrote


@dataclass(frozen=True, slots=True)
class VerifiedBackup:
    """A backup file checked end to end; `tables` in foreign-key order (parents first)."""

    source: Path
    meta: dict[str, Any]
    revision: str
    tables: tuple[TableCopy, ...]


def _tables() -> list[Table]:
    """Every table in foreign-key order (parents first)."""
    return list(Base.metadata.sorted_tables)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _rows(
    conn: Connection, table: Table, columns: tuple[str, ...] | None = None
) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns)
    query = select(*(table.c[name] for name in columns)) if columns else select(table)
    result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(
        query.order_by(*order)
    )
    for row in result.mappings():
        yield {key: _plain(value) for key, value in row.items()}


def _line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class _Digest:
    """A table's checksum: ordered (as in meta.json) and order-free (to check a load).

    The order-free one is a sum of the rows' hashes: a database may hand rows back in
    another order than the file has them (PostgreSQL collations), the content is the same.
    """

    _MODULUS = 2**256

    def __init__(self, table: Table) -> None:
        self._numeric = _numeric_columns(table)
        self._ordered = hashlib.sha256()
        self.content = 0
        self.rows = 0

    def add(self, row: dict[str, Any]) -> None:
        line = _line(_normalized(row, self._numeric)).encode()
        self._ordered.update(line)
        self._ordered.update(b"\n")
        row_hash = int.from_bytes(hashlib.sha256(line).digest(), "big")
        self.content = (self.content + row_hash) % self._MODULUS
        self.rows += 1

    @property
    def checksum(self) -> str:
        return self._ordered.hexdigest()


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
    digest = _Digest(table)
    for row in _rows(conn, table):
        digest.add(row)
    return TableState(rows=digest.rows, checksum=digest.checksum)


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
                digest = _Digest(table)
                with zf.open(f"{table.name}.jsonl", "w", force_zip64=True) as fh:
                    for row in _rows(conn, table):
                        fh.write(_line(row).encode())
                        fh.write(b"\n")
                        digest.add(row)
                tables[table.name] = {"rows": digest.rows, "checksum": digest.checksum}
                if progress:
                    progress(table.name, digest.rows)
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


# --- Verifying a backup file (reads the file only) ---------------------------------------


def _damaged(source: Path, problem: str) -> DamagedBackupError:
    return DamagedBackupError(
        f"Копия {source.name} повреждена или изменена: {problem}. {UNCHANGED}"
    )


def _open_zip(source: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        with source.open("rb") as fh:
            start = fh.read(len(ZIP_MAGIC))
        if start == ZIP_MAGIC:
            raise _damaged(
                source, "архив обрезан или повреждён: нет оглавления ZIP в конце"
            ) from exc
        raise BadInputError(
            f"{source}: это не резервная копия clientbase ({exc}). {UNCHANGED}"
        ) from exc
    except OSError as exc:
        raise BadInputError(
            f"Файл резервной копии не читается: {source} ({exc.strerror}). {UNCHANGED}"
        ) from exc


def read_meta(source: Path) -> dict[str, Any]:
    """The meta of a backup file, checked to be one and to be complete."""
    if not source.is_file():
        raise BadInputError(f"Файл резервной копии не найден: {source}")
    with _open_zip(source) as zf:
        try:
            raw = zf.read("meta.json")
        except KeyError as exc:
            raise BadInputError(
                f"{source}: это не резервная копия clientbase (нет meta.json). {UNCHANGED}"
            ) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise _damaged(source, f"meta.json не читается ({exc})") from exc
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise _damaged(source, "meta.json не читается как JSON") from exc
    if not isinstance(meta, dict):
        raise _damaged(source, "meta.json не описывает копию")
    if meta.get("format") != FORMAT:
        raise BadInputError(
            f"{source}: неизвестный формат копии {meta.get('format')!r}. {UNCHANGED}"
        )
    tables = meta.get("tables")
    if not isinstance(meta.get("revision"), str) or not isinstance(tables, dict):
        raise _damaged(source, "в meta.json нет версии схемы или списка таблиц")
    for name, info in tables.items():
        if not (
            isinstance(info, dict)
            and type(info.get("rows")) is int
            and isinstance(info.get("checksum"), str)
        ):
            raise _damaged(
                source, f"в meta.json у таблицы {name} нет числа строк или контрольной суммы"
            )
    return meta


def verify(engine: Engine, source: Path, *, progress: Progress | None = None) -> VerifiedBackup:
    """Check a whole backup file against itself and this database, changing nothing.

    In order: a readable ZIP with a complete `meta.json`; a schema revision this
    clientbase knows and the database can take; the list of tables; then each table's
    file — present, its archive CRC, every row, the row count and the checksum.
    """
    meta = read_meta(source)
    revision: str = meta["revision"]
    _check_schema(engine, revision)
    listed: dict[str, dict[str, Any]] = meta["tables"]
    known = {table.name for table in _tables()}
    unknown = sorted(set(listed) - known)
    if unknown:
        raise _damaged(source, f"в meta.json неизвестные таблицы: {', '.join(unknown)}")
    missing = sorted(known - set(listed))
    if revision == migrate.head_revision(engine) and missing:
        raise _damaged(source, f"в копии нет таблиц: {', '.join(missing)}")
    copies = []
    with _open_zip(source) as zf:
        for table in _tables():
            if table.name in listed:
                copy = _verify_table(zf, source, table, listed[table.name])
                copies.append(copy)
                if progress:
                    progress(table.name, copy.rows)
    return VerifiedBackup(source=source, meta=meta, revision=revision, tables=tuple(copies))


def _check_schema(engine: Engine, revision: str) -> None:
    """The backup's schema revision is one this clientbase knows and the database can take."""
    head = migrate.head_revision(engine)
    script = ScriptDirectory.from_config(migrate.alembic_config(engine))
    if revision not in {rev.revision for rev in script.walk_revisions()}:
        if revision > head:
            raise BadInputError(
                f"Копия сделана более новой версией clientbase (схема {revision}, "
                f"эта версия знает до {head}); обновите clientbase. {UNCHANGED}"
            )
        raise BadInputError(
            f"Копия на неизвестной схеме {revision!r} (эта версия знает схемы до {head}). "
            f"{UNCHANGED}"
        )
    current = migrate.check_known(engine)
    if current is not None and current > revision:
        raise BadInputError(
            f"База уже на схеме {current}, а копия на {revision}: восстановите копию "
            f"в пустую базу (данные будут обновлены до текущей схемы автоматически). {UNCHANGED}"
        )


class _RowError(Exception):
    def __init__(self, number: int, reason: str) -> None:
        super().__init__(reason)
        self.number = number
        self.reason = reason


def _verify_table(
    zf: zipfile.ZipFile, source: Path, table: Table, listed: dict[str, Any]
) -> TableCopy:
    member = f"{table.name}.jsonl"
    if member not in zf.namelist():
        raise _damaged(source, f"нет файла {member} (таблица {table.name})")
    digest = _Digest(table)
    columns: tuple[str, ...] | None = None
    try:
        with zf.open(member) as fh:
            for number, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                row = _checked_row(table, raw, number, columns)
                columns = columns or tuple(sorted(row))
                digest.add(row)
    except _RowError as exc:
        # A garbled row is most often a damaged archive: say so when its CRC fails.
        if not _intact(zf, member):
            raise _damaged(
                source, f"файл {member} (таблица {table.name}) не проходит проверку CRC архива"
            ) from exc
        raise _damaged(source, f"таблица {table.name}, строка {exc.number}: {exc.reason}") from exc
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise _damaged(
            source, f"файл {member} (таблица {table.name}) не проходит проверку архива ({exc})"
        ) from exc
    if digest.rows != listed["rows"]:
        raise _damaged(
            source,
            f"в таблице {table.name} {digest.rows} строк, а в meta.json записано "
            f"{listed['rows']} (проверка числа строк)",
        )
    if digest.checksum != listed["checksum"]:
        raise _damaged(
            source,
            f"строки таблицы {table.name} не совпадают с её контрольной суммой в meta.json "
            "(проверка контрольной суммы)",
        )
    primary_key = tuple(c.name for c in table.primary_key.columns)
    return TableCopy(
        table=table, rows=digest.rows, columns=columns or primary_key, content=digest.content
    )


def _checked_row(
    table: Table, raw: bytes, number: int, columns: tuple[str, ...] | None
) -> dict[str, Any]:
    try:
        row = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise _RowError(number, "не в кодировке UTF-8") from exc
    except ValueError as exc:
        raise _RowError(number, "не читается как JSON") from exc
    if not isinstance(row, dict):
        raise _RowError(number, "не запись таблицы")
    if columns is not None and tuple(sorted(row)) != columns:
        raise _RowError(number, "другой набор столбцов, чем у первой строки")
    try:
        _typed(table, row)
    except (ValueError, TypeError) as exc:
        raise _RowError(number, str(exc)) from exc
    return row


def _intact(zf: zipfile.ZipFile, member: str) -> bool:
    """Whether a member decompresses and matches its CRC (read to the end)."""
    try:
        with zf.open(member) as fh:
            while fh.read(1 << 20):
                pass
    except (zipfile.BadZipFile, zlib.error, EOFError):
        return False
    return True


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        column = table.columns.get(key)
        if column is None:
            raise ValueError(f"нет столбца {table.name}.{key} в схеме")
        try:
            if value is not None and isinstance(column.type, DateTime):
                value = dt.datetime.fromisoformat(value)
            elif value is not None and isinstance(column.type, Date):
                value = dt.date.fromisoformat(value)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{key}: не дата {value!r}") from exc
        out[key] = value
    return out


# --- Restoring a verified backup ---------------------------------------------------------


def restore(
    engine: Engine,
    source: Path,
    *,
    progress: Progress | None = None,
    checked: Progress | None = None,
) -> dict[str, Any]:
    """Replace the database's content with a backup, verified first, swapped atomically.

    `checked` is told of each table as the file is verified, `progress` as it is loaded.
    On any error the database is left exactly as it was.
    """
    verified = verify(engine, source, progress=checked)
    path = database.sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is None:
        _restore_in_one_transaction(engine, verified, progress)
    else:
        _restore_by_new_file(engine, path.resolve(), verified, progress)
    return verified.meta


def _restore_in_one_transaction(
    engine: Engine, verified: VerifiedBackup, progress: Progress | None
) -> None:
    # Only ever forward, to the backup's revision (`verify` refused a newer database); a
    # migration keeps the data, so the live content is still intact if the load fails.
    migrate.upgrade(engine, verified.revision)
    with _open_zip(verified.source) as zf, writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"),
                {"key": advisory_key(ASSIGNMENTS_LOCK)},
            )
        _load(conn, zf, verified, progress)
        failpoint("restore-before-swap")
    # Data of an older schema is restored at its revision, then migrated like any database.
    migrate.upgrade(engine)


def _restore_by_new_file(
    engine: Engine, live: Path, verified: VerifiedBackup, progress: Progress | None
) -> None:
    timeout = _busy_timeout_seconds(engine)
    engine.dispose()
    # Fail before the long build if the web server (or anything) still holds the file.
    with _sole_connection(live, timeout):
        pass
    fresh = _new_file_beside(live)
    try:
        _build(fresh, verified, progress)
        engine.dispose()
        with _sole_connection(live, timeout):
            failpoint("restore-before-swap")
            _swap(live, fresh)
    except BaseException:
        _remove_database_file(fresh)
        raise


def _build(fresh: Path, verified: VerifiedBackup, progress: Progress | None) -> None:
    """Load, check and migrate the backup into a new SQLite file, left self-contained."""
    staging = make_engine(f"sqlite:///{fresh}")
    try:
        migrate.upgrade(staging, verified.revision)
        with _open_zip(verified.source) as zf, writer(staging).begin() as conn:
            _load(conn, zf, verified, progress)
        migrate.upgrade(staging)
    finally:
        staging.dispose()
    # Leaving WAL mode checkpoints every page into the file itself and deletes its WAL:
    # the file renamed into place carries no journal of its own.
    closer = sqlite3.connect(fresh, isolation_level=None)
    try:
        mode = closer.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    finally:
        closer.close()
    if mode != "delete" or _sidecar(fresh, "-wal").exists():
        raise DatabaseError(f"Новый файл базы {fresh} не удалось закрыть. {UNCHANGED}")
    with fresh.open("rb") as fh:
        os.fsync(fh.fileno())


@contextmanager
def _sole_connection(live: Path, timeout: float) -> Iterator[sqlite3.Connection]:
    """An exclusive lock on the live SQLite file, proving no one else has it open.

    Every clientbase connection keeps WAL mode and, with it, a shared lock on the file
    while it is open; leaving WAL mode needs all of them closed. It also checkpoints the
    WAL into the file and deletes it, so no old WAL can be replayed onto the new file.
    """
    gate = sqlite3.connect(live, isolation_level=None, timeout=timeout)
    try:
        try:
            gate.execute("PRAGMA journal_mode = DELETE")
            gate.execute("BEGIN EXCLUSIVE")
            # Someone who connected between the two statements switched WAL back on.
            mode = gate.execute("PRAGMA journal_mode").fetchone()[0]
        except sqlite3.OperationalError as exc:
            raise _in_use(live) from exc
        if mode != "delete" or _sidecar(live, "-wal").exists():
            raise _in_use(live)
        yield gate
    finally:
        gate.close()


def _in_use(live: Path) -> DatabaseInUseError:
    return DatabaseInUseError(
        f"База {live} открыта другим процессом (веб-сервер, планировщик, другая команда): "
        f"остановите их и повторите восстановление. {UNCHANGED}"
    )


def _swap(live: Path, fresh: Path) -> None:
    """Rename the new file over the live one and make the replaced file unusable."""
    old = os.open(live, os.O_RDWR)
    try:
        os.replace(fresh, live)
        if os.name == "posix":
            directory = os.open(live.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        # A process that opened the path just before the rename still holds the old file;
        # using it, it would write into a file nobody sees and create a `-wal` next to the
        # new one. Blank the old header so that SQLite refuses it ("file is not a
        # database") — only when nothing else names that file (a hard link is a copy).
        # Best effort: the swap itself is done and must not be reported as failed.
        with suppress(OSError):
            replaced = os.fstat(old)
            if replaced.st_nlink == 0 and replaced.st_ino != live.stat().st_ino:
                os.lseek(old, 0, os.SEEK_SET)
                os.write(old, bytes(100))
    finally:
        os.close(old)


def _new_file_beside(live: Path) -> Path:
    """An empty file in the live database's folder, with the live file's permissions."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{live.name}.restore-", suffix=".db", dir=live.parent)
    except OSError as exc:
        raise DatabaseError(
            f"Не удалось создать новый файл базы в папке {live.parent} ({exc.strerror}). "
            f"{UNCHANGED}"
        ) from exc
    os.close(fd)
    fresh = Path(name)
    if live.exists():
        os.chmod(fresh, stat.S_IMODE(live.stat().st_mode))
    return fresh


def _sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _remove_database_file(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        _sidecar(path, suffix).unlink(missing_ok=True)


def _busy_timeout_seconds(engine: Engine) -> float:
    with engine.connect() as conn:
        milliseconds = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
    return int(milliseconds or 0) / 1000


def _load(
    conn: Connection, zf: zipfile.ZipFile, verified: VerifiedBackup, progress: Progress | None
) -> None:
    """Replace every table's rows with the backup's, then check what was written."""
    source = verified.source
    present = set(inspect(conn).get_table_names()) - {"alembic_version"}
    missing = sorted(present - {copy.table.name for copy in verified.tables})
    if missing:
        raise _damaged(source, f"в копии нет таблиц: {', '.join(missing)}")
    for copy in reversed(verified.tables):
        conn.execute(copy.table.delete())
    for copy in verified.tables:
        count = _load_table(conn, zf, source, copy)
        if count != copy.rows:
            raise _damaged(
                source,
                f"в таблицу {copy.table.name} загружено {count} строк вместо {copy.rows} "
                "(файл изменился после проверки?)",
            )
        if progress:
            progress(copy.table.name, count)
    if conn.dialect.name == "postgresql":
        _reset_sequences(conn, [copy.table for copy in verified.tables])
    failpoint("restore-before-commit")
    for copy in verified.tables:
        _check_loaded(conn, source, copy)


def _load_table(conn: Connection, zf: zipfile.ZipFile, source: Path, copy: TableCopy) -> int:
    name = copy.table.name
    if not copy.rows:
        return 0
    # Exactly the backup's columns, without the model's Python defaults: a backup of an
    # older schema has no value for a column added later, nor that column to write to.
    target = table_clause(
        name, *(column_clause(key, copy.table.c[key].type) for key in copy.columns)
    )
    count = 0
    batch: list[dict[str, Any]] = []
    try:
        with zf.open(f"{name}.jsonl") as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                batch.append(_typed(copy.table, json.loads(raw)))
                if len(batch) >= CHUNK:
                    conn.execute(insert(target), batch)
                    count += len(batch)
                    batch = []
        if batch:
            conn.execute(insert(target), batch)
            count += len(batch)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, TypeError) as exc:
        raise _damaged(source, f"файл {name}.jsonl изменился после проверки ({exc})") from exc
    except DBAPIError as exc:
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        raise _damaged(source, f"таблица {name} не загружается в базу: {reason}") from exc
    return count


def _check_loaded(conn: Connection, source: Path, copy: TableCopy) -> None:
    """What the database now holds for a table is what the verified file holds."""
    digest = _Digest(copy.table)
    for row in _rows(conn, copy.table, copy.columns):
        digest.add(row)
    if digest.rows != copy.rows or digest.content != copy.content:
        raise _damaged(
            source,
            f"после загрузки таблица {copy.table.name} не совпадает с проверенным файлом "
            f"(проверка загруженных строк: в базе {digest.rows}, в файле {copy.rows}"
            f"{'' if digest.rows != copy.rows else ', содержимое другое'}); "
            "загрузка отменена",
        )


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
