"""Competency assessments: profiles, strengths and weak spots, training, import/export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from clientbase.db import tables as t
from clientbase.db.uow import UnitOfWork
from clientbase.errors import BadInputError, NotFoundError
from clientbase.services import competencies as comp

JUNE, NOVEMBER = dt.date(2026, 6, 1), dt.date(2026, 11, 1)


@pytest.fixture
def managers(engine: Engine) -> list[int]:
    with UnitOfWork(engine, write=True) as uow:
        rows = [
            t.Manager(name="Иванов Пётр", email="ivanov@x.ru", role_group="farmer", team="Юг"),
            t.Manager(name="Петрова Анна", email="petrova@x.ru", role_group="hunter", team="Юг"),
            t.Manager(name="Сидоров Олег", role_group="farmer", team="Север"),
        ]
        uow.session.add_all(rows)
        uow.session.flush()
        ids = [m.id for m in rows]
        uow.commit()
    return ids


def _scores(engine: Engine) -> int:
    with UnitOfWork(engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(t.CompetencyScore)) or 0)


def test_the_default_list_holds_the_six_documented_competencies(engine: Engine) -> None:
    codes = [c.code for c in comp.list_competencies(engine)]
    assert codes == ["needs", "presentation", "negotiation", "product", "crm", "relationship"]


def test_a_profile_shows_latest_scores_their_change_strengths_weak_spots_and_training(
    engine: Engine, managers: list[int]
) -> None:
    ivanov = managers[0]
    comp.assess(engine, ivanov, {"needs": 4, "negotiation": 2, "crm": 5}, on=JUNE)
    comp.assess(engine, ivanov, {"needs": 5, "negotiation": 3, "crm": 5, "product": 2}, on=NOVEMBER)
    p = comp.profile(engine, ivanov)
    by_code = {x.code: x for x in p.lines}
    assert (by_code["needs"].score, by_code["needs"].change) == (5, 1)
    assert (by_code["negotiation"].score, by_code["negotiation"].change) == (3, 1)
    assert by_code["product"].change is None
    assert p.strengths == ["Выявление потребностей", "Дисциплина в CRM"]
    assert p.weak_spots == ["Знание продукта"]
    assert p.training == ["Продуктовое обучение и аттестация по ассортименту."]
    assert p.assessments == 2
    assert p.average == pytest.approx((5 + 3 + 2 + 5) / 4)
    assert "зоны роста: Знание продукта" in p.summary()


def test_without_low_scores_the_lowest_below_strong_is_the_weak_spot(
    engine: Engine, managers: list[int]
) -> None:
    comp.assess(engine, managers[1], {"needs": 4, "presentation": 3, "crm": 4}, on=JUNE)
    assert comp.profile(engine, managers[1]).weak_spots == ["Презентация решения"]
    comp.assess(engine, managers[2], {"needs": 5, "crm": 4}, on=JUNE)
    assert comp.profile(engine, managers[2]).weak_spots == []


def test_assessing_the_same_date_again_replaces_the_scores(
    engine: Engine, managers: list[int]
) -> None:
    comp.assess(engine, managers[0], {"needs": 2}, on=JUNE)
    comp.assess(engine, managers[0], {"needs": 4}, on=JUNE)
    assert _scores(engine) == 1
    assert comp.profile(engine, managers[0]).lines[0].score == 4


@pytest.mark.parametrize(
    ("scores", "message"),
    [({"needs": 6}, "от 1 до 5"), ({"charisma": 3}, "Неизвестные компетенции"), ({}, "Нет ни")],
)
def test_a_bad_assessment_is_refused_and_nothing_is_written(
    engine: Engine, managers: list[int], scores: dict[str, int], message: str
) -> None:
    with pytest.raises(BadInputError, match=message):
        comp.assess(engine, managers[0], scores, on=JUNE)
    assert _scores(engine) == 0


def test_an_unknown_manager_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFoundError):
        comp.assess(engine, 999, {"needs": 3}, on=JUNE)


def test_the_team_matrix_holds_only_that_team(engine: Engine, managers: list[int]) -> None:
    for mid in managers:
        comp.assess(engine, mid, {"needs": 3, "crm": 4}, on=JUNE)
    columns, profiles = comp.matrix(engine, team="юг")
    assert "Выявление потребностей" in columns
    assert [p.manager for p in profiles] == ["Иванов Пётр", "Петрова Анна"]


def test_a_changed_list_adds_updates_and_retires_competencies_keeping_history(
    engine: Engine, managers: list[int]
) -> None:
    comp.assess(engine, managers[0], {"relationship": 2, "needs": 4}, on=JUNE)
    items = [
        comp.CompetencyInfo("needs", "Потребности клиента", None, 10, True),
        comp.CompetencyInfo("tenders", "Работа с тендерами", "Курс 44-ФЗ.", 20, True),
    ]
    assert comp.set_competencies(engine, items) == (1, 1, 5)
    assert [c.code for c in comp.list_competencies(engine)] == ["needs", "tenders"]
    assert _scores(engine) == 2  # history of retired competencies is kept
    assert [x.code for x in comp.profile(engine, managers[0]).lines] == ["needs"]
    with pytest.raises(BadInputError, match="повторяются"):
        comp.set_competencies(engine, items + items[:1])


def test_an_import_lists_every_bad_row_and_writes_nothing(
    engine: Engine, managers: list[int], tmp_path: Path
) -> None:
    file = tmp_path / "scores.csv"
    file.write_text(
        "Менеджер;Дата;Компетенция;Оценка;Комментарий\n"
        "ivanov@x.ru;01.06.2026;needs;4;хорошо\n"
        "nobody@x.ru;01.06.2026;needs;4;\n"
        "Петрова Анна;31.02.2026;crm;3;\n"
        "Петрова Анна;01.06.2026;charisma;3;\n"
        "Петрова Анна;01.06.2026;crm;7;\n",
        encoding="utf-8",
    )
    with pytest.raises(BadInputError) as info:
        comp.import_scores(engine, file)
    text = str(info.value)
    for row, column in ((3, "manager"), (4, "date"), (5, "competency"), (6, "score")):
        assert f"строка {row}, {column}" in text
    assert "строка 2" not in text
    assert _scores(engine) == 0


def test_export_then_import_into_another_database_round_trips(
    engine: Engine, managers: list[int], tmp_path: Path
) -> None:
    comp.assess(engine, managers[0], {"needs": 4, "crm": 2}, on=JUNE, comment="=SUM(A1)")
    comp.assess(engine, managers[1], {"negotiation": 5}, on=NOVEMBER)
    from clientbase.io import writers

    file = tmp_path / "scores.csv"
    writers.write_csv(file, [*comp.EXPORT_HEADERS, "assessor", "comment"], comp.export_rows(engine))
    before = comp.export_rows(engine)
    with UnitOfWork(engine, write=True) as uow:
        uow.session.execute(t.CompetencyScore.__table__.delete())
        uow.commit()
    assert comp.import_scores(engine, file, dry_run=True) == (3, 3)
    assert _scores(engine) == 0
    assert comp.import_scores(engine, file) == (3, 3)
    assert comp.import_scores(engine, file) == (3, 0)  # a second import changes nothing
    after = comp.export_rows(engine)
    assert [r[:6] for r in after] == [r[:6] for r in before]
    assert after[0][7] == "=SUM(A1)"
