"""Diagnosis and explanations speak of binding principles and of managers by name."""

from __future__ import annotations

from dataclasses import replace

from tests.unit.planning.planning_factories import client, instance, manager

from clientbase.core.types import Eligibility, Principle
from clientbase.planning.schemas import PlanStatus
from clientbase.planning.solve import make_plan


def test_hire_fix_names_only_the_principle_that_binds() -> None:
    stranger = client("C1", region="Сочи", industry="Логистика", channel="Дилеры")
    rules = {Principle.REGION: "Москва", Principle.INDUSTRY: "Ритейл"}
    moscow = replace(manager("M1"), eligibility=Eligibility.parse(rules))

    plan = make_plan(instance([moscow], [stranger]))

    assert plan.status is PlanStatus.PARTIAL
    assert plan.diagnosis is not None
    hires = [f for f in plan.diagnosis.fixes if f.kind == "hire"]
    assert hires, plan.diagnosis.text
    assert hires[0].value == "region=Сочи, industry=Логистика"


def test_reasons_and_diagnosis_show_manager_names_not_ids() -> None:
    anna = replace(manager("M1", capacity=1), name="Анна Петрова")
    clients = [client("C1"), client("C2")]

    plan = make_plan(instance([anna], clients))

    assert plan.diagnosis is not None
    assert "Анна Петрова" in plan.diagnosis.text
    placed = [e for e in plan.explanations.values() if e.manager_id == "M1"]
    assert placed and "Анна Петрова" in placed[0].text
    assert placed[0].manager_id == "M1"
