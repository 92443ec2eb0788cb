"""Import service on SQLite and PostgreSQL: all-or-nothing (R1), dry run (R2), idempotency (R3)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from clientbase.db import import_tables
from clientbase.db.tables import (
    Activity,
    ChangeHistory,
    Client,
    ColleagueFeedback,
    Deal,
    ImportBatch,
    Manager,
    PlanTarget,
    Responsibility,
    Survey,
)
from clientbase.services.importing import (
    ImportMapping,
    import_file,
    inn_is_valid,
    write_errors,
)

EXAMPLES = Path(__file__).parents[2] / "examples"
TABLES = [Manager, Client, Deal, Responsibility, ImportBatch, ChangeHistory,
          import_tables.ColumnMapping, import_tables.ManagerAlias]  # fmt: skip


def _csv(path: Path, rows: list[list[object]], *, delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def _snapshot(engine: Engine) -> dict[str, tuple[int, int | None]]:
    with Session(engine) as session:
        return {
            t.__tablename__: (
                session.scalar(select(func.count()).select_from(t)) or 0,
                session.scalar(select(func.max(t.id))),
            )
            for t in TABLES
        }


def _inn(n: int) -> str:
    """The n-th valid 10-digit company tax id of a test series."""
    base = f"77{n:07d}"
    return next(base + str(d) for d in range(10) if inn_is_valid(base + str(d)))


def _managers(engine: Engine, tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "managers.csv",
        [
            ["manager_id", "name", "email", "role_group", "grade"],
            ["M1", "Иван Петров", "ivan@example.ru", "farmer", "3"],
            ["M2", "Ольга Смирнова", "olga@example.ru", "hunter", "2"],
        ],
    )
    report = import_file(engine=engine, entity="managers", path=path)
    assert report.ok and report.inserted == 2


def _clients_file(tmp_path: Path, *, bad: bool) -> Path:
    rows: list[list[object]] = [["ID", "Наименование", "ИНН", "Потенциал", "Ответственный"]]
    for i in range(1, 1003):
        rows.append([f"C{i}", f"Клиент {i}", _inn(i), f"{i * 1000},50", "ivan@example.ru"])
    if bad:
        rows[101][2] = "7707083890"  # row 102 in Excel: wrong check digit
        rows[501][4] = "nobody@example.ru"  # row 502: unknown manager
        rows[1001][3] = "-5"  # row 1002: negative potential
    return _csv(tmp_path / ("bad.csv" if bad else "good.csv"), rows, delimiter=";")


def test_a_file_with_three_bad_rows_writes_nothing_and_names_every_error(
    engine: Engine, tmp_path: Path
) -> None:
    _managers(engine, tmp_path)
    before = _snapshot(engine)
    report = import_file(engine=engine, entity="clients", path=_clients_file(tmp_path, bad=True))
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [
        (102, "ИНН"),
        (502, "Ответственный"),
        (1002, "Потенциал"),
    ]
    assert "ИНН" in report.errors[0].message
    assert "nobody@example.ru" in report.errors[1].line()
    assert _snapshot(engine) == before
    errors_csv = tmp_path / "errors.csv"
    write_errors(report, errors_csv)
    lines = errors_csv.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "file,row,column,value,message" and len(lines) == 4


def test_a_dry_run_gives_the_same_report_and_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    _managers(engine, tmp_path)
    path = _clients_file(tmp_path, bad=False)
    before = _snapshot(engine)
    dry = import_file(engine=engine, entity="clients", path=path, dry_run=True)
    assert _snapshot(engine) == before
    real = import_file(engine=engine, entity="clients", path=path)
    assert (dry.inserted, dry.updated, dry.unchanged, dry.errors, dry.warnings) == (
        real.inserted, real.updated, real.unchanged, real.errors, real.warnings
    )  # fmt: skip
    assert real.inserted == 1002
    bad = import_file(
        engine=engine, entity="clients", path=_clients_file(tmp_path, bad=True), dry_run=True
    )
    assert len(bad.errors) == 3


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    engine: Engine, tmp_path: Path
) -> None:
    _managers(engine, tmp_path)
    path = _clients_file(tmp_path, bad=False)
    first = import_file(engine=engine, entity="clients", path=path)
    after_first = _snapshot(engine)
    second = import_file(engine=engine, entity="clients", path=path)
    assert (first.inserted, first.updated) == (1002, 0)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 1002)
    counts = {k: v[0] for k, v in _snapshot(engine).items() if k != "import_batches"}
    assert counts == {k: v[0] for k, v in after_first.items() if k != "import_batches"}
    with Session(engine) as session:
        owners = session.scalar(select(func.count()).select_from(Responsibility))
        assert owners == 1002


def test_a_changed_row_is_an_update_and_a_new_owner_closes_the_old_one(
    engine: Engine, tmp_path: Path
) -> None:
    _managers(engine, tmp_path)
    header = ["client_id", "name", "region", "owner_id"]
    import_file(
        engine=engine,
        entity="clients",
        path=_csv(tmp_path / "a.csv", [header, ["C1", "А", "Москва", "M1"], ["C2", "Б", "", ""]]),
    )
    report = import_file(
        engine=engine,
        entity="clients",
        path=_csv(tmp_path / "b.csv", [header, ["C1", "А", "Тверь", "M2"], ["C2", "Б", "", ""]]),
    )
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    with Session(engine) as session:
        client = session.scalars(select(Client).where(Client.external_id == "C1")).one()
        assert client.region == "Тверь"
        rows = session.scalars(select(Responsibility).order_by(Responsibility.id)).all()
        assert [(r.manager_id, r.until is None) for r in rows] == [(1, False), (2, True)]
        history = session.scalars(select(ChangeHistory)).all()
        assert [h.new_value for h in history] == ["1", "2"]
        assert history[-1].reason.startswith("импорт #")


def test_a_user_mapping_is_remembered_for_the_next_file_of_the_same_source(
    engine: Engine, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "c.csv", [["Код 1С", "Контрагент", "Примечание"], ["7", "А", "x"]])
    mapping = ImportMapping({"Код 1С": "client_id", "Примечание": None})
    first = import_file(engine=engine, entity="clients", path=path, mapping=mapping)
    assert first.ok and first.warnings == []
    second = import_file(engine=engine, entity="clients", path=path)
    assert second.warnings == [] and second.unchanged == 1
    with Session(engine) as session:
        assert session.scalars(select(Client.external_id)).all() == ["7"]


def test_a_file_without_an_id_column_uses_the_name_as_external_id(
    engine: Engine, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "c.csv", [["Название", "Регион"], ["ООО Ромашка", "Москва"]])
    import_file(engine=engine, entity="clients", path=path)
    again = import_file(engine=engine, entity="clients", path=path)
    assert again.unchanged == 1
    with Session(engine) as session:
        assert session.scalars(select(Client.external_id)).all() == ["ООО Ромашка"]


def test_a_missing_required_column_is_an_error_naming_the_field(
    engine: Engine, tmp_path: Path
) -> None:
    report = import_file(
        engine=engine, entity="deals", path=_csv(tmp_path / "d.csv", [["Сумма"], ["1"]])
    )
    assert {e.column for e in report.errors} == {"client", "created"}


def test_deals_activities_plans_surveys_and_feedback_import_with_references(
    engine: Engine, tmp_path: Path
) -> None:
    _managers(engine, tmp_path)
    import_file(
        engine=engine,
        entity="clients",
        path=_csv(tmp_path / "c.csv", [["client_id", "name"], ["C1", "ООО Ромашка"]]),
    )
    files = {
        "deals": [
            ["deal_id", "client", "manager", "amount", "stage", "created", "closed"],
            ["D1", "C1", "Иван Петров", "1 000,00", "Сделка заключена", "01.02.2026", "2026-03-01"],
            ["D2", "ООО Ромашка", "olga@example.ru", "500", "Переговоры", "1770000000", ""],
        ],
        "activities": [
            ["activity_id", "client", "manager", "type", "direction", "started", "completed"],
            ["A1", "C1", "M1", "Звонок", "исходящий", "05.02.2026 10:00", "да"],
        ],
        "plans": [["manager", "period", "amount"], ["M1", "2026-Q1", "3 000 000"]],
        "surveys": [
            ["client", "manager", "date", "scale", "score"],
            ["C1", "M1", "2026-02-10", "nps", "9"],
        ],
        "feedback": [
            ["from_manager", "to_manager", "date", "score"],
            ["M2", "M1", "2026-02-11", "5"],
        ],
        "teams": [["client", "role", "manager"], ["C1", "сервис", "M2"]],
    }
    for entity, rows in files.items():
        report = import_file(
            engine=engine, entity=entity, path=_csv(tmp_path / f"{entity}.csv", rows)
        )
        assert report.ok, [e.line() for e in report.errors]
        assert report.inserted == len(rows) - 1
    with Session(engine) as session:
        deals = session.scalars(select(Deal).order_by(Deal.external_id)).all()
        assert [(d.outcome, d.amount, d.manager_id) for d in deals] == [
            ("won", 1000.0, 1),
            ("open", 500.0, 2),
        ]
        assert deals[1].created == dt.date(2026, 2, 2)
        activity = session.scalars(select(Activity)).one()
        assert (activity.type, activity.direction, activity.completed) == ("call", "outbound", True)
        assert session.scalars(select(PlanTarget.amount)).one() == 3_000_000
        assert session.scalars(select(Survey.score)).one() == 9
        assert session.scalars(select(ColleagueFeedback.to_manager_id)).one() == 1
        assert session.scalars(select(Responsibility.role)).one() == "service"
    for entity in files:
        again = import_file(engine=engine, entity=entity, path=tmp_path / f"{entity}.csv")
        assert (again.inserted, again.updated) == (0, 0), entity


def test_an_ambiguous_manager_name_is_an_error_asking_for_an_id(
    engine: Engine, tmp_path: Path
) -> None:
    import_file(
        engine=engine,
        entity="managers",
        path=_csv(
            tmp_path / "m.csv", [["manager_id", "name"], ["1", "Иван Петров"], ["2", "Иван Петров"]]
        ),
    )
    import_file(engine=engine, entity="clients", path=_csv(tmp_path / "c.csv", [["name"], ["А"]]))
    report = import_file(
        engine=engine,
        entity="deals",
        path=_csv(
            tmp_path / "d.csv",
            [["client", "manager", "created"], ["А", "Иван Петров", "2026-01-01"]],
        ),
    )
    assert "несколько" in report.errors[0].message


def _import(engine: Engine, entity: str, name: str, source: str) -> object:
    report = import_file(engine=engine, entity=entity, path=EXAMPLES / name, source=source)
    assert report.ok, [e.line() for e in report.errors]
    return report


def test_bitrix24_exports_import_with_managers_joined_by_email(engine: Engine) -> None:
    _import(engine, "managers", "generic/managers.csv", "generic")
    users = import_file(
        engine=engine, entity="managers", path=EXAMPLES / "bitrix24/users.csv", source="bitrix24"
    )
    assert (users.inserted, users.linked) == (0, 4)
    _import(engine, "clients", "bitrix24/companies.csv", "bitrix24")
    _import(engine, "deals", "bitrix24/deals.csv", "bitrix24")
    _import(engine, "deals", "bitrix24/deals_rest.csv", "bitrix24")
    with Session(engine) as session:
        outcomes = {k: v for k, v in session.execute(select(Deal.external_id, Deal.outcome))}
        assert outcomes == {
            "2001": "won", "2002": "lost", "2003": "open", "2004": "won", "2005": "open",
            "3001": "won", "3002": "lost", "3003": "open",
        }  # fmt: skip
        managers = session.scalar(select(func.count()).select_from(Manager))
        assert managers == 4
        rest = session.scalars(select(Deal).where(Deal.external_id == "3001")).one()
        assert rest.closed == dt.date(2026, 5, 15)
        petrov = session.scalars(select(Manager.id).where(Manager.name == "Ольга Смирнова")).one()
        assert rest.manager_id == petrov
    again = _import(engine, "deals", "bitrix24/deals_rest.csv", "bitrix24")
    assert (again.inserted, again.updated) == (0, 0)  # type: ignore[attr-defined]


def test_amocrm_json_and_csv_exports_import_with_won_and_lost_from_status(engine: Engine) -> None:
    _import(engine, "managers", "generic/managers.csv", "generic")
    _import(engine, "managers", "amocrm/users.json", "amocrm")
    _import(engine, "clients", "amocrm/companies.json", "amocrm")
    _import(engine, "deals", "amocrm/leads.json", "amocrm")
    _import(engine, "deals", "amocrm/leads.csv", "amocrm")
    with Session(engine) as session:
        deals = {d.external_id: d for d in session.scalars(select(Deal))}
        assert [deals[k].outcome for k in ("9001", "9002", "9003", "9101", "9102", "9103")] == [
            "won", "lost", "open", "won", "lost", "open",
        ]  # fmt: skip
        assert deals["9001"].created == dt.date(2026, 2, 1)
        client = session.scalars(select(Client).where(Client.external_id == "5002")).one()
        assert (client.tax_id, client.city) == ("7830002293", "Санкт-Петербург")


@pytest.mark.parametrize("source", ["generic", "bitrix24"])
def test_json_is_refused_unless_it_is_an_amocrm_export(engine: Engine, source: str) -> None:
    from clientbase.errors import BadInputError

    with pytest.raises(BadInputError, match="amoCRM"):
        import_file(
            engine=engine, entity="deals", path=EXAMPLES / "amocrm/leads.json", source=source
        )


def test_an_inn_whose_leading_zero_excel_dropped_is_restored_and_a_wrong_one_is_not(
    engine: Engine, tmp_path: Path
) -> None:
    from clientbase.io.writers import write_xlsx

    # 0100000004 passes the checksum; Excel stored it as the number 100000004.
    path = tmp_path / "clients.xlsx"
    write_xlsx(path, ["client_id", "name", "tax_id"], [["C1", "ООО Ноль", 100000004]])
    report = import_file(engine=engine, entity="clients", path=path)
    assert report.ok, [e.line() for e in report.errors]
    assert any("ведущего нуля" in w for w in report.warnings)
    with Session(engine) as session:
        assert session.scalar(select(Client.tax_id).where(Client.name == "ООО Ноль")) == (
            "0100000004"
        )
    wrong = _csv(
        tmp_path / "wrong.csv", [["client_id", "name", "tax_id"], ["C2", "ООО Б", "100000005"]]
    )
    bad = import_file(engine=engine, entity="clients", path=wrong)
    assert [(e.row, e.column) for e in bad.errors] == [(2, "tax_id")]
