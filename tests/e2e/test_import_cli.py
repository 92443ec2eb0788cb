"""`clientbase import` / `export` through Typer, as a user types them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import typer
from cli_helpers import run_cli
from typer.testing import CliRunner

from clientbase.cli_io import export, import_

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    application.command("import")(import_)
    application.command("export")(export)
    return application


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cli.db"


def test_import_prints_a_summary_and_a_second_run_changes_nothing(
    app: typer.Typer, db: str
) -> None:
    runner = CliRunner()
    args = ["import", "managers", str(EXAMPLES / "generic/managers.csv"), "--db", db]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Добавлено" in first.stdout and "4" in first.stdout
    second = runner.invoke(app, args)
    assert "Без изменений" in second.stdout
    assert "Загрузка №2" in second.stdout


def test_errors_go_to_stderr_with_file_row_and_column_and_exit_1(
    app: typer.Typer, db: str, tmp_path: Path
) -> None:
    bad = tmp_path / "deals.csv"
    bad.write_text("deal_id;client;amount;created\nD1;Нет такого;-5;2026-01-01\n", encoding="utf-8")
    errors = tmp_path / "errors.csv"
    result = CliRunner().invoke(
        app, ["import", "deals", str(bad), "--db", db, "--errors", str(errors)]
    )
    assert result.exit_code == 1
    assert "deals.csv:2:client: клиент не найден" in result.stderr
    assert "deals.csv:2:amount:" in result.stderr
    assert "ничего не записано" in result.stderr
    assert errors.read_text(encoding="utf-8-sig").count("\n") == 3


def test_dry_run_and_export_round_trip_through_the_cli(
    app: typer.Typer, db: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    managers = str(EXAMPLES / "generic/managers.csv")
    dry = runner.invoke(app, ["import", "managers", managers, "--db", db, "--dry-run"])
    assert dry.exit_code == 0 and "ничего не записано" in dry.stdout
    runner.invoke(app, ["import", "managers", managers, "--db", db])
    out = tmp_path / "managers.xlsx"
    exported = runner.invoke(
        app, ["export", "managers", "--db", db, "--format", "xlsx", "--out", str(out)]
    )
    assert exported.exit_code == 0 and "Выгружено строк: 4" in exported.stdout
    again = runner.invoke(app, ["import", "managers", str(out), "--db", db])
    assert again.exit_code == 0


def test_a_bitrix24_mapping_file_is_applied(app: typer.Typer, db: str, tmp_path: Path) -> None:
    mapping = tmp_path / "map.json"
    mapping.write_text(
        '{"Комментарий": null, "Дата создания": null, "stage_outcomes": {"Новая": "open"}}',
        encoding="utf-8",
    )
    runner = CliRunner()
    runner.invoke(app, ["import", "managers", str(EXAMPLES / "generic/managers.csv"), "--db", db])
    result = runner.invoke(
        app,
        ["import", "clients", str(EXAMPLES / "bitrix24/companies.csv"), "--db", db,
         "--source", "bitrix24", "--mapping", str(mapping)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Предупреждение" not in result.stderr


def test_a_large_file_imports_with_a_progress_bar_and_the_usual_summary(
    app: typer.Typer, db: str, tmp_path: Path
) -> None:
    path = tmp_path / "clients.csv"
    lines = ["client_id,name"] + [f"C{i},Клиент {i}" for i in range(2500)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "clients", str(path), "--db", db])
    assert result.exit_code == 0, result.output
    assert "Добавлено" in result.stdout and "2500" in result.stdout


def test_an_import_into_a_locked_database_exits_3_and_asks_to_repeat(tmp_path: Path) -> None:
    db_file = tmp_path / "locked.db"
    url = f"sqlite:///{db_file}"
    managers = str(EXAMPLES / "generic/managers.csv")
    assert run_cli("import", "managers", managers, "--db", url).returncode == 0
    holder = sqlite3.connect(db_file, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        result = run_cli(
            "import", "managers", managers, "--db", url,
            env={"CLIENTBASE_SQLITE_BUSY_TIMEOUT_MS": "100"},
        )  # fmt: skip
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 3, result.stderr
    assert "повторите" in result.stderr
