"""Capacity in clients: base by role × drivers, clamped to the role's bounds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientbase.core.capacity import (
    DEFAULT_TABLES,
    CapacityTables,
    Drivers,
    RoleBase,
    client_capacity,
    selling_hours,
    service_hours,
    tables_from_dict,
    tables_to_dict,
    weighted_clients,
)
from clientbase.core.types import RoleGroup, Tier
from clientbase.errors import BadInputError


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


DRIVERS = ("complexity", "readiness", "support", "tools", "grade")


@given(
    st.sampled_from(list(RoleGroup)),
    st.tuples(*[st.integers(1, 5)] * 5),
    st.sampled_from(DRIVERS),
)
def test_capacity_is_monotone_in_each_driver(
    group: RoleGroup, levels: tuple[int, int, int, int, int], driver: str
) -> None:
    values = dict(zip(DRIVERS, levels, strict=True))
    step = -1 if driver == "complexity" else 1  # the direction that raises capacity
    before = client_capacity(group, Drivers(**values)).clients
    values[driver] = min(5, max(1, values[driver] + step))
    after = client_capacity(group, Drivers(**values)).clients
    assert after >= before


@pytest.mark.parametrize(
    ("tier", "complexity", "hours"),
    [("VIP", 3, 4.0), ("A", 3, 2.0), ("B", 3, 1.0), ("C", 3, 0.5), ("VIP", 5, 6.0), ("C", 1, 0.3)],
)
def test_default_service_hours_follow_tier_and_complexity(
    tier: str, complexity: int, hours: float
) -> None:
    assert service_hours(tier, complexity) == hours


def test_more_complex_products_need_more_hours_for_every_tier() -> None:
    for tier in Tier:
        row = [service_hours(tier, level) for level in range(1, 6)]
        assert row == sorted(row) and row[0] < row[-1]


def test_a_vip_client_takes_three_slots() -> None:
    assert weighted_clients({Tier.VIP: 2, Tier.A: 1, "C": 4}) == 11


def test_selling_hours_default_to_120_unless_the_manager_has_his_own() -> None:
    assert selling_hours(None) == 120.0
    assert selling_hours(80) == 80.0


def test_tables_survive_a_round_trip_through_plain_data() -> None:
    assert tables_from_dict(tables_to_dict()) == DEFAULT_TABLES


def test_a_settings_file_changes_only_the_tables_it_names() -> None:
    tables = tables_from_dict(
        {"bases": {"farmer": {"base": 30, "floor": 20, "hard_max": 45}}, "selling_hours": 100}
    )
    assert client_capacity(RoleGroup.FARMER, Drivers(), tables=tables).clients == 30
    assert tables.selling_hours == 100.0
    assert tables.complexity == DEFAULT_TABLES.complexity


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"bogus": 1}, "неизвестные разделы bogus"),
        ({"complexity": [1, 2, 3]}, "уровней 1–5"),
        ({"tools": {"1": 1, "2": 1, "3": 1, "4": 1, "5": -1}}, "уровень 5"),
        (
            {"bases": {"farmer": {"base": 40, "floor": 70, "hard_max": 60}}},
            "floor ≤ base ≤ hard_max",
        ),
    ],
)
def test_a_bad_settings_file_is_rejected_saying_where(data: dict[str, object], words: str) -> None:
    with pytest.raises(BadInputError, match=words):
        tables_from_dict(data)
