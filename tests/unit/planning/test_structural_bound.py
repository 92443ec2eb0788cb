"""The Hall-type bound (planning/bounds.py): positive and tight by hand, never above a plan."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from planning_factories import client, instance, manager
from test_distribution_bound import exhaustive_optimum, small_instances

from clientbase.planning.bounds import structural_bound
from clientbase.planning.builder import SubProblem
from clientbase.planning.candidates import candidate_lists
from clientbase.planning.decompose import components
from clientbase.planning.model import _component_subproblem
from clientbase.planning.schemas import Instance, PlanStatus
from clientbase.planning.solve import make_plan


def _only_component(inst: Instance) -> SubProblem:
    candidates = candidate_lists(inst)
    (part,) = components(candidates, len(inst.managers))
    return _component_subproblem(inst, part, candidates, None)


def _two_regions() -> Instance:
    # A may serve Moscow and St Petersburg, B only St Petersburg; two slots each.
    return instance(
        [manager("A", regions="Москва;СПб", capacity=2), manager("B", regions="СПб", capacity=2)],
        [client("X", region="Москва", potential=300.0), client("Y", region="СПб", potential=100.0)],
    )


def test_a_client_only_one_manager_may_take_forces_a_spread_the_bound_proves_exactly() -> None:
    # X can only go to A: max r ≥ 300 / 2 = 150. B can only ever get Y: min r ≤ 100 / 2 = 50.
    # ρ ≤ (300 + 100) / 4 = 100, so every plan has spread ≥ (150 − 50) / 100 = 1.
    # The plan A = {X}, B = {Y} has ratios 150 and 50 and ρ = 100: spread exactly 1.
    inst = _two_regions()
    assert structural_bound(_only_component(inst), all_served=True) == pytest.approx(1.0)
    plan = make_plan(inst, with_explanations=False)
    assert plan.imbalance == pytest.approx(1.0)
    assert plan.lower_bound == pytest.approx(1.0)
    assert plan.gap == pytest.approx(0.0, abs=1e-12)
    assert plan.status is PlanStatus.OPTIMAL


def test_the_forced_side_of_the_bound_is_not_claimed_when_somebody_may_stay_unserved() -> None:
    # If X could be left out, A's ratio would not be forced up.
    inst = _two_regions()
    assert structural_bound(_only_component(inst), all_served=False) == 0.0


def test_a_manager_nobody_else_can_relieve_keeps_the_bound_at_zero_when_peers_can_meet() -> None:
    inst = instance(
        [manager("A", capacity=2), manager("B", capacity=2)],
        [client(f"C{i}", potential=100.0) for i in range(4)],
    )
    assert structural_bound(_only_component(inst), all_served=True) == 0.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances())
def test_the_structural_bound_is_never_above_the_true_optimum(inst: Instance) -> None:
    served, optimum = exhaustive_optimum(inst)
    candidates = candidate_lists(inst)
    servable = sum(1 for cands in candidates if cands)
    for part in components(candidates, len(inst.managers)):
        sub = _component_subproblem(inst, part, candidates, None)
        # The forced side is claimed only for plans that serve everybody who can be served.
        assert structural_bound(sub, all_served=served == servable) <= optimum + 1e-9


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances())
def test_the_bounds_are_never_above_the_imbalance_of_the_plan_returned(inst: Instance) -> None:
    plan = make_plan(inst, with_explanations=False)
    candidates = candidate_lists(inst)
    everybody = plan.unassigned == sum(1 for cands in candidates if not cands)
    for part in components(candidates, len(inst.managers)):
        sub = _component_subproblem(inst, part, candidates, None)
        assert structural_bound(sub, all_served=everybody) <= plan.imbalance + 1e-9
    assert plan.lower_bound <= plan.imbalance
    assert plan.gap == pytest.approx(plan.imbalance - plan.lower_bound)
