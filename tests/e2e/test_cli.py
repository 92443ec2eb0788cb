"""The command line as a user meets it: help everywhere, clear one-line errors, lists."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import typer
from cli_helpers import run_cli

from clientbase.cli import app, main

DEMO_ARGS = ("--clients", "300", "--managers", "10", "--months", "6", "--today", "2026-11-22")


def _command_paths(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for info in group.registered_commands:
        name = info.name or (info.callback.__name__.replace("_", "-") if info.callback else "")
        paths.append((*prefix, name))
    for sub in group.registered_groups:
        assert sub.typer_instance is not None and sub.name is not None
        paths.append((*prefix, sub.name))
        paths.extend(_command_paths(sub.typer_instance, (*prefix, sub.name)))
    return paths


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = run_cli("demo", "--db", f"sqlite:///{path}", *DEMO_ARGS)
    assert result.returncode == 0, result.stderr
    return f"sqlite:///{path}"


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    paths = _command_paths(app)
    assert ("demo",) in paths and ("db", "upgrade") in paths and ("clients", "list") in paths
    assert ("serve",) in paths and ("managers", "list") in paths
    for path in [(), *paths]:
        assert main([*path, "--help"]) == 0, path
        assert "Usage" in capsys.readouterr().out, path


def test_the_installed_command_answers_help() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "demo" in result.stdout


def test_every_command_appears_in_the_docs() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    for path in _command_paths(app):
        assert f"clientbase {' '.join(path)}" in docs, path


def test_demo_then_lists_by_segment(demo_db: str) -> None:
    result = run_cli(
        "clients",
        "list",
        "--db",
        demo_db,
        "--region",
        "москва",
        "--tier",
        "VIP",
        "--format",
        "csv",
        "--limit",
        "500",
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows
    assert {r["region"] for r in rows} == {"Москва"}
    assert {r["tier"] for r in rows} == {"VIP"}


@pytest.mark.parametrize(
    ("option", "value", "column"),
    [
        ("--industry", "Образование", "industry"),
        ("--product-line", "Серверы и СХД", "product_line"),
        ("--channel", "Дилеры", "channel"),
        ("--ownership", "Государственная", "ownership"),
        ("--status", "dormant", "status"),
    ],
)
def test_clients_filter_by_every_segment_principle(
    demo_db: str, option: str, value: str, column: str
) -> None:
    result = run_cli(
        "clients", "list", "--db", demo_db, option, value, "--format", "csv", "--limit", "1000"
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and {r[column] for r in rows} == {value}


def test_managers_filter_keeps_those_allowed_to_serve_a_region(demo_db: str) -> None:
    result = run_cli(
        "managers",
        "list",
        "--db",
        demo_db,
        "--region",
        "Урал",
        "--role-group",
        "farmer",
        "--format",
        "csv",
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows
    assert all(r["regions"] == "*" or "Урал" in r["regions"].split(";") for r in rows)
    assert {r["role_group"] for r in rows} == {"farmer"}


def test_demo_refuses_to_overwrite_a_database_with_data(demo_db: str) -> None:
    result = run_cli("demo", "--db", demo_db, *DEMO_ARGS)
    assert result.returncode == 1
    assert "--replace" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_replace_rewrites_an_existing_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    assert run_cli("db", "upgrade", "--db", url).returncode == 0
    first = run_cli("demo", "--db", url, *DEMO_ARGS)
    assert first.returncode == 0, first.stderr
    again = run_cli("demo", "--db", url, "--replace", "--seed", "5", *DEMO_ARGS)
    assert again.returncode == 0, again.stderr
    listing = run_cli("clients", "list", "--db", url, "--format", "csv", "--limit", "1000")
    assert len(list(csv.DictReader(io.StringIO(listing.stdout)))) == 300


def _one_clear_line(result: object, code: int = 1) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)  # type: ignore[attr-defined]
    err = result.stderr.strip()  # type: ignore[attr-defined]
    assert "Traceback" not in err
    assert len(err.splitlines()) <= 2, err
    return str(err)


def test_an_unknown_option_value_is_one_clear_line(demo_db: str) -> None:
    err = _one_clear_line(run_cli("clients", "list", "--db", demo_db, "--tier", "Z"))
    assert "--tier" in err


def test_a_non_number_is_one_clear_line() -> None:
    err = _one_clear_line(run_cli("demo", "--clients", "many"))
    assert "--clients" in err


def test_an_unreachable_database_is_one_clear_line() -> None:
    err = _one_clear_line(
        run_cli("clients", "list", "--db", "postgresql://nobody@127.0.0.1:1/none")
    )
    assert "127.0.0.1" in err or "подключ" in err or "недоступ" in err


def test_a_missing_sqlite_file_is_one_clear_line(tmp_path: Path) -> None:
    err = _one_clear_line(run_cli("clients", "list", "--db", f"sqlite:///{tmp_path}/none.db"))
    assert "не найдена" in err
    assert not (tmp_path / "none.db").exists()


def test_a_nonsense_database_url_is_one_clear_line() -> None:
    err = _one_clear_line(run_cli("clients", "list", "--db", "mysql+nodriver://x/y"))
    assert "mysql+nodriver" in err


def test_a_database_from_a_newer_schema_is_one_clear_line(tmp_path: Path) -> None:
    import sqlite3

    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert run_cli("db", "upgrade", "--db", url).returncode == 0
    with sqlite3.connect(tmp_path / "new.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00d_future'")
    for args in (("clients", "list"), ("db", "upgrade"), ("demo", "--replace")):
        err = _one_clear_line(run_cli(*args, "--db", url))
        assert "более новой версией" in err


def test_a_file_that_is_not_a_database_is_one_clear_line(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("this is not sqlite", encoding="utf-8")
    _one_clear_line(run_cli("clients", "list", "--db", f"sqlite:///{bogus}"))


def test_the_database_url_comes_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    result = run_cli("db", "upgrade", env={"CLIENTBASE_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env.db").exists()


def test_default_database_is_clientbase_db_in_the_working_directory(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "clientbase.db").exists()
