"""Capacity in clients: base by role × drivers, clamped to the role's bounds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientbase.core.capacity import CapacityTables, Drivers, RoleBase, client_capacity
from clientbase.core.types import RoleGroup


def test_a_neutral_account_manager_carries_the_base_40() -> None:
    cap = client_capacity(RoleGroup.FARMER, Drivers())
    assert cap.clients == 40 and not cap.overridden and cap.clamped is None


def test_an_explicit_override_always_wins_and_says_so() -> None:
    cap = client_capacity(RoleGroup.FARMER, Drivers(complexity=5), override=72)
    assert cap.clients == 72 and cap.overridden
    assert "вручную" in cap.explain()


@pytest.mark.parametrize(
    ("driver", "low", "high"),
    [
        ("complexity", 5, 1),  # complexity lowers capacity
        ("readiness", 1, 5),
        ("support", 1, 5),
        ("tools", 1, 5),
        ("grade", 1, 5),
    ],
)
def test_each_driver_moves_capacity_the_documented_way(driver: str, low: int, high: int) -> None:
    small = client_capacity(RoleGroup.FARMER, Drivers(**{driver: low}))
    large = client_capacity(RoleGroup.FARMER, Drivers(**{driver: high}))
    assert small.clients < large.clients


def test_an_account_manager_never_exceeds_60_nor_falls_below_30() -> None:
    best = client_capacity(RoleGroup.FARMER, Drivers(1, 5, 5, 5, 5))
    worst = client_capacity(RoleGroup.FARMER, Drivers(5, 1, 1, 1, 1))
    assert best.clients == 60 and best.clamped == "hard_max"
    assert worst.clients == 30 and worst.clamped == "floor"
    assert "максимумом" in best.explain() and "минимума" in worst.explain()


def test_tables_can_be_replaced() -> None:
    tables = CapacityTables(bases={RoleGroup.FARMER: RoleBase(base=20, floor=10, hard_max=25)})
    assert client_capacity(RoleGroup.FARMER, Drivers(), tables=tables).clients == 20


LEVEL = st.one_of(st.none(), st.integers(-3, 9))


@given(st.sampled_from(list(RoleGroup)), st.tuples(LEVEL, LEVEL, LEVEL, LEVEL, LEVEL))
def test_capacity_always_stays_within_the_role_bounds(
    group: RoleGroup, levels: tuple[int | None, int | None, int | None, int | None, int | None]
) -> None:
    cap = client_capacity(group, Drivers(*levels))
    bounds = CapacityTables().bases[group]
    assert bounds.floor <= cap.clients <= bounds.hard_max
