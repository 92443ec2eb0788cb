"""The hand-back pass of a rebalance: moves that balance does not need are undone."""

from __future__ import annotations

from planning_factories import client, instance, manager

from clientbase.planning.candidates import candidate_lists
from clientbase.planning.decompose import components
from clientbase.planning.model import _component_subproblem, _moves_of, _spread_of
from clientbase.planning.objectives.local_search import reduce_moves
from clientbase.planning.schemas import Instance


def _swapped_pair(capacity: int) -> Instance:
    return instance(
        [manager("M0", capacity=capacity), manager("M1", capacity=capacity)],
        [
            client("C0", potential=100.0, owner_id="M0"),
            client("C1", potential=100.0, owner_id="M1"),
        ],
    )


def test_two_clients_swapped_for_nothing_go_back_to_their_owners_even_when_both_are_full() -> None:
    inst = _swapped_pair(capacity=1)
    candidates = candidate_lists(inst)
    (part,) = components(candidates, len(inst.managers))
    sub = _component_subproblem(inst, part, candidates, None)
    assignment: dict[int, int | None] = {0: 1, 1: 0}  # each with the other's owner
    assert _moves_of(inst, assignment) == 2

    reduce_moves(sub, assignment, ceiling=0.01, work=1_000)

    assert assignment == {0: 0, 1: 1}
    assert _moves_of(inst, assignment) == 0


def test_a_moved_client_stays_where_he_is_when_handing_him_back_breaks_the_balance() -> None:
    inst = instance(
        [manager("M0", capacity=2), manager("M1", capacity=2)],
        [
            client("C0", potential=100.0, owner_id="M0"),
            client("C1", potential=100.0, owner_id="M0"),
        ],
    )
    candidates = candidate_lists(inst)
    (part,) = components(candidates, len(inst.managers))
    sub = _component_subproblem(inst, part, candidates, None)
    assignment: dict[int, int | None] = {0: 0, 1: 1}  # balanced at the cost of one move

    reduce_moves(sub, assignment, ceiling=0.5, work=1_000)

    assert assignment == {0: 0, 1: 1}
    assert _spread_of(sub, assignment) == 0.0
