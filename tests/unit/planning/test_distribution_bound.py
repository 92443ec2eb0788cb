"""The proven lower bound never exceeds the true optimum (exhaustive search, Hypothesis)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planning_factories import client, instance, manager

from clientbase.core.types import RoleGroup, Tier
from clientbase.planning.candidates import candidate_lists
from clientbase.planning.decompose import components
from clientbase.planning.model import _component_subproblem, finish_plan
from clientbase.planning.relaxation import solve
from clientbase.planning.schemas import Instance, Strategy
from clientbase.planning.solve import make_plan
from clientbase.planning.validate import RULE_UNASSIGNED, validate

REGIONS = ("Москва", "СПб")


@st.composite
def small_instances(draw: st.DrawFn) -> Instance:
    """2–3 managers (a head of sales sometimes), 2–6 clients, hours that may bind."""
    managers = []
    for i in range(draw(st.integers(2, 3))):
        regions = draw(st.sets(st.sampled_from(REGIONS), min_size=1, max_size=2))
        managers.append(
            manager(
                f"M{i}",
                regions=";".join(sorted(regions)),
                capacity=draw(st.integers(1, 4)),
                grade=draw(st.integers(1, 5)),
                group=RoleGroup.HEAD if i == 2 and draw(st.booleans()) else RoleGroup.FARMER,
                hours=draw(st.sampled_from((None, 4.0, 7.0))),
            )
        )
    clients = [
        client(
            f"C{j}",
            region=draw(st.sampled_from(REGIONS)),
            potential=float(draw(st.integers(1, 1000))),
            tier=draw(st.sampled_from((Tier.VIP, Tier.A, Tier.B, Tier.C))),
            hours=float(draw(st.integers(0, 3))),
        )
        for j in range(draw(st.integers(2, 6)))
    ]
    return instance(managers, clients, time_limit=0.3, seed=0)


def exhaustive_optimum(inst: Instance) -> tuple[int, float]:
    """Most clients any valid plan serves, and the least imbalance among such plans."""
    candidates = candidate_lists(inst)
    choices = [[None, *[inst.managers[m].id for m in cands]] for cands in candidates]
    best: tuple[int, float] = (-1, 0.0)
    for picked in itertools.product(*choices):
        assignment = {c.id: m for c, m in zip(inst.clients, picked, strict=True)}
        plan = finish_plan(inst, assignment, Strategy.OPTIMAL, candidates)
        if any(v.rule != RULE_UNASSIGNED for v in validate(inst, plan)):
            continue
        served = len(inst.clients) - plan.unassigned
        if served > best[0] or (served == best[0] and plan.imbalance < best[1]):
            best = (served, plan.imbalance)
    return best


EXHAUSTIVE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@EXHAUSTIVE
@given(small_instances())
def test_the_lp_bound_of_every_component_is_never_above_the_best_plan(inst: Instance) -> None:
    served, optimum = exhaustive_optimum(inst)
    candidates = candidate_lists(inst)
    for part in components(candidates, len(inst.managers)):
        sub = _component_subproblem(inst, part, candidates, None)
        servable = sum(1 for c in part.clients if candidates[c])
        # The bound holds for plans serving at least `served` of the component; the best
        # plan of the whole instance serves at least this many of it.
        floor = max(0, served - (len(inst.clients) - servable))
        assert solve(sub, min(floor, servable)).bound <= optimum + 1e-9


@EXHAUSTIVE
@given(small_instances())
def test_the_plan_never_reports_a_bound_above_the_true_optimum(inst: Instance) -> None:
    served, optimum = exhaustive_optimum(inst)
    plan = make_plan(inst, with_explanations=False)
    assert plan.lower_bound <= optimum + 1e-9
    if len(inst.clients) - plan.unassigned == served:
        assert plan.imbalance >= optimum - 1e-9
