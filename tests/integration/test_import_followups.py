"""Reviewer findings on the import service: partial updates, managers across sources,
strict numbers, negated stages, business time zone, busy database, progress."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from clientbase.db.engine import make_engine
from clientbase.db.tables import Activity, Client, Deal, Manager
from clientbase.errors import ConflictError
from clientbase.services.importing import import_file


def _csv(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _setup(engine: Engine, tmp_path: Path) -> None:
    managers = _csv(
        tmp_path / "managers.csv",
        [
            ["manager_id", "name", "email", "team"],
            ["M1", "Иван Петров", "ivan@example.ru", "Москва"],
            ["M2", "Ольга Смирнова", "olga@example.ru", "Север"],
        ],
    )
    assert import_file(engine=engine, entity="managers", path=managers).ok
    clients = _csv(tmp_path / "clients.csv", [["client_id", "name"], ["C1", "ООО Ромашка"]])
    assert import_file(engine=engine, entity="clients", path=clients).ok


def test_an_update_of_deals_touches_only_the_columns_of_the_file(
    engine: Engine, tmp_path: Path
) -> None:
    _setup(engine, tmp_path)
    full = [
        ["deal_id", "client", "manager", "amount", "currency", "stage", "created", "closed"],
        ["D1", "C1", "M1", "100", "USD", "Сделка заключена", "2026-02-01", "2026-03-01"],
    ]
    assert import_file(engine=engine, entity="deals", path=_csv(tmp_path / "d1.csv", full)).ok
    short = [["deal_id", "client", "amount", "created"], ["D1", "C1", "250", "2026-02-01"]]
    report = import_file(engine=engine, entity="deals", path=_csv(tmp_path / "d2.csv", short))
    assert (report.inserted, report.updated) == (0, 1)
    with Session(engine) as session:
        deal = session.scalars(select(Deal)).one()
        assert deal.amount == 250
        assert (deal.currency, deal.stage, deal.outcome) == ("USD", "Сделка заключена", "won")
        assert deal.closed == dt.date(2026, 3, 1)
        assert deal.manager_id is not None


def test_an_update_of_activities_keeps_fields_absent_from_the_file(
    engine: Engine, tmp_path: Path
) -> None:
    _setup(engine, tmp_path)
    first = [
        ["activity_id", "client", "manager", "type", "direction", "started", "completed"],
        ["A1", "C1", "M1", "Звонок", "исходящий", "05.02.2026 10:00", "нет"],
    ]
    assert import_file(engine=engine, entity="activities", path=_csv(tmp_path / "a.csv", first)).ok
    second = [["activity_id", "type", "started"], ["A1", "Звонок", "05.02.2026 11:00"]]
    report = import_file(engine=engine, entity="activities", path=_csv(tmp_path / "b.csv", second))
    assert report.updated == 1
    with Session(engine) as session:
        activity = session.scalars(select(Activity)).one()
        assert activity.completed is False
        assert activity.direction is not None
        assert activity.client_id is not None and activity.manager_id is not None


def test_a_crm_user_joined_by_email_updates_the_manager_on_every_import(
    engine: Engine, tmp_path: Path
) -> None:
    _setup(engine, tmp_path)
    users = [
        ["ID", "NAME", "LAST_NAME", "EMAIL"],
        ["11", "Иван", "Петров-Водкин", "IVAN@example.ru"],
    ]
    report = import_file(
        engine=engine, entity="managers", path=_csv(tmp_path / "u.csv", users), source="bitrix24"
    )
    assert (report.inserted, report.linked) == (0, 1)
    with Session(engine) as session:
        assert session.scalars(select(Manager.name).where(Manager.external_id == "M1")).one() == (
            "Иван Петров-Водкин"
        )
    users[1][2] = "Сидоров"
    again = import_file(
        engine=engine, entity="managers", path=_csv(tmp_path / "u2.csv", users), source="bitrix24"
    )
    assert (again.inserted, again.updated) == (0, 1)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Manager)) == 2
        assert session.scalars(select(Manager.name).where(Manager.external_id == "M1")).one() == (
            "Иван Сидоров"
        )


def test_a_duplicate_email_in_one_managers_file_is_an_error_naming_both_rows(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        ["manager_id", "name", "email"],
        ["M1", "Иван Петров", "ivan@example.ru"],
        ["M2", "Ольга Смирнова", "olga@example.ru"],
        ["M3", "Иван Петров (2)", "Ivan@Example.ru"],
    ]
    report = import_file(engine=engine, entity="managers", path=_csv(tmp_path / "m.csv", rows))
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(4, "email")]
    assert "строке 2" in report.errors[0].message
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Manager)) == 0


def test_garbage_and_ambiguous_numbers_are_errors_with_their_rows(
    engine: Engine, tmp_path: Path
) -> None:
    rows = [
        ["client_id", "name", "potential"],
        ["C1", "А", "1,234.50"],
        ["C2", "Б", "1,500"],
        ["C3", "В", "1,2,3"],
        ["C4", "Г", "12руб34"],
    ]
    report = import_file(engine=engine, entity="clients", path=_csv(tmp_path / "c.csv", rows))
    assert [e.row for e in report.errors] == [3, 4, 5]
    assert "неоднозначное" in report.errors[0].message
    ok = [["client_id", "name", "potential"], ["C1", "А", "1,500"], ["C2", "Б", "2 000,75"]]
    report = import_file(engine=engine, entity="clients", path=_csv(tmp_path / "ok.csv", ok))
    assert report.ok
    with Session(engine) as session:
        assert sorted(session.scalars(select(Client.potential))) == [1.5, 2000.75]


def test_negated_stages_are_imported_as_lost(engine: Engine, tmp_path: Path) -> None:
    _setup(engine, tmp_path)
    rows = [["deal_id", "client", "manager", "amount", "stage", "created"]]
    for i, stage in enumerate(["Не заключена", "Не выиграна", "Отказ", "Заключена"]):
        rows.append([f"D{i}", "C1", "M1", "10", stage, "2026-02-01"])
    assert import_file(engine=engine, entity="deals", path=_csv(tmp_path / "d.csv", rows)).ok
    with Session(engine) as session:
        outcomes = {s: o for s, o in session.execute(select(Deal.stage, Deal.outcome))}
    assert outcomes == {
        "Не заключена": "lost", "Не выиграна": "lost", "Отказ": "lost", "Заключена": "won"
    }  # fmt: skip


def test_an_amocrm_deal_won_at_one_am_moscow_time_belongs_to_that_day(
    engine: Engine, tmp_path: Path
) -> None:
    _setup(engine, tmp_path)
    rows = [
        ["deal_id", "client", "manager", "amount", "outcome", "created", "closed"],
        ["D1", "C1", "M1", "10", "won", "1769000000", "1769896800"],  # 2026-02-01 01:00 MSK
    ]
    assert import_file(engine=engine, entity="deals", path=_csv(tmp_path / "d.csv", rows)).ok
    with Session(engine) as session:
        assert session.scalars(select(Deal.closed)).one() == dt.date(2026, 2, 1)


def test_a_locked_sqlite_database_is_a_conflict_and_writes_nothing(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite lock; PostgreSQL serialization failures map the same way")
    path = _csv(tmp_path / "c.csv", [["client_id", "name"], ["C1", "ООО Ромашка"]])
    impatient = make_engine(db_url, busy_timeout_ms=50)
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(ConflictError, match="повторите"):
            import_file(engine=impatient, entity="clients", path=path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        impatient.dispose()
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Client)) == 0
    assert import_file(engine=engine, entity="clients", path=path).inserted == 1


def test_the_progress_callback_reaches_the_total_and_never_goes_back(
    engine: Engine, tmp_path: Path
) -> None:
    rows: list[list[object]] = [["client_id", "name"]]
    rows += [[f"C{i}", f"Клиент {i}"] for i in range(3000)]
    seen: list[tuple[int, int]] = []
    report = import_file(
        engine=engine,
        entity="clients",
        path=_csv(tmp_path / "c.csv", rows),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert report.inserted == 3000
    assert len(seen) > 3
    assert seen[-1] == (3000, 3000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_the_progress_of_a_re_import_with_a_few_new_rows_never_goes_back(
    engine: Engine, tmp_path: Path
) -> None:
    rows: list[list[object]] = [["client_id", "name", "owner"]]
    rows += [[f"C{i}", f"Клиент {i}", ""] for i in range(3000)]
    assert import_file(engine=engine, entity="clients", path=_csv(tmp_path / "a.csv", rows)).ok
    rows += [[f"N{i}", f"Новый {i}", ""] for i in range(40)]
    seen: list[tuple[int, int]] = []
    report = import_file(
        engine=engine,
        entity="clients",
        path=_csv(tmp_path / "b.csv", rows),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert (report.inserted, report.unchanged) == (40, 3000)
    assert seen[-1] == (3040, 3040)
    assert {total for _, total in seen} == {3040}
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
