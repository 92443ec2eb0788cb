"""Issue 4 performance targets at test size: rebalance quality, demo-size optimality."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest
from planning_factories import client, instance, manager

from clientbase.planning.schemas import Instance, PlanStatus, Settings
from clientbase.planning.solve import make_plan

sys.path.insert(0, str(Path(__file__).parents[3]))

from benchmarks.instances import generate, with_owners


def _from_scratch(inst: Instance) -> Instance:
    clients = tuple(replace(c, owner_id=None, locked=False) for c in inst.clients)
    return replace(inst, clients=clients)


def test_an_overloaded_owner_hands_over_as_many_clients_as_balance_needs() -> None:
    # All four clients belong to M0; balance needs two of them with M1. (The search used to
    # stop taking clients from their owners after the first move.)
    inst = instance(
        [manager("M0", capacity=4), manager("M1", capacity=4)],
        [client(f"C{i}", potential=100.0, owner_id="M0") for i in range(4)],
    )
    plan = make_plan(inst, with_explanations=False)
    assert plan.imbalance == pytest.approx(0.0)
    assert plan.moves == 2


def test_a_manager_below_his_peers_is_not_sent_new_moves_when_balance_is_already_within_band() -> (
    None
):
    inst = instance(
        [manager("M0", capacity=4), manager("M1", capacity=4)],
        [
            client("C0", potential=100.0, owner_id="M0"),
            client("C1", potential=101.0, owner_id="M1"),
        ],
        balance_tolerance=0.05,
    )
    plan = make_plan(inst, with_explanations=False)
    assert plan.moves == 0


@pytest.mark.slow
def test_rebalance_after_new_clients_and_two_leavers_is_within_002_of_a_plan_from_scratch() -> None:
    settings = Settings(time_limit=2.0, seed=1)
    start = generate(800, 24, seed=5, load=0.75, settings=settings)
    first = make_plan(start, with_explanations=False)
    moved, unavoidable = with_owners(start, first.assignment, seed=1)
    rebalanced = make_plan(moved, with_explanations=False)
    scratch = make_plan(_from_scratch(moved), with_explanations=False)
    assert rebalanced.unassigned == scratch.unassigned == 0
    assert rebalanced.imbalance <= scratch.imbalance + 0.02
    assert rebalanced.moves >= unavoidable  # the leavers' clients always move


@pytest.mark.slow
def test_the_demo_size_benchmark_instance_is_solved_to_proven_optimality() -> None:
    # The 2-second target is measured by benchmarks/bench_distribution.py; here the clock
    # must not decide (a loaded CI machine would cut the search), so the limit is generous
    # and only the work budget of a 2-second run is asked for.
    inst = generate(900, 18, seed=1, settings=Settings(time_limit=2.0, seed=1))
    roomy = replace(inst, settings=replace(inst.settings, time_limit=60.0))
    plan = make_plan(roomy, with_explanations=False)
    assert plan.status is PlanStatus.OPTIMAL
    assert plan.gap <= inst.settings.balance_step
