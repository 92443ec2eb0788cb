"""`clientbase bonus …` run as a user would: statement, credit, what-if, schemes, split."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from cli_helpers import run_cli
from python_calamine import CalamineWorkbook
from sqlalchemy import update
from sqlalchemy.orm import Session

from clientbase.db import tables as t
from clientbase.db.engine import make_engine
from clientbase.io.bonus_xlsx import LINE_COLUMNS
from clientbase.services.demo import DemoParams, create_demo_file

TODAY = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = Path(tmp_path_factory.mktemp("bonus_cli")) / "demo.db"
    create_demo_file(path, DemoParams(clients=300, managers=4, months=18, today=TODAY))
    # A manager whose name a spreadsheet would run as a formula.
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as s, s.begin():
        s.execute(update(t.Manager).where(t.Manager.id == 2).values(name='=HYPERLINK("x","y")'))
        # …and one whose name Rich would take for markup.
        s.execute(update(t.Manager).where(t.Manager.id == 3).values(name="[red]Ред[/red]"))
    engine.dispose()
    return f"sqlite:///{path}"


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_statement_prints_a_table_with_totals(db: str) -> None:
    result = run_cli("bonus", "statement", "--period", "2026-10", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "Бонусная ведомость за 2026-10" in result.stdout
    assert "Итого" in result.stdout and "Выигранные сделки компании" in result.stdout
    one = run_cli("bonus", "statement", "--period", "2026-10", "--manager", "3", "--db", db)
    assert one.returncode == 0, one.stderr
    assert "Оклад" in one.stdout and "% от зачтённого объёма" in one.stdout
    assert "[red]Ред[/red] (#3" in one.stdout  # printed as written, not as markup


def test_credited_shares_sum_to_the_volume_of_the_kpi_export(db: str, tmp_path: Path) -> None:
    kpi = tmp_path / "kpi.csv"
    shares = tmp_path / "credit.csv"
    assert run_cli("kpi", "--period", "2026-10", "--out", str(kpi), "--db", db).returncode == 0
    result = run_cli("bonus", "credit", "--period", "2026-10", "--out", str(shares), "--db", db)
    assert result.returncode == 0, result.stderr
    kpi_volume = sum(float(r["volume"] or 0) for r in _csv(kpi.read_text(encoding="utf-8")))
    credit_rows = _csv(shares.read_text(encoding="utf-8"))
    credited = sum(float(r["credited"]) for r in credit_rows)
    assert kpi_volume > 0 and round(credited, 2) == round(kpi_volume, 2)
    # Every deal's shares add up to the deal.
    by_deal: dict[str, float] = {}
    amount: dict[str, float] = {}
    for r in credit_rows:
        by_deal[r["deal_id"]] = by_deal.get(r["deal_id"], 0.0) + float(r["credited"])
        amount[r["deal_id"]] = float(r["amount"])
    assert all(round(by_deal[d], 2) == amount[d] for d in by_deal)


def test_the_statement_csv_has_a_line_per_number_and_a_total_per_manager(db: str) -> None:
    result = run_cli("bonus", "statement", "--period", "2026-10", "--format", "csv", "--db", db)
    assert result.returncode == 0, result.stderr
    rows = _csv(result.stdout)
    assert list(rows[0]) == [key for key, _, _ in LINE_COLUMNS]
    totals = [r for r in rows if r["code"] == "total"]
    lines = [r for r in rows if r["code"] != "total"]
    assert totals and {r["code"] for r in lines} >= {"salary", "volume"}
    for total in totals:
        mine = [float(r["amount"]) for r in lines if r["manager_id"] == total["manager_id"]]
        assert round(sum(mine), 2) == float(total["amount"])


def test_the_statement_workbook_has_its_sheets_and_no_formula(db: str, tmp_path: Path) -> None:
    path = tmp_path / "bonus.xlsx"
    result = run_cli(
        "bonus",
        "statement",
        "--period",
        "2026-10",
        "--format",
        "xlsx",
        "--out",
        str(path),
        "--db",
        db,
    )
    assert result.returncode == 0, result.stderr
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["Итоги", "Ведомость", "Зачёт сделок", "Сверка"]
    summary = book.get_sheet_by_name("Итоги").to_python()
    names = [row[1] for row in summary[1:]]
    assert '\'=HYPERLINK("x","y")' in names
    check = dict((row[0], row[1]) for row in book.get_sheet_by_name("Сверка").to_python())
    assert check["Выигранные сделки компании за период"] == check["Зачтено менеджерам"]


def test_what_if_compares_a_scheme_file_with_the_schemes_in_force(db: str, tmp_path: Path) -> None:
    scheme = tmp_path / "flat.toml"
    scheme.write_text(
        '[[schemes]]\nname = "Плоская"\nrole_group = "farmer"\nsalary = 65000\n'
        "volume_steps = [{from = 0, rate = 1.5}]\n",
        encoding="utf-8",
    )
    result = run_cli("bonus", "what-if", "--scheme", str(scheme), "--period", "2026-Q3", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "Плоская" in result.stdout and "Разница" in result.stdout
    out = run_cli(
        "bonus",
        "what-if",
        "--scheme",
        str(scheme),
        "--period",
        "2026-Q3",
        "--format",
        "csv",
        "--db",
        db,
    )
    rows = _csv(out.stdout)
    assert rows and all(
        round(float(r["proposed"]) - float(r["current"]), 2) == float(r["difference"]) for r in rows
    )


def test_schemes_and_split_are_imported_shown_and_refused_when_wrong(
    db: str, tmp_path: Path
) -> None:
    shown = run_cli("bonus", "schemes", "show", "--json", "--db", db)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    data["schemes"][0]["salary"] = 51000
    good = tmp_path / "schemes.json"
    good.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    imported = run_cli("bonus", "schemes", "import", str(good), "--db", db)
    assert imported.returncode == 0, imported.stderr
    assert "сохранённые" in run_cli("bonus", "schemes", "show", "--db", db).stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"schemes": [{"role_group": "boss"}]}', encoding="utf-8")
    refused = run_cli("bonus", "schemes", "import", str(bad), "--db", db)
    assert refused.returncode == 1 and "role_group" in refused.stderr
    assert "Traceback" not in refused.stderr

    split = tmp_path / "split.json"
    split.write_text(
        json.dumps(
            {
                "rules": [
                    {
                        "name": "VIP",
                        "when": {"tier": "VIP"},
                        "shares": {"account": 60, "service": 40},
                    },
                    {"name": "все", "shares": {"account": 80, "service": 20}},
                ]
            }
        ),
        encoding="utf-8",
    )
    assert run_cli("bonus", "split", "import", str(split), "--db", db).returncode == 0
    again = json.loads(run_cli("bonus", "split", "show", "--json", "--db", db).stdout)
    assert again["rules"][1]["shares"] == {"account": 80, "service": 20}
    split.write_text(json.dumps({"rules": [{"shares": {"account": 80}}]}), encoding="utf-8")
    wrong = run_cli("bonus", "split", "import", str(split), "--db", db)
    assert wrong.returncode == 1 and "ровно 100" in wrong.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("bonus", "statement", "--period", "2026-13"), "Период"),
        (("bonus", "statement", "--period", "2026-10", "--manager", "999"), "#999"),
        (("bonus", "statement", "--period", "2026-10", "--format", "xlsx"), "--out"),
        (("bonus", "what-if", "--scheme", "nope.json", "--period", "2026-Q3"), "nope.json"),
    ],
)
def test_bad_input_exits_with_one_and_a_message(
    db: str, args: tuple[str, ...], message: str
) -> None:
    result = run_cli(*args, "--db", db)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
