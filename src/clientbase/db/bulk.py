"""Fast bulk loading of many rows through the driver (executemany on SQLite, COPY on PG)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert rows (tuples in `columns` order) bypassing per-row ORM work."""
    unknown = [c for c in columns if c not in table.c]
    if unknown:
        raise ValueError(f"unknown columns for {table.name}: {unknown}")
    cols = ", ".join(columns)
    driver = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        assert driver is not None
        driver.executemany(f"INSERT INTO {table.name} ({cols}) VALUES ({marks})", rows)
    elif conn.dialect.name == "postgresql":
        assert driver is not None
        with driver.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        conn.execute(table.insert(), [dict(zip(columns, r, strict=True)) for r in rows])


def reset_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """After loading explicit ids on PostgreSQL, move each id sequence past the max id."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" not in table.c:
            continue
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
        )
