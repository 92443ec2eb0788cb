"""`clientbase assign` end to end on files: plan, infeasible input, bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from clientbase.cli_assign import assign

MANAGERS = """manager_id,name,role_group,grade,capacity,regions,tiers
M1,Анна,farmer,4,3,Москва;Казань,*
M2,Борис,farmer,2,3,Москва,A;B;C
HEAD,Вера,head,5,1,Москва,*
H1,Глеб,hunter,3,10,*,*
"""

CLIENTS = """client_id,name,region,tier,potential,revenue_12m,owner_id,locked
C1,Альфа,Москва,VIP,900,500,M1,false
C2,Бета,Москва,A,300,200,M2,false
C3,Гамма,Казань,B,200,100,,false
C4,Дельта,Москва,C,100,0,M2,true
C5,Эпсилон,Москва,B,250,50,,false
"""


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(assign)
    return app


def _run(
    tmp_path: Path,
    *extra: str,
    clients: str = CLIENTS,
    managers: str = MANAGERS,
    encoding: str = "utf-8",
) -> tuple[int, str, str, Path, Path]:
    (tmp_path / "clients.csv").write_text(clients, encoding=encoding)
    (tmp_path / "managers.csv").write_text(managers, encoding=encoding)
    out = tmp_path / "plan.csv"
    summary = tmp_path / "summary.json"
    result = CliRunner().invoke(
        _app(),
        [
            "--clients",
            str(tmp_path / "clients.csv"),
            "--managers",
            str(tmp_path / "managers.csv"),
            "--out",
            str(out),
            "--summary",
            str(summary),
            "--time-limit",
            "2",
            *extra,
        ],
    )
    return result.exit_code, result.stdout, result.stderr, out, summary


def _plan(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return {row["client_id"]: row for row in csv.DictReader(handle)}


def test_assign_writes_a_plan_and_a_summary(tmp_path: Path) -> None:
    code, stdout, _, out, summary_path = _run(tmp_path)

    assert code == 0, stdout
    plan = _plan(out)
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert set(plan) == {"C1", "C2", "C3", "C4", "C5"}
    assert plan["C4"]["manager_id"] == "M2"  # locked
    assert plan["C3"]["manager_id"] == "M1"  # only M1 serves Kazan
    assert plan["C1"]["manager_id"] in {"M1", "HEAD"}  # VIP needs grade 4 or the head
    assert all(row["manager_id"] != "H1" for row in plan.values())  # hunters apart
    assert all(row["reason"] for row in plan.values())
    assert summary["status"] in ("optimal", "feasible")
    for key in ("objective", "lower_bound", "gap", "moves", "unassigned", "solve_seconds"):
        assert key in summary
    assert set(summary["managers"]["M1"]) >= {"clients", "hours", "potential", "capacity"}
    assert summary["unassigned"] == 0


def test_same_files_and_seed_give_the_same_plan(tmp_path: Path) -> None:
    _, _, _, out, _ = _run(tmp_path, "--seed", "7")
    first = out.read_text(encoding="utf-8")
    _, _, _, out, _ = _run(tmp_path, "--seed", "7")

    assert out.read_text(encoding="utf-8") == first


def test_semicolons_and_cp1251_from_russian_excel_are_read(tmp_path: Path) -> None:
    clients = CLIENTS.replace(",", ";").replace("Москва;Казань", "Москва,Казань")
    managers = MANAGERS.replace(",", ";").replace("Москва;Казань", "Москва,Казань")
    managers = managers.replace("Москва,Казань", '"Москва;Казань"')
    managers = managers.replace("A;B;C", '"A;B;C"')

    code, stdout, stderr, out, _ = _run(
        tmp_path, clients=clients, managers=managers, encoding="cp1251"
    )

    assert code == 0, stdout + stderr
    assert _plan(out)["C3"]["manager_id"] == "M1"


def test_utf8_with_bom_is_read(tmp_path: Path) -> None:
    code, _, _, out, _ = _run(tmp_path, clients="\ufeff" + CLIENTS)

    assert code == 0
    assert "C1" in _plan(out)


def test_bad_number_is_reported_with_file_row_and_column(tmp_path: Path) -> None:
    clients = CLIENTS.replace("C3,Гамма,Казань,B,200", "C3,Гамма,Казань,B,много")

    code, stdout, stderr, _, _ = _run(tmp_path, clients=clients)

    assert code == 1
    assert "clients.csv" in stderr
    assert "строка 4" in stderr
    assert "potential" in stderr
    assert "Traceback" not in stdout + stderr


def test_missing_required_column_is_bad_input(tmp_path: Path) -> None:
    code, _, stderr, _, _ = _run(tmp_path, managers="name,capacity\nАнна,3\n")

    assert code == 1
    assert "manager_id" in stderr and "строка 1" in stderr


def test_unknown_owner_is_bad_input(tmp_path: Path) -> None:
    code, _, stderr, _, _ = _run(tmp_path, clients=CLIENTS.replace(",M1,false", ",M9,false"))

    assert code == 1
    assert "строка 2" in stderr and "owner_id" in stderr


def test_infeasible_input_exits_2_with_diagnosis_and_a_partial_plan(tmp_path: Path) -> None:
    clients = CLIENTS + "C6,Жета,Сочи,C,50,0,,false\n"

    code, _, stderr, out, summary_path = _run(tmp_path, clients=clients)

    assert code == 2
    assert "Сочи" in stderr
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert summary["status"] == "infeasible"
    assert summary["partial"] is True
    assert summary["unassigned"] == 1
    assert summary["diagnosis"]["unplaced"][0]["client_id"] == "C6"
    assert _plan(out)["C6"]["manager_id"] == ""
    assert _plan(out)["C1"]["manager_id"] != ""


def test_english_reasons_on_request(tmp_path: Path) -> None:
    code, _, _, out, _ = _run(tmp_path, "--lang", "en")

    assert code == 0
    reasons = " ".join(row["reason"] for row in _plan(out).values())
    assert "eligible" in reasons or "locked" in reasons


def test_baseline_strategy_reports_its_capacity_violations(tmp_path: Path) -> None:
    managers = MANAGERS.replace("M2,Борис,farmer,2,3", "M2,Борис,farmer,2,1")

    code, stdout, stderr, _, summary_path = _run(
        tmp_path, "--strategy", "round-robin", managers=managers
    )

    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert code == 0, stdout + stderr
    assert summary["strategy"] == "round-robin"
    assert summary["violations"] >= 1
    assert "capacity_clients" in stderr


def test_max_moves_zero_keeps_every_owner(tmp_path: Path) -> None:
    code, _, _, out, summary_path = _run(tmp_path, "--max-moves", "0")

    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert code == 0
    assert summary["moves"] == 0
    plan = _plan(out)
    assert plan["C1"]["manager_id"] == "M1" and plan["C2"]["manager_id"] == "M2"


def test_demo_company_export_gets_a_feasible_plan_with_russian_reasons(tmp_path: Path) -> None:
    from clientbase.cli import app
    from clientbase.services.demo import DemoParams, create_demo_file

    db = tmp_path / "demo.db"
    create_demo_file(db, DemoParams())
    url = f"sqlite:///{db}"
    runner = CliRunner()
    for entity in ("clients", "managers"):
        result = runner.invoke(
            app, ["export", entity, "--db", url, "--out", str(tmp_path / f"{entity}.csv")]
        )
        assert result.exit_code == 0, result.output
    out = tmp_path / "plan.csv"
    summary_path = tmp_path / "summary.json"
    result = runner.invoke(
        app,
        [
            "assign",
            "--clients",
            str(tmp_path / "clients.csv"),
            "--managers",
            str(tmp_path / "managers.csv"),
            "--out",
            str(out),
            "--summary",
            str(summary_path),
            "--time-limit",
            "20",
        ],
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert summary["status"] in ("optimal", "feasible")
    assert summary["unassigned"] == 0
    with (tmp_path / "clients.csv").open(encoding="utf-8-sig") as handle:
        statuses = {row["client_id"]: row["status"] for row in csv.DictReader(handle)}
    plan = _plan(out)
    for client_id, status in statuses.items():
        reason = plan[client_id]["reason"]
        assert any("а" <= ch <= "я" for ch in reason.casefold()), reason
        if status in ("active", "dormant"):
            assert plan[client_id]["manager_id"] != ""
        else:
            assert reason.startswith("не распределяется")


def test_missing_capacity_is_derived_from_the_drivers_in_the_file(tmp_path: Path) -> None:
    managers = (
        "manager_id,name,role_group,grade,complexity,regions\n"
        "M1,Анна,farmer,5,,*\n"
        "M2,Борис,farmer,3,5,*\n"
        "HEAD,Вера,head,3,,*\n"
    )

    code, _, _, _, summary_path = _run(tmp_path, managers=managers)

    assert code == 0
    capacities = {
        m: row["capacity"]
        for m, row in json.loads(summary_path.read_text(encoding="utf-8"))["managers"].items()
    }
    # base 40 × experience 1.2; base 40 × complexity 0.8; the head's base 15.
    assert capacities == {"M1": 48, "M2": 32, "HEAD": 15}


def _as_xlsx(text: str, path: Path) -> None:
    """The CSV text as a workbook, numbers stored as numbers (as Excel saves them)."""
    from clientbase.io.writers import write_xlsx

    rows = list(csv.reader(text.splitlines()))

    def cell(value: str) -> object:
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value

    write_xlsx(path, rows[0], [[cell(v) for v in row] for row in rows[1:]])


def test_the_same_files_as_xlsx_give_the_same_plan(tmp_path: Path) -> None:
    code, _, stderr, out, _ = _run(tmp_path)
    assert code == 0, stderr
    from_csv = _plan(out)
    folder = tmp_path / "xlsx"
    folder.mkdir()
    _as_xlsx(CLIENTS, folder / "clients.xlsx")
    _as_xlsx(MANAGERS, folder / "managers.xlsx")
    result = CliRunner().invoke(
        _app(),
        [
            "--clients",
            str(folder / "clients.xlsx"),
            "--managers",
            str(folder / "managers.xlsx"),
            "--out",
            str(folder / "plan.csv"),
            "--time-limit",
            "2",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert _plan(folder / "plan.csv") == from_csv
