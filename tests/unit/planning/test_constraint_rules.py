"""Each hard rule alone on tiny instances: a feasible case and an infeasible one."""

from __future__ import annotations

from planning_factories import client, instance, manager

from clientbase.core.types import Role, RoleGroup, Tier
from clientbase.planning.constraints import (
    availability,
    capacity,
    eligibility,
    locks,
    max_moves,
    role_groups,
    tier_grade,
)
from clientbase.planning.schemas import PlanStatus
from clientbase.planning.solve import make_plan
from clientbase.planning.validate import validate


def test_client_goes_to_the_manager_allowed_his_region() -> None:
    inst = instance(
        [manager("SPB", regions="Санкт-Петербург"), manager("MSK", regions="Москва")],
        [client("C1", region="Москва")],
    )

    plan = make_plan(inst)

    assert plan.assignment == {"C1": "MSK"}
    assert plan.status in (PlanStatus.OPTIMAL, PlanStatus.FEASIBLE)
    assert validate(inst, plan) == []


def test_eligibility_check_names_the_refused_pair() -> None:
    inst = instance([manager("SPB", regions="Санкт-Петербург")], [client("C1")])

    found = eligibility.check(inst, {"C1": "SPB"})

    assert [(v.rule, v.client_id, v.manager_id) for v in found] == [("eligibility", "C1", "SPB")]
    assert "Москва" in found[0].message


def test_client_nobody_may_serve_gets_an_allow_segment_fix() -> None:
    inst = instance([manager("SPB", regions="Санкт-Петербург")], [client("C1")])

    plan = make_plan(inst)

    assert plan.status is PlanStatus.PARTIAL
    assert plan.assignment == {"C1": None}
    assert plan.diagnosis is not None
    assert plan.diagnosis.binding == ("eligibility",)
    fix = plan.diagnosis.fixes[0]
    assert (fix.kind, fix.manager_id, fix.principle, fix.value) == (
        "allow_segment",
        "SPB",
        "region",
        "Москва",
    )


def test_capacity_in_clients_is_never_exceeded() -> None:
    inst = instance(
        [manager("A", capacity=2), manager("B", capacity=1)],
        [client(f"C{i}") for i in range(3)],
    )

    plan = make_plan(inst)

    assert plan.unassigned == 0
    assert plan.managers["A"].clients == 2
    assert plan.managers["B"].clients == 1
    assert capacity.check(inst, plan.assignment) == []


def test_too_many_clients_ask_to_raise_capacity_by_the_shortage() -> None:
    inst = instance([manager("A", capacity=2)], [client(f"C{i}") for i in range(5)])

    plan = make_plan(inst)

    assert plan.unassigned == 3
    assert plan.diagnosis is not None
    assert plan.diagnosis.binding == ("capacity_clients",)
    raise_fix = next(f for f in plan.diagnosis.fixes if f.kind == "raise_capacity")
    assert (raise_fix.manager_id, raise_fix.amount) == ("A", 3.0)


def test_capacity_in_hours_is_never_exceeded() -> None:
    inst = instance(
        [manager("A", hours=10.0), manager("B", hours=10.0)],
        [client(f"C{i}", hours=6.0) for i in range(3)],
    )

    plan = make_plan(inst)

    assert plan.unassigned == 1
    assert plan.diagnosis is not None
    assert plan.diagnosis.binding == ("capacity_hours",)
    for stats in plan.managers.values():
        assert stats.hours <= 10.0
    assert capacity.check(inst, {"C0": "A", "C1": "A"})[0].rule == "capacity_hours"


def test_vip_goes_only_to_a_senior_manager_or_the_head() -> None:
    inst = instance(
        [manager("JUNIOR", grade=2), manager("SENIOR", grade=4)],
        [client("VIP1", tier=Tier.VIP, potential=1000.0)],
    )

    plan = make_plan(inst)

    assert plan.assignment == {"VIP1": "SENIOR"}
    assert tier_grade.check(inst, {"VIP1": "JUNIOR"})[0].rule == "tier_grade"


def test_head_of_sales_may_take_vip_whatever_his_grade() -> None:
    inst = instance(
        [manager("HEAD", group=RoleGroup.HEAD, grade=1), manager("JUNIOR", grade=2)],
        [client("VIP1", tier=Tier.VIP)],
    )

    plan = make_plan(inst)

    assert plan.assignment == {"VIP1": "HEAD"}


def test_vip_with_only_juniors_is_diagnosed_as_a_grade_problem() -> None:
    inst = instance([manager("JUNIOR", grade=2)], [client("VIP1", tier=Tier.VIP)])

    plan = make_plan(inst)

    assert plan.diagnosis is not None
    assert plan.diagnosis.binding == ("tier_grade",)
    assert plan.diagnosis.fixes[0].manager_id == "JUNIOR"


def test_hunters_never_get_account_clients() -> None:
    inst = instance(
        [manager("HUNTER", group=RoleGroup.HUNTER), manager("FARMER")],
        [client(f"C{i}") for i in range(4)],
    )

    plan = make_plan(inst)

    assert set(plan.assignment.values()) == {"FARMER"}
    assert role_groups.check(inst, {"C0": "HUNTER"})[0].rule == "role_group"


def test_planning_acquisition_gives_clients_to_hunters_only() -> None:
    inst = instance(
        [manager("HUNTER", group=RoleGroup.HUNTER), manager("FARMER")],
        [client("P1")],
        role=Role.ACQUISITION,
    )

    plan = make_plan(inst)

    assert plan.assignment == {"P1": "HUNTER"}


def test_locked_client_keeps_its_owner_even_against_balance() -> None:
    inst = instance(
        [manager("A"), manager("B")],
        [
            client("BIG", potential=1000.0, owner_id="A", locked=True),
            client("SMALL", potential=10.0, owner_id="A", locked=True),
        ],
    )

    plan = make_plan(inst)

    assert plan.assignment == {"BIG": "A", "SMALL": "A"}
    assert locks.check(inst, {"BIG": "B", "SMALL": "A"})[0].client_id == "BIG"


def test_client_locked_to_an_inactive_owner_asks_to_unlock() -> None:
    inst = instance(
        [manager("GONE", active=False), manager("B")],
        [client("C1", owner_id="GONE", locked=True)],
    )

    plan = make_plan(inst)

    assert plan.assignment == {"C1": None}
    assert plan.diagnosis is not None
    assert plan.diagnosis.binding == ("lock",)
    assert plan.diagnosis.fixes[0].kind == "unlock"


def test_inactive_and_absent_managers_get_nothing() -> None:
    inst = instance(
        [manager("GONE", active=False), manager("AWAY", absent=True), manager("HERE")],
        [client("C1", owner_id="GONE"), client("C2", owner_id="AWAY"), client("C3")],
    )

    plan = make_plan(inst)

    assert set(plan.assignment.values()) == {"HERE"}
    assert plan.moves == 2
    assert [v.rule for v in availability.check(inst, {"C1": "GONE"})] == ["availability"]


def test_move_limit_keeps_owners_when_balance_alone_asks_for_moves() -> None:
    inst = instance(
        [manager("A"), manager("B")],
        [client(f"C{i}", owner_id="A") for i in range(4)],
        max_moves=1,
    )

    plan = make_plan(inst)

    assert plan.moves <= 1
    assert max_moves.check(inst, plan.assignment) == []


def test_move_limit_below_the_unavoidable_moves_is_diagnosed() -> None:
    inst = instance(
        [manager("GONE", active=False), manager("B")],
        [client("C1", owner_id="GONE"), client("C2", owner_id="GONE")],
        max_moves=1,
    )

    plan = make_plan(inst)

    assert plan.unassigned == 1
    assert plan.diagnosis is not None
    assert plan.diagnosis.binding == ("max_moves",)
    assert plan.diagnosis.fixes[0].amount == 2.0
    assert max_moves.check(inst, {"C1": "B", "C2": "B"})[0].rule == "max_moves"
