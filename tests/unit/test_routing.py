"""Routing strategies (pure): least relative load, round robin, weighted, and their fairness."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientbase.core.routing import (
    Candidate,
    RouterState,
    RoutingStrategy,
    pick,
    simulate,
)

UNEQUAL = {1: 30, 2: 40, 3: 50, 4: 60, 5: 45, 6: 35, 7: 52, 8: 41}
EQUAL = dict.fromkeys(range(1, 9), 40)


def test_least_load_gives_the_arrival_to_the_lowest_relative_load() -> None:
    candidates = [Candidate(1, 40, 30), Candidate(2, 60, 40), Candidate(3, 20, 10)]
    # after the arrival: 31/40 = .775, 41/60 = .683, 11/20 = .55
    assert pick(candidates, rng=random.Random(0)).manager_id == 3


def test_least_load_breaks_ties_at_random_not_by_the_first_of_the_list() -> None:
    candidates = [Candidate(1, 40, 10), Candidate(2, 40, 10), Candidate(3, 40, 10)]
    chosen = {pick(candidates, rng=random.Random(seed)).manager_id for seed in range(60)}
    assert chosen == {1, 2, 3}


def test_the_same_seed_gives_the_same_choice() -> None:
    candidates = [Candidate(i, 40, 10) for i in range(1, 6)]
    first = [pick(candidates, rng=random.Random(f"7:{n}")).manager_id for n in range(20)]
    again = [pick(candidates, rng=random.Random(f"7:{n}")).manager_id for n in range(20)]
    assert first == again


def test_a_full_manager_gets_nothing_and_the_queue_says_why() -> None:
    result = pick([Candidate(1, 40, 40), Candidate(2, 30, 30)], rng=random.Random(0))
    assert result.manager_id is None and "загружены полностью" in result.reason


def test_over_capacity_is_allowed_only_when_asked_and_is_flagged() -> None:
    full = [Candidate(1, 40, 44), Candidate(2, 30, 31)]
    result = pick(full, rng=random.Random(0), allow_over_capacity=True)
    assert result.manager_id == 2 and result.over_capacity  # 32/30 < 45/40


def test_a_vip_taking_three_slots_does_not_fit_two_free_ones() -> None:
    result = pick([Candidate(1, 40, 38)], rng=random.Random(0), weight=3)
    assert result.manager_id is None


def test_no_candidate_is_a_reasoned_answer() -> None:
    result = pick([], rng=random.Random(0))
    assert result.manager_id is None and result.reason


def test_round_robin_goes_around_in_id_order_and_skips_full_managers() -> None:
    state = RouterState()
    candidates = [Candidate(3, 10, 0), Candidate(1, 10, 0), Candidate(2, 10, 10)]
    order = [
        pick(
            candidates, strategy=RoutingStrategy.ROUND_ROBIN, rng=random.Random(0), state=state
        ).manager_id
        for _ in range(4)
    ]
    assert order == [1, 3, 1, 3]


def test_round_robin_remembers_each_pool_separately() -> None:
    state = RouterState()
    candidates = [Candidate(1, 10), Candidate(2, 10)]
    rr = RoutingStrategy.ROUND_ROBIN
    a = pick(candidates, strategy=rr, rng=random.Random(0), state=state, pool="east")
    b = pick(candidates, strategy=rr, rng=random.Random(0), state=state, pool="west")
    assert a.manager_id == b.manager_id == 1
    assert RouterState.from_dict(state.to_dict()) == state


def test_weighted_gives_each_manager_exactly_his_capacity_share_over_a_cycle() -> None:
    state = RouterState()
    candidates = [Candidate(1, 10), Candidate(2, 20), Candidate(3, 30)]
    got = [
        pick(
            candidates, strategy=RoutingStrategy.WEIGHTED, rng=random.Random(0), state=state
        ).manager_id
        for _ in range(60)
    ]
    assert [got.count(m) for m in (1, 2, 3)] == [10, 20, 30]


@pytest.mark.parametrize("capacities", [UNEQUAL, EQUAL], ids=["unequal", "equal"])
@pytest.mark.parametrize(
    "strategy", [RoutingStrategy.LEAST_LOAD, RoutingStrategy.WEIGHTED], ids=lambda s: s.value
)
def test_ten_thousand_arrivals_give_each_manager_his_capacity_share_within_two_points(
    capacities: dict[int, int], strategy: RoutingStrategy
) -> None:
    result = simulate(
        {m: float(c) for m, c in capacities.items()}, arrivals=10_000, strategy=strategy, seed=3
    )
    assert result.unassigned == 0
    assert sum(result.routed.values()) == 10_000
    for manager, (share, capacity_share) in result.shares().items():
        assert abs(share - capacity_share) <= 2.0, (manager, share, capacity_share)


def test_round_robin_ignores_capacity_so_unequal_teams_drift_from_their_share() -> None:
    # The reason least-load is the default: plain round robin gives everyone 1/n.
    result = simulate(
        {m: float(c) for m, c in UNEQUAL.items()},
        arrivals=10_000,
        strategy=RoutingStrategy.ROUND_ROBIN,
        seed=3,
    )
    assert result.max_deviation > 2.0


candidate_lists = st.lists(
    st.builds(
        Candidate,
        id=st.integers(1, 50),
        capacity=st.integers(0, 60).map(float),
        load=st.integers(0, 70).map(float),
    ),
    max_size=8,
    unique_by=lambda c: c.id,
)


@given(
    candidates=candidate_lists,
    weight=st.sampled_from([1.0, 3.0]),
    strategy=st.sampled_from(list(RoutingStrategy)),
    seed=st.integers(0, 10_000),
)
def test_a_pick_is_an_eligible_manager_with_room_or_nobody_when_none_has_room(
    candidates: list[Candidate], weight: float, strategy: RoutingStrategy, seed: int
) -> None:
    result = pick(candidates, strategy=strategy, weight=weight, rng=random.Random(seed))
    with_room = {c.id for c in candidates if c.room(weight)}
    if not with_room:
        assert result.manager_id is None and result.reason
        return
    assert result.manager_id in with_room and not result.over_capacity
    if strategy is RoutingStrategy.LEAST_LOAD:
        chosen = next(c for c in candidates if c.id == result.manager_id)
        best = min(c.relative(weight) for c in candidates if c.id in with_room)
        assert chosen.relative(weight) <= best + 1e-9


@given(candidates=candidate_lists, seed=st.integers(0, 10_000))
def test_with_over_capacity_allowed_somebody_always_gets_the_client(
    candidates: list[Candidate], seed: int
) -> None:
    result = pick(candidates, rng=random.Random(seed), allow_over_capacity=True)
    assert (result.manager_id is None) == (not [c for c in candidates if c.capacity > 0])
