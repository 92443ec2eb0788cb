"""`clientbase team|route|manager leave|rules|handoff` run as a user would, on the demo."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from cli_helpers import run_cli

from clientbase.cli import main
from clientbase.services.demo import DemoParams, create_demo_file

TODAY = dt.date(2026, 11, 22)
DAY = ("--today", TODAY.isoformat())


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company, generated once for the module."""
    path = Path(tmp_path_factory.mktemp("teams_cli")) / "demo.db"
    create_demo_file(path, DemoParams(clients=300, months=6, today=TODAY))
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> tuple[str, Path]:
    """A fresh copy of the demo for each test (the commands change it)."""
    path = tmp_path / "demo.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}", path


def _one(path: Path, sql: str, *args: object) -> object:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchone()[0]


@pytest.mark.parametrize(
    "command",
    [
        ["team"],
        ["team", "show"],
        ["team", "set"],
        ["team", "unset"],
        ["route"],
        ["route", "fairness"],
        ["route", "strategy"],
        ["manager", "leave"],
        ["managers", "leave"],
        ["rules"],
        ["rules", "list"],
        ["rules", "import"],
        ["rules", "export"],
        ["rules", "set"],
        ["rules", "delete"],
        ["rules", "needs"],
        ["handoff"],
    ],
)
def test_every_roles_command_has_help(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--help"]) == 0
    assert "Usage" in capsys.readouterr().out


def test_team_show_and_a_refused_hunter_as_account_manager(db: tuple[str, Path]) -> None:
    url, path = db
    client = _one(path, "select client_id from responsibilities where role='account' limit 1")
    hunter = _one(path, "select id from managers where role_group='hunter' limit 1")
    shown = run_cli("team", "show", str(client), "--db", url)
    assert shown.returncode == 0, shown.stderr
    assert "Нужные роли" in shown.stdout and "account" in shown.stdout

    refused = run_cli("team", "set", str(client), "account", str(hunter), "--db", url)

    assert refused.returncode == 1
    assert "охотники и фермеры врозь" in refused.stderr and "Traceback" not in refused.stderr


def test_team_set_moves_a_client_to_another_farmer(db: tuple[str, Path]) -> None:
    url, path = db
    client, owner = 0, 0
    with sqlite3.connect(path) as conn:
        client, owner = conn.execute(
            "select r.client_id, r.manager_id from responsibilities r join managers m "
            "on m.id = r.manager_id where r.role='account' and r.until is null "
            "and m.team='Дилеры' limit 1"
        ).fetchone()
        other = conn.execute(
            "select id from managers where team='Дилеры' and id != ? limit 1", (owner,)
        ).fetchone()[0]
    result = run_cli("team", "set", str(client), "account", str(other), "--db", url, *DAY)
    assert result.returncode == 0, result.stderr
    assert "→" in result.stdout
    assert (
        _one(
            path,
            "select manager_id from responsibilities where client_id=? and role='account' "
            "and until is null",
            client,
        )
        == other
    )


def test_handoff_runs_once_over_the_demo(db: tuple[str, Path]) -> None:
    url, _ = db
    first = run_cli("handoff", "--db", url, *DAY)
    assert first.returncode == 0, first.stderr
    assert "Передано:" in first.stdout and "Передано: 0" not in first.stdout
    second = run_cli("handoff", "--db", url, *DAY)
    assert second.returncode == 0 and "Передано: 0" in second.stdout


def test_route_a_leads_file_and_report_fairness(db: tuple[str, Path], tmp_path: Path) -> None:
    url, path = db
    hunter = _one(path, "select id from managers where role_group='hunter' order by id desc")
    # Give one hunter room and the whole country so that every lead has somewhere to go.
    with sqlite3.connect(path) as conn:
        conn.execute("update managers set regions='*', capacity_override=500 where id=?", (hunter,))
        conn.execute("delete from absences where manager_id=?", (hunter,))
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "client_id,name,region,tier,potential\nN1,ООО «Новый»,Москва,B,1000\n"
        "N2,АО «Другой»,Урал,C,10\n",
        encoding="utf-8",
    )
    dry = run_cli("route", "--file", str(leads), "--dry-run", "--db", url, *DAY)
    assert dry.returncode == 0, dry.stderr
    assert _one(path, "select count(*) from clients where external_id='N1'") == 0

    result = run_cli("route", "--file", str(leads), "--db", url, *DAY)

    assert result.returncode == 0, result.stderr
    assert "Новых клиентов: 2" in result.stdout
    assert _one(path, "select count(*) from clients where external_id in ('N1','N2')") == 2
    fairness = run_cli("route", "fairness", "--since", TODAY.isoformat(), "--db", url)
    assert fairness.returncode == 0, fairness.stderr
    assert "Наибольшее отклонение" in fairness.stdout


def test_a_bad_leads_file_is_exit_1_with_row_and_column(
    db: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = db
    leads = tmp_path / "bad.csv"
    leads.write_text("name,tier\nАльфа,Z\n", encoding="utf-8")
    result = run_cli("route", "--file", str(leads), "--db", url)
    assert result.returncode == 1
    assert "строка 2" in result.stderr and "tier" in result.stderr


def test_manager_leave_previews_then_applies_and_reconciles_open_work(db: tuple[str, Path]) -> None:
    url, path = db
    leaving = _one(
        path,
        "select r.manager_id from responsibilities r join managers m on m.id=r.manager_id "
        "where r.until is null and m.team='Дилеры' group by r.manager_id "
        "order by count(*) desc limit 1",
    )
    total = "select count(*) from deals where outcome='open'"
    before = _one(path, total)
    preview = run_cli("manager", "leave", str(leaving), "--db", url, *DAY)
    assert preview.returncode == 0, preview.stderr
    assert "--apply" in preview.stdout
    assert _one(path, "select active from managers where id=?", leaving) == 1

    applied = run_cli("managers", "leave", str(leaving), "--apply", "--db", url, *DAY)

    assert applied.returncode == 0, applied.stderr
    assert _one(path, "select active from managers where id=?", leaving) == 0
    assert _one(path, total) == before
    assert (
        _one(path, "select count(*) from deals where outcome='open' and manager_id=?", leaving) == 0
    )
    assert (
        _one(
            path,
            "select count(*) from responsibilities where manager_id=? and until is null",
            leaving,
        )
        == 0
    )


def test_rules_import_list_export_round_trip(db: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = db
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps(
            {
                "rules": [
                    {
                        "name": "VIP ведёт руководитель",
                        "priority": 5,
                        "role": "account",
                        "condition": {"tier": ["VIP"]},
                        "target": {"group": "head"},
                    },
                    {
                        "name": "Промышленным — сервис",
                        "role": "service",
                        "condition": "industry=Промышленность",
                        "target": "group:service",
                    },
                ]
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    imported = run_cli("rules", "import", str(rules), "--db", url)
    assert imported.returncode == 0, imported.stderr
    assert "новых 2" in imported.stdout
    listed = run_cli("rules", "list", "--db", url)
    assert "VIP ведёт руководитель" in listed.stdout and "tier=VIP" in listed.stdout
    exported = tmp_path / "rules.toml"
    assert run_cli("rules", "export", str(exported), "--db", url).returncode == 0
    again = run_cli("rules", "import", str(exported), "--db", url)
    assert "без изменений 2" in again.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("name,role,target\nx,account,group:hunter\n", encoding="utf-8")
    refused = run_cli("rules", "import", str(bad), "--db", url)
    assert refused.returncode == 1 and "строка 2" in refused.stderr
