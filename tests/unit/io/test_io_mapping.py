"""Column mapping: canonical names, Russian aliases, user mapping, outcome words."""

from __future__ import annotations

import pytest

from clientbase.errors import BadInputError
from clientbase.io.mapping import FIELDS, outcome_from_stage, plan_columns


@pytest.mark.parametrize(
    ("entity", "title", "field"),
    [
        ("clients", "Название компании", "name"),
        ("clients", "ИНН", "tax_id"),
        ("clients", "инн", "tax_id"),
        ("clients", "Регион", "region"),
        ("clients", "Отрасль", "industry"),
        ("clients", "Тип компании", "status"),
        ("clients", "Ответственный", "owner_id"),
        ("clients", "Выручка за 12 месяцев", "revenue_12m"),
        ("clients", "  REVENUE_12M ", "revenue_12m"),
        ("managers", "E-mail", "email"),
        ("managers", "e mail", "email"),
        ("managers", "ФИО", "name"),
        ("managers", "Ёмкость", "capacity"),
        ("deals", "Сумма", "amount"),
        ("deals", "Стадия сделки", "stage"),
        ("deals", "Дата закрытия", "closed"),
        ("deals", "Ответственный", "manager"),
        ("activities", "Тип дела", "type"),
        ("plans", "Период", "period"),
        ("surveys", "Оценка", "score"),
        ("feedback", "Кому", "to_manager"),
    ],
)
def test_russian_and_canonical_titles_are_recognised(entity: str, title: str, field: str) -> None:
    plan = plan_columns([title], entity)
    assert plan.columns == {0: field}


@pytest.mark.parametrize("entity", list(FIELDS))
def test_every_canonical_field_is_recognised_by_its_own_name(entity: str) -> None:
    plan = plan_columns(list(FIELDS[entity]), entity)
    assert list(plan.columns.values()) == list(FIELDS[entity])
    assert plan.warnings == []


def test_an_unknown_column_is_a_warning_not_silently_dropped() -> None:
    plan = plan_columns(["name", "Любимый цвет"], "clients")
    assert plan.columns == {0: "name"}
    assert len(plan.warnings) == 1 and "Любимый цвет" in plan.warnings[0]


def test_a_user_mapping_wins_and_null_ignores_a_column_on_purpose() -> None:
    plan = plan_columns(
        ["Контрагент", "Код 1С", "Примечание"],
        "clients",
        user_mapping={"Код 1С": "client_id", "Примечание": None},
    )
    assert plan.columns == {0: "name", 1: "client_id"}
    assert plan.ignored == ["Примечание"]
    assert plan.warnings == []
    assert plan.learned == {"Код 1С": "client_id", "Примечание": None}


def test_a_remembered_mapping_is_used_when_no_user_mapping_is_given() -> None:
    plan = plan_columns(["Код 1С"], "clients", remembered={"код 1с": "client_id"})
    assert plan.columns == {0: "client_id"}


def test_a_mapping_to_an_unknown_field_is_refused() -> None:
    with pytest.raises(BadInputError, match="неизвестному полю"):
        plan_columns(["X"], "clients", user_mapping={"X": "colour"})


def test_a_second_column_for_the_same_field_is_reported() -> None:
    plan = plan_columns(["Клиент", "Компания"], "clients")
    assert plan.columns == {0: "name"}
    assert "Компания" in plan.warnings[0]


@pytest.mark.parametrize(
    ("stage", "outcome"),
    [
        ("Успешно", "won"),
        ("Сделка заключена", "won"),
        ("Успешно реализовано", "won"),
        ("Closed Won", "won"),
        ("Провал", "lost"),
        ("Отказ клиента", "lost"),
        ("Закрыто и не реализовано", "lost"),
        ("Закрыто неуспешно", "lost"),
        ("lost", "lost"),
        ("Переговоры", "open"),
        ("Новая", "open"),
    ],
)
def test_outcome_is_derived_from_stage_words(stage: str, outcome: str) -> None:
    assert outcome_from_stage(stage) == outcome


def test_the_users_stage_table_overrides_the_words() -> None:
    assert outcome_from_stage("Отгружено", {"отгружено": "won"}) == "won"
