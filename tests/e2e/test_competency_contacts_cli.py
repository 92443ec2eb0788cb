"""The competency and contacts commands as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_cli


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cc')}/demo.db"
    done = run_cli("demo", "--db", url, "--clients", "120", "--months", "2")
    assert done.returncode == 0, done.stderr
    return url


def test_an_assessment_is_recorded_shown_and_exported(db: str, tmp_path: Path) -> None:
    done = run_cli("competency", "assess", "3", "needs=5", "product=2", "--db", db)
    assert done.returncode == 0, done.stderr
    shown = run_cli("competency", "show", "3", "--db", db)
    assert "Знание продукта" in shown.stdout and "зоны роста" in shown.stdout
    for suffix in ("csv", "xlsx"):
        out = tmp_path / f"matrix.{suffix}"
        done = run_cli("competency", "matrix", "--out", str(out), "--db", db)
        assert done.returncode == 0 and out.stat().st_size > 0, done.stderr
    out = tmp_path / "scores.txt"
    assert run_cli("competency", "export", "--out", str(out), "--db", db).returncode == 0
    again = run_cli("competency", "import", str(out), "--dry-run", "--db", db)
    assert again.returncode == 0 and "изменено: 0" in again.stdout, again.stdout


def test_bad_input_is_one_line_and_exit_code_one(db: str) -> None:
    for args in (
        ["competency", "assess", "3", "needs=9"],
        ["competency", "assess", "3", "needs"],
        ["competency", "assess", "99999", "needs=3"],
        ["contacts", "add", "1", "--name", "Иванов", "--email", "nope"],
        ["contacts", "list", "99999"],
    ):
        done = run_cli(*args, "--db", db)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr and "Ошибка" in done.stderr


def test_contacts_are_added_listed_and_exported(db: str, tmp_path: Path) -> None:
    done = run_cli(
        "contacts", "add", "1", "--name", "Сидоров Олег", "--role", "ЛПР",
        "--phone", "8 (495) 123-45-67", "--primary", "--db", db,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = run_cli("contacts", "list", "1", "--db", db)
    assert "Сидоров Олег" in listed.stdout and "+74951234567" in listed.stdout
    out = tmp_path / "contacts.xlsx"
    assert run_cli("contacts", "export", "--out", str(out), "--db", db).returncode == 0
    again = run_cli("contacts", "import", str(out), "--db", db)
    assert again.returncode == 0 and "добавлено 0, изменено 0" in again.stdout, again.stdout
