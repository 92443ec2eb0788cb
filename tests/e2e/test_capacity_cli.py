"""`clientbase capacity …` run as a user would: tables, CSV/XLSX files, clear errors."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from cli_helpers import run_cli
from python_calamine import CalamineWorkbook

from clientbase.services.demo import DemoParams, create_demo_file

TODAY = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = Path(tmp_path_factory.mktemp("capacity_cli")) / "demo.db"
    create_demo_file(path, DemoParams(clients=300, managers=4, months=6, today=TODAY))
    return f"sqlite:///{path}"


def test_capacity_prints_every_manager_with_drivers_and_status(db: str) -> None:
    result = run_cli("capacity", "--db", db, "--today", TODAY.isoformat())
    assert result.returncode == 0, result.stderr
    assert "Ёмкость и нагрузка" in result.stdout and "база 40" in result.stdout


def test_capacity_writes_csv_with_one_row_per_active_manager(db: str, tmp_path: Path) -> None:
    target = tmp_path / "cap.csv"
    result = run_cli("capacity", "--db", db, "--format", "csv", "--out", str(target))
    assert result.returncode == 0, result.stderr
    with target.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {"ёмкость", "загрузка %", "статус", "охват %"} <= set(rows[0])
    assert {r["статус"] for r in rows} <= {"недогружен", "норма", "перегружен"}


def test_capacity_writes_xlsx(db: str, tmp_path: Path) -> None:
    target = tmp_path / "cap.xlsx"
    result = run_cli("capacity", "--db", db, "--format", "xlsx", "--out", str(target))
    assert result.returncode == 0, result.stderr
    sheet = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
    assert sheet[0][0] == "id" and len(sheet) > 2


def test_an_unknown_manager_is_a_clear_error(db: str) -> None:
    result = run_cli("capacity", "--db", db, "--manager", "9999")
    assert result.returncode == 1
    assert "Менеджер #9999 не найден" in result.stderr


def test_a_broken_tables_file_is_a_clear_error(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "tables.toml"
    bad.write_text("[complexity]\n1 = 2\n", encoding="utf-8")
    result = run_cli("capacity", "--db", db, "--tables", str(bad))
    assert result.returncode == 1
    assert "уровней 1–5" in result.stderr


def test_a_tables_file_changes_the_capacity(db: str, tmp_path: Path) -> None:
    tables = tmp_path / "tables.toml"
    tables.write_text("[bases.farmer]\nbase = 31\nfloor = 31\nhard_max = 31\n", encoding="utf-8")
    target = tmp_path / "cap.csv"
    result = run_cli(
        "capacity", "--db", db, "--tables", str(tables), "--format", "csv", "--out", str(target)
    )
    assert result.returncode == 0, result.stderr
    with target.open(encoding="utf-8-sig") as fh:
        rows = [r for r in csv.DictReader(fh) if r["группа"] == "аккаунт" and not r["вручную"]]
    assert rows and all(r["ёмкость"] == "31" for r in rows)


def test_headcount_gives_a_number_with_its_reasoning(db: str) -> None:
    result = run_cli("capacity", "headcount", "--db", db, "--growth", "0.2")
    assert result.returncode == 0, result.stderr
    assert "нужно" in result.stdout and "потребность" in result.stdout


def test_buried_and_photo_run(db: str, tmp_path: Path) -> None:
    result = run_cli("capacity", "buried", "--db", db, "--days", "30", "--today", "2026-11-22")
    assert result.returncode == 0, result.stderr
    assert "Охват" in result.stdout
    target = tmp_path / "photo.csv"
    result = run_cli("capacity", "photo", "--db", db, "--format", "csv", "--out", str(target))
    assert result.returncode == 0, result.stderr
    assert "на рост %" in target.read_text(encoding="utf-8-sig")
