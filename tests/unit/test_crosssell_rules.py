"""Cross-sell routing (core): the load threshold, who takes over, segments, the rule table."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientbase.core.crosssell import (
    DEFAULT_RULES,
    CrossSellRules,
    Person,
    Takeover,
    may_serve,
    route,
    rules_from_dict,
    rules_to_dict,
)
from clientbase.core.types import Eligibility, Principle, RoleGroup
from clientbase.errors import BadInputError

MOSCOW_B: dict[Principle, str | None] = {
    Principle.REGION: "Москва",
    Principle.TIER: "B",
    Principle.OWNERSHIP: "Коммерческая",
    Principle.PRODUCT_LINE: "Серверы",
}
MOSCOW_VIP = {**MOSCOW_B, Principle.TIER: "VIP"}


def person(
    id: int,
    group: RoleGroup = RoleGroup.FARMER,
    *,
    grade: int = 3,
    growth: float = 50.0,
    hours: float = 20.0,
    util: float = 80.0,
    regions: str = "*",
    available: bool = True,
    open_cross_sell: int = 0,
) -> Person:
    return Person(
        id=id,
        name=f"М{id}",
        group=group,
        grade=grade,
        available=available,
        eligibility=Eligibility.parse({Principle.REGION: regions}),
        utilization=util,
        photo_hours=hours,
        growth_share=growth,
        open_cross_sell=open_cross_sell,
    )


ACCOUNT = person(1, growth=50.0)  # operations 50 %
HUNTER = person(2, RoleGroup.HUNTER, grade=2, growth=0.0, util=60.0)
SENIOR = person(3, grade=4, growth=60.0, util=70.0)  # operations 40 %


@pytest.mark.parametrize(
    ("growth", "keeps"),
    [
        (50.0, True),  # operations 50 % ≤ 70 %
        (30.0, True),  # exactly at the threshold: keeps it
        (29.9, False),  # 70.1 % > 70 %
        (5.0, False),
    ],
)
def test_the_account_manager_keeps_the_opportunity_up_to_the_threshold(
    growth: float, keeps: bool
) -> None:
    account = replace(ACCOUNT, growth_share=growth)
    decision = route(MOSCOW_B, account, [account, HUNTER, SENIOR])
    assert (decision.manager_id == account.id) is keeps
    assert decision.kind == ("account" if keeps else "hunter")
    assert ("≤ порога 70 %" if keeps else "> порога 70 %") in decision.reason


def test_an_overloaded_account_manager_loses_it_to_the_least_loaded_hunter() -> None:
    busy = replace(ACCOUNT, growth_share=10.0)
    other = person(4, RoleGroup.HUNTER, grade=2, util=40.0)
    decision = route(MOSCOW_B, busy, [busy, HUNTER, other, SENIOR])
    assert decision.manager_id == 4 and decision.kind == "hunter"
    assert "90 % > порога 70 %" in decision.reason and "40 % ёмкости" in decision.reason


def test_equal_loads_go_to_whoever_holds_fewer_cross_sell_deals() -> None:
    busy = replace(ACCOUNT, growth_share=10.0)
    first = replace(HUNTER, open_cross_sell=3)
    second = person(5, RoleGroup.HUNTER, util=60.0, open_cross_sell=1)
    assert route(MOSCOW_B, busy, [busy, first, second]).manager_id == 5


def test_the_rule_table_may_send_it_to_a_senior_account_manager_first() -> None:
    busy = replace(ACCOUNT, growth_share=10.0)
    rules = rules_from_dict({"takeover": ["senior_farmer", "hunter"]})
    decision = route(MOSCOW_B, busy, [busy, HUNTER, SENIOR], rules)
    assert decision.manager_id == SENIOR.id and decision.kind == "senior_farmer"


def test_a_senior_below_the_grade_or_absorbed_himself_is_skipped() -> None:
    busy = replace(ACCOUNT, growth_share=10.0)
    rules = rules_from_dict({"takeover": "senior_farmer"})
    junior = person(6, grade=3, growth=90.0)
    absorbed = person(7, grade=5, growth=5.0)
    decision = route(MOSCOW_B, busy, [busy, junior, absorbed], rules)
    assert decision.manager_id == busy.id and decision.kind == "account"
    assert "передать некому" in decision.reason and "выше порога: 1" in decision.reason


def test_nobody_outside_the_clients_segment_takes_it() -> None:
    busy = replace(ACCOUNT, growth_share=10.0)
    south = person(8, RoleGroup.HUNTER, regions="Юг")
    decision = route(MOSCOW_B, busy, [busy, south])
    assert decision.manager_id == busy.id
    assert "никто не ведёт сегмент" in decision.reason


def test_a_vip_client_goes_only_to_grade_4_and_above() -> None:
    busy = replace(ACCOUNT, growth_share=10.0, grade=4)
    decision = route(MOSCOW_VIP, busy, [busy, HUNTER, SENIOR])
    assert decision.manager_id == SENIOR.id and decision.kind == "senior_farmer"


def test_an_absent_account_manager_hands_it_over_and_nobody_at_all_leaves_it_unrouted() -> None:
    away = replace(ACCOUNT, available=False)
    assert route(MOSCOW_B, away, [away, HUNTER]).manager_id == HUNTER.id
    absent_hunter = replace(HUNTER, available=False)
    decision = route(MOSCOW_B, away, [away, absent_hunter])
    assert decision.manager_id is None and decision.kind == "none"
    assert "отсутствуют (1)" in decision.reason
    assert route(MOSCOW_B, None, [HUNTER]).reason.startswith("у клиента нет аккаунт-менеджера")


def test_a_photo_with_too_few_hours_keeps_it_with_the_account_manager() -> None:
    silent = replace(ACCOUNT, growth_share=0.0, photo_hours=3.0)
    decision = route(MOSCOW_B, silent, [silent, HUNTER])
    assert decision.manager_id == silent.id and "нагрузку не оценить" in decision.reason


def test_a_segment_rule_changes_threshold_and_takeover_for_matching_clients() -> None:
    rules = rules_from_dict(
        {
            "segments": [
                {"name": "VIP", "tier": "vip", "threshold": 40, "takeover": ["senior_farmer"]},
                {"name": "Серверы", "product_line": ["Серверы", "СХД"], "threshold": 90},
            ]
        }
    )
    account = replace(ACCOUNT, growth_share=50.0, grade=4)  # operations 50 %
    vip = route(MOSCOW_VIP, account, [account, HUNTER, SENIOR], rules)
    assert vip.manager_id == SENIOR.id and vip.segment_rule == "VIP"
    assert "правило «VIP»" in vip.reason
    busy = replace(ACCOUNT, growth_share=15.0)  # operations 85 % ≤ 90 %
    servers = route(MOSCOW_B, busy, [busy, HUNTER], rules)
    assert servers.manager_id == busy.id and servers.segment_rule == "Серверы"
    laptops = route({**MOSCOW_B, Principle.PRODUCT_LINE: "Ноутбуки"}, busy, [busy, HUNTER], rules)
    assert laptops.manager_id == HUNTER.id and laptops.segment_rule is None


def test_the_rule_table_round_trips_and_defaults_are_documented() -> None:
    assert DEFAULT_RULES.threshold == 70.0
    assert DEFAULT_RULES.takeover == (Takeover.HUNTER, Takeover.SENIOR_FARMER)
    assert DEFAULT_RULES.senior_grade == 4 and DEFAULT_RULES.window_days == 30
    rules = rules_from_dict(
        {
            "threshold": 65,
            "takeover": "senior_farmer",
            "senior_grade": 5,
            "window_days": 14,
            "min_hours": 4,
            "segments": [{"name": "Юг", "region": "Юг", "takeover": "hunter"}],
        }
    )
    assert rules_from_dict(rules_to_dict(rules)) == rules
    assert rules_from_dict({}) == CrossSellRules()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"threshold": 170}, "threshold"),
        ({"takeover": "farmer"}, "hunter или senior_farmer"),
        ({"senior_grade": 9}, "senior_grade"),
        ({"window_days": 0}, "window_days"),
        ({"min_hours": -1}, "min_hours"),
        ({"segments": [{"name": "пусто"}]}, "хотя бы одно условие"),
        ({"segments": [{"city": "Москва"}]}, "неизвестные поля city"),
        ({"limit": 1}, "неизвестные ключи limit"),
    ],
)
def test_a_bad_rule_table_is_refused_with_the_reason(data: object, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        rules_from_dict(data)


_people = st.builds(
    person,
    st.integers(min_value=1, max_value=40),
    st.sampled_from([RoleGroup.FARMER, RoleGroup.HUNTER, RoleGroup.HEAD, RoleGroup.SERVICE]),
    grade=st.integers(min_value=1, max_value=5),
    growth=st.floats(min_value=0, max_value=100),
    hours=st.sampled_from([0.0, 5.0, 20.0]),
    util=st.floats(min_value=0, max_value=150),
    regions=st.sampled_from(["*", "Москва", "Юг"]),
    available=st.booleans(),
    open_cross_sell=st.integers(min_value=0, max_value=3),
)


@given(
    account=st.one_of(st.none(), _people),
    others=st.lists(_people, max_size=8, unique_by=lambda p: p.id),
    vip=st.booleans(),
    threshold=st.sampled_from([50.0, 70.0, 90.0]),
    order=st.sampled_from([["hunter"], ["senior_farmer"], ["hunter", "senior_farmer"]]),
)
def test_every_decision_keeps_the_rules(
    account: Person | None, others: list[Person], vip: bool, threshold: float, order: list[str]
) -> None:
    rules = rules_from_dict({"threshold": threshold, "takeover": order})
    segment = MOSCOW_VIP if vip else MOSCOW_B
    pool = [p for p in others if account is None or p.id != account.id]
    if account is not None:
        pool.append(account)
    decision = route(segment, account, pool, rules)
    share = account.operational_share(rules) if account is not None else None
    owner_free = account is not None and account.available and (share is None or share <= threshold)
    if owner_free:
        assert account is not None and decision.manager_id == account.id
        assert decision.kind == "account"
        return
    if decision.kind == "none":
        assert decision.manager_id is None
        assert account is None or not account.available
        return
    if decision.kind == "account":
        # Kept only because nobody else qualified.
        assert account is not None and decision.manager_id == account.id
        return
    chosen = next(p for p in pool if p.id == decision.manager_id)
    assert chosen.available and may_serve(chosen, segment)
    assert account is None or chosen.id != account.id
    assert decision.kind in order
    if decision.kind == "hunter":
        assert chosen.group is RoleGroup.HUNTER
    else:
        assert chosen.group is RoleGroup.FARMER and chosen.grade >= rules.senior_grade
        assert (chosen.operational_share(rules) or 0.0) <= threshold
    rivals = [
        p
        for p in pool
        if p.group is chosen.group
        and p.available
        and may_serve(p, segment)
        and (account is None or p.id != account.id)
        and (decision.kind == "hunter" or p.grade >= rules.senior_grade)
        and (decision.kind == "hunter" or (p.operational_share(rules) or 0.0) <= threshold)
    ]
    best = min(rivals, key=lambda p: (p.utilization, p.open_cross_sell, p.id))
    assert chosen.id == best.id
