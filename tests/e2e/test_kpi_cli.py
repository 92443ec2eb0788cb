"""`clientbase kpi …` run as a user would: SPEC §10 CSV, the Excel workbook, clear errors."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from cli_helpers import run_cli
from python_calamine import CalamineWorkbook
from sqlalchemy import update
from sqlalchemy.orm import Session

from clientbase.db import tables as t
from clientbase.db.engine import make_engine
from clientbase.services.demo import DemoParams, create_demo_file

TODAY = dt.date(2026, 11, 22)
SPEC_COLUMNS = [
    "manager_id",
    "manager",
    "period",
    "volume",
    "won_deals",
    "lost_deals",
    "conversion",
    "average_check",
    "new_clients",
    "retention",
    "repeat_rate",
    "plan",
    "attainment",
    "score",
    "rank",
]
SHEETS = [
    "Показатели",
    "Рейтинг",
    "План-факт",
    "Динамика",
    "Команды",
    "Сравнение",
    "Воронка",
    "Сезонность",
    "Веса",
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = Path(tmp_path_factory.mktemp("kpi_cli")) / "demo.db"
    create_demo_file(path, DemoParams(clients=300, managers=4, months=18, today=TODAY))
    # A manager whose name a spreadsheet would run as a formula.
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as s, s.begin():
        s.execute(update(t.Manager).where(t.Manager.id == 2).values(name='=HYPERLINK("x","y")'))
    engine.dispose()
    return f"sqlite:///{path}"


def _kpi(db: str, *args: str) -> list[str]:
    return ["kpi", "--db", db, "--today", TODAY.isoformat(), *args]


def test_csv_has_the_spec_columns_one_row_per_manager(db: str, tmp_path: Path) -> None:
    target = tmp_path / "kpi.csv"
    result = run_cli(*_kpi(db, "--period", "2026-Q3", "--format", "csv", "--out", str(target)))
    assert result.returncode == 0, result.stderr
    with target.open(encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert reader.fieldnames is not None and reader.fieldnames[: len(SPEC_COLUMNS)] == SPEC_COLUMNS
    assert len({r["manager_id"] for r in rows}) == len(rows) > 4
    assert {r["period"] for r in rows} == {"2026-Q3"}
    sellers = [r for r in rows if r["volume"] not in ("", "0")]
    assert sellers and all(float(r["conversion"]) <= 1 for r in sellers if r["conversion"])
    assert all(r["score"] and r["rank"] for r in sellers)
    # Empty where the data allows no value: nobody without won deals has an average check.
    assert all(r["average_check"] == "" for r in rows if r["won_deals"] == "0")
    assert any(r["manager"].startswith("'=") for r in rows)  # formula injection neutralised


def test_xlsx_opens_and_has_a_sheet_per_view(db: str, tmp_path: Path) -> None:
    target = tmp_path / "kpi.xlsx"
    result = run_cli(*_kpi(db, "--period", "2026-10", "--format", "xlsx", "--out", str(target)))
    assert result.returncode == 0, result.stderr
    book = CalamineWorkbook.from_path(str(target))
    assert book.sheet_names == SHEETS
    scorecard = book.get_sheet_by_name("Показатели").to_python()
    assert scorecard[0][: len(SPEC_COLUMNS)] == SPEC_COLUMNS
    names = [row[1] for row in scorecard[1:]]
    assert '=HYPERLINK("x","y")' in [n.lstrip("'") for n in names]
    volume = [row[3] for row in scorecard[1:]]
    assert all(isinstance(v, float) for v in volume)  # real numbers, not text
    plan = book.get_sheet_by_name("План-факт").to_python()
    assert plan[0][:4] == ["ID", "Менеджер", "План", "Факт"]
    trend = book.get_sheet_by_name("Динамика").to_python()
    assert trend[0][:2] == ["Месяц", "Компания"] and trend[-1][0] == "2026-10"
    teams = book.get_sheet_by_name("Команды").to_python()
    assert teams[-1][:2] == ["компания", "Компания"]
    compared = book.get_sheet_by_name("Сравнение").to_python()
    assert compared[0][3:6] == ["2026-10", "2026-09", "2025-10"]
    assert compared[1][:3] == ["компания", "Компания", "объём продаж"]


def test_the_file_suffix_chooses_the_format(db: str, tmp_path: Path) -> None:
    target = tmp_path / "auto.xlsx"
    result = run_cli(*_kpi(db, "--period", "2026", "--out", str(target)))
    assert result.returncode == 0, result.stderr
    assert CalamineWorkbook.from_path(str(target)).sheet_names == SHEETS


def test_table_shows_the_scorecard_and_a_manager_card_with_details(db: str) -> None:
    result = run_cli(*_kpi(db, "--period", "2026-Q3"), env={"COLUMNS": "250"})
    assert result.returncode == 0, result.stderr
    assert "KPI менеджеров за 2026-Q3" in result.stdout and "Компания" in result.stdout
    result = run_cli(*_kpi(db, "--period", "2026-Q3", "--manager", "3", "--details"))
    assert result.returncode == 0, result.stderr
    assert "Сильные стороны" in result.stdout and "Зоны роста" in result.stdout
    assert "2026-Q2" in result.stdout and "2025-Q3" in result.stdout  # the comparison columns
    assert "Выигранные сделки периода" in result.stdout
    assert "Клиенты менеджера" in result.stdout


def test_drill_writes_the_deals_behind_the_volume(db: str, tmp_path: Path) -> None:
    target = tmp_path / "deals.csv"
    result = run_cli(
        "kpi",
        "drill",
        "volume",
        "--db",
        db,
        "--period",
        "2026-Q3",
        "--manager",
        "3",
        "--out",
        str(target),
        "--today",
        TODAY.isoformat(),
    )
    assert result.returncode == 0, result.stderr
    with target.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {r["outcome"] for r in rows} == {"won"}
    assert {r["manager_id"] for r in rows} == {"3"}


def test_plan_set_changes_the_plan_in_the_scorecard(db: str, tmp_path: Path) -> None:
    result = run_cli("kpi", "plan-set", "3", "2030-01", "12345", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "создан" in result.stdout
    target = tmp_path / "plan.csv"
    result = run_cli(*_kpi(db, "--period", "2030-01", "--manager", "3", "--out", str(target)))
    assert result.returncode == 0, result.stderr
    with target.open(encoding="utf-8-sig") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["plan"] == "12345" and row["attainment"] == "0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "2026-13"), "2026-Q3"),
        (("--period", "2026-10", "--manager", "9999"), "#9999"),
        (("--period", "2026-10", "--format", "xlsx"), "--out"),
        (("--period", "2026-10", "--format", "xlsx", "--out", "x.csv"), ".xlsx"),
    ],
)
def test_bad_options_are_clear_errors_with_exit_code_1(
    db: str, args: tuple[str, ...], message: str
) -> None:
    result = run_cli(*_kpi(db, *args))
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_weights_from_a_broken_file_are_refused(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "w.json"
    bad.write_text('{"farmer": {"luck": 1}}', encoding="utf-8")
    result = run_cli("kpi", "weights", "--db", db, "--set", str(bad))
    assert result.returncode == 1 and "luck" in result.stderr
    shown = run_cli("kpi", "weights", "--db", db, env={"COLUMNS": "200"})
    assert shown.returncode == 0 and "retention" in shown.stdout
