"""Balance, disruption, metrics, decomposition, baselines, explanations, diff, storage."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from planning_factories import client, instance, manager

from clientbase.core.types import ClientStatus, RoleGroup
from clientbase.planning.baselines import baseline
from clientbase.planning.candidates import candidate_lists
from clientbase.planning.decompose import components
from clientbase.planning.diff import diff
from clientbase.planning.metrics import imbalance, imbalance_role_group, peer_group_ids
from clientbase.planning.objectives.disruption import move_cost
from clientbase.planning.schemas import Plan, PlanStatus, Strategy
from clientbase.planning.solve import make_plan
from clientbase.planning.validate import validate


def test_two_equal_managers_split_potential_exactly() -> None:
    inst = instance(
        [manager("A"), manager("B")],
        [client(f"C{p}", potential=float(p)) for p in (4, 3, 2, 1)],
    )

    plan = make_plan(inst)

    assert plan.imbalance == pytest.approx(0.0)
    assert plan.managers["A"].potential == plan.managers["B"].potential == 5.0
    assert plan.status is PlanStatus.OPTIMAL
    assert plan.lower_bound <= plan.imbalance


def test_balance_is_relative_to_capacity() -> None:
    inst = instance(
        [manager("BIG", capacity=20), manager("SMALL", capacity=10)],
        [client(f"C{i}", potential=10.0) for i in range(9)],
    )

    plan = make_plan(inst)

    assert (plan.managers["BIG"].clients, plan.managers["SMALL"].clients) == (6, 3)
    assert plan.imbalance == pytest.approx(0.0)


def test_balanced_book_with_owners_moves_nobody() -> None:
    inst = instance(
        [manager("A"), manager("B")],
        [
            client("C1", potential=5.0, owner_id="A"),
            client("C2", potential=5.0, owner_id="B"),
            client("C3", potential=3.0, owner_id="A"),
            client("C4", potential=3.0, owner_id="B"),
        ],
    )

    plan = make_plan(inst)

    assert plan.moves == 0
    assert plan.disruption == 0.0


def test_move_cost_grows_with_revenue_and_relationship_and_halves_for_dormant() -> None:
    as_of = dt.date(2026, 1, 1)
    small = client("S", owner_id="A", revenue_12m=0.0)
    large = client("L", owner_id="A", revenue_12m=300.0, owner_since=dt.date(2018, 1, 1))
    dormant = client("D", owner_id="A", revenue_12m=300.0, status=ClientStatus.DORMANT)
    new = client("N")

    assert move_cost(small, as_of=as_of, median=100.0) == 1.0
    assert move_cost(large, as_of=as_of, median=100.0) == 6.0
    assert move_cost(dormant, as_of=as_of, median=100.0) == 2.0
    assert move_cost(new, as_of=as_of, median=100.0) == 0.0


def test_imbalance_ignores_a_manager_alone_in_his_segment() -> None:
    inst = instance(
        [
            manager("GOV", regions="Гос"),
            manager("A", regions="Москва"),
            manager("B", regions="Москва"),
        ],
        [client("G1", region="Гос", potential=1000.0), client("M1"), client("M2")],
    )
    assignment: dict[str, str | None] = {"G1": "GOV", "M1": "A", "M2": "B"}

    groups = peer_group_ids(inst)

    assert groups == [["A", "B"]]
    assert imbalance(inst, assignment, groups) == pytest.approx(0.0)
    assert imbalance_role_group(inst, assignment) > 1.0


def test_zero_capacity_manager_is_not_a_peer() -> None:
    inst = instance(
        [manager("A"), manager("B"), manager("ZERO", capacity=0)],
        [client("C1"), client("C2")],
    )

    assert peer_group_ids(inst) == [["A", "B"]]


def test_disjoint_regions_are_solved_as_separate_components() -> None:
    inst = instance(
        [
            manager("M1", regions="Москва"),
            manager("M2", regions="Москва"),
            manager("S1", regions="СПб"),
        ],
        [client("C1"), client("C2"), client("C3", region="СПб")],
    )

    parts = components(candidate_lists(inst), len(inst.managers))
    plan = make_plan(inst)

    assert [p.managers for p in parts] == [[0, 1], [2]]
    assert plan.components == 2
    assert plan.assignment["C3"] == "S1"


def test_round_robin_ignores_capacity_and_reports_the_violation() -> None:
    inst = instance(
        [manager("A", capacity=1), manager("B", capacity=1)],
        [client(f"C{i}") for i in range(3)],
    )

    plan = baseline(inst, Strategy.ROUND_ROBIN)
    checked = make_plan(inst, Strategy.ROUND_ROBIN)

    assert list(plan.assignment.values()) == ["A", "B", "A"]
    assert checked.violations == 1
    assert checked.status is PlanStatus.INFEASIBLE
    assert [v.rule for v in validate(inst, plan)] == ["capacity_clients"]


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [(Strategy.LEAST_LOADED, ["A", "B", "A", "B"]), (Strategy.WEIGHTED, ["A", "B", "A", "A"])],
)
def test_greedy_rules_deal_clients_as_crms_do(strategy: Strategy, expected: list[str]) -> None:
    inst = instance(
        [manager("A", capacity=30), manager("B", capacity=10)],
        [client(f"C{i}") for i in range(4)],
    )

    plan = baseline(inst, strategy)

    assert list(plan.assignment.values()) == expected


def test_baselines_keep_clients_with_an_available_owner() -> None:
    inst = instance([manager("A"), manager("B")], [client("C1", owner_id="B")])

    plan = baseline(inst, Strategy.ROUND_ROBIN)

    assert plan.assignment == {"C1": "B"}


def test_explanation_names_candidates_and_runner_up_in_russian_and_english() -> None:
    inst = instance([manager("A"), manager("B")], [client("C1", potential=10.0), client("C2")])
    plan = make_plan(inst)
    inst_en = instance([manager("A"), manager("B")], [client("C1"), client("C2")], lang="en")
    plan_en = make_plan(inst_en)

    ru = plan.explanations["C1"]
    en = plan_en.explanations["C1"]

    assert set(ru.eligible) == {"A", "B"}
    assert ru.runner_up in {"A", "B"} and ru.runner_up != ru.manager_id
    assert "альтернатива" in ru.text
    assert "runner-up" in en.text


def test_explanation_of_a_lone_candidate_names_the_rules_that_removed_the_others() -> None:
    inst = instance(
        [manager("MSK", regions="Москва"), manager("HUNTER", group=RoleGroup.HUNTER)],
        [client("C1")],
    )

    plan = make_plan(inst)

    explanation = plan.explanations["C1"]
    assert explanation.binding == ("role_group",)
    assert "единственный" in explanation.text


def test_diff_lists_clients_that_change_hands_and_manager_deltas() -> None:
    inst = instance([manager("A"), manager("B")], [client("C1"), client("C2")])
    plan_a = make_plan(inst, Strategy.ROUND_ROBIN)
    plan_b = make_plan(inst, Strategy.ROUND_ROBIN)
    plan_b.assignment = {"C1": "B", "C2": "B"}
    plan_b.managers = make_plan(inst).managers | {}

    result = diff(plan_a, plan_b)

    assert [(c.client_id, c.before, c.after) for c in result.changes] == [("C1", "A", "B")]
    assert result.moved == 1


def test_plan_survives_a_json_round_trip() -> None:
    inst = instance([manager("A", capacity=1)], [client("C1"), client("C2")])
    plan = make_plan(inst)

    restored = Plan.from_dict(json.loads(json.dumps(plan.to_dict())))

    assert restored.to_dict() == plan.to_dict()
    assert restored.diagnosis is not None
