"""Invariants of the optimizer on random tiny instances (Hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planning_factories import client, instance, manager

from clientbase.core.types import RoleGroup, Tier
from clientbase.planning.candidates import candidate_lists, refusal
from clientbase.planning.metrics import manager_stats
from clientbase.planning.schemas import Instance, PlanStatus
from clientbase.planning.solve import make_plan
from clientbase.planning.validate import validate

REGIONS = ("Москва", "СПб", "Казань")


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    """2–5 managers and 1–14 clients over three regions, with owners, locks and VIPs."""
    n_managers = draw(st.integers(2, 5))
    managers = []
    for i in range(n_managers):
        regions = draw(st.sets(st.sampled_from(REGIONS), min_size=1, max_size=3))
        managers.append(
            manager(
                f"M{i}",
                regions=";".join(sorted(regions)),
                capacity=draw(st.integers(0, 6)),
                grade=draw(st.integers(1, 5)),
                group=draw(st.sampled_from((RoleGroup.FARMER, RoleGroup.FARMER, RoleGroup.HEAD))),
                active=draw(st.booleans()) or i == 0,
                hours=draw(st.sampled_from((None, None, 8.0))),
            )
        )
    clients = []
    for j in range(draw(st.integers(1, 14))):
        owner = draw(st.sampled_from([None, *[m.id for m in managers]]))
        clients.append(
            client(
                f"C{j}",
                region=draw(st.sampled_from(REGIONS)),
                potential=float(draw(st.integers(0, 1000))),
                tier=draw(st.sampled_from(list(Tier))),
                hours=float(draw(st.integers(0, 4))),
                owner_id=owner,
                locked=owner is not None and draw(st.booleans()) and draw(st.booleans()),
            )
        )
    max_moves = draw(st.sampled_from((None, None, 0, 2)))
    return instance(
        managers, clients, max_moves=max_moves, time_limit=0.5, seed=draw(st.integers(0, 3))
    )


COMMON = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(instances())
def test_every_optimal_or_feasible_plan_passes_validation(inst: Instance) -> None:
    plan = make_plan(inst, with_explanations=False)

    if plan.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE):
        assert validate(inst, plan) == []
    else:
        assert plan.status is PlanStatus.PARTIAL
        assert {v.rule for v in validate(inst, plan)} == {"unassigned"}
    assert plan.lower_bound <= plan.imbalance + 1e-9


@settings(max_examples=10, deadline=None)
@given(instances())
def test_same_input_and_seed_give_the_same_plan(inst: Instance) -> None:
    first = make_plan(inst, with_explanations=False)
    second = make_plan(inst, with_explanations=False)

    assert first.assignment == second.assignment


@COMMON
@given(instances())
def test_every_unplaced_client_is_stopped_by_the_rule_the_diagnosis_names(inst: Instance) -> None:
    plan = make_plan(inst, with_explanations=False)
    if plan.diagnosis is None:
        return
    candidates = candidate_lists(inst)
    stats = manager_stats(inst, plan.assignment)
    position = {c.id: i for i, c in enumerate(inst.clients)}

    for unplaced in plan.diagnosis.unplaced:
        c = position[unplaced.client_id]
        the_client = inst.clients[c]
        cands = [inst.managers[m] for m in candidates[c]]
        weight = inst.settings.weight(the_client.tier)
        if not cands:
            if unplaced.rule == "lock":
                owner = next(m for m in inst.managers if m.id == the_client.owner_id)
                assert the_client.locked
                assert refusal(owner, the_client, inst.settings) is not None
            else:
                refusals = {
                    r[0] for m in inst.managers if (r := refusal(m, the_client, inst.settings))
                }
                assert unplaced.rule in refusals
        elif unplaced.rule == "capacity_clients":
            assert all(stats[m.id].load + weight > m.capacity for m in cands)
        elif unplaced.rule == "capacity_hours":
            assert all(
                stats[m.id].load + weight > m.capacity
                or (m.hours is not None and stats[m.id].hours + the_client.hours > m.hours)
                for m in cands
            )
        else:
            assert unplaced.rule == "max_moves"
            assert inst.settings.max_moves is not None
            assert plan.moves >= inst.settings.max_moves
