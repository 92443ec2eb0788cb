"""Credit split inside a client team: shares sum to every deal exactly, vacant roles, hunters."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientbase.core import credit as cr
from clientbase.core.credit import TeamDeal
from clientbase.errors import BadInputError

SPLIT_VIP = cr.parse_split(
    {
        "rules": [
            {
                "name": "VIP",
                "when": {"tier": ["VIP"]},
                "shares": {"account": 60, "service": 30, "admin": 10},
            },
            {"name": "остальные", "shares": {"account": 70, "service": 30}},
        ]
    }
)


def deal(
    amount: int,
    *,
    team: dict[str, int] | None = None,
    responsible: int | None = 1,
    tier: str = "B",
    first_to: int | None = None,
) -> TeamDeal:
    return TeamDeal(7, amount, responsible, {"tier": tier}, team or {}, first_to)


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (10001, ["70", "30"], [7001, 3000]),  # 7000.7 + 3000.3: the kopeck to the largest share
        (10000, ["70", "30"], [7000, 3000]),
        (10000, ["33.33", "33.33", "33.34"], [3333, 3333, 3334]),
        (100, ["1", "1", "1"], [34, 33, 33]),  # equal shares: the first gets the remainder
        (1, ["30", "70"], [0, 1]),
        (0, ["70", "30"], [0, 0]),
        (3, ["25", "25", "25", "25"], [3, 0, 0, 0]),
    ],
)
def test_split_rounds_down_and_gives_the_remainder_to_the_largest_share(
    total: int, weights: list[str], expected: list[int]
) -> None:
    assert cr.split_kopecks(total, [Decimal(w) for w in weights]) == expected


@given(
    total=st.integers(min_value=0, max_value=10**14),
    weights=st.lists(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2),
        min_size=1,
        max_size=6,
    ),
)
def test_split_parts_always_sum_to_the_total_and_are_never_negative(
    total: int, weights: list[Decimal]
) -> None:
    parts = cr.split_kopecks(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    whole = sum(weights)
    largest = max(range(len(weights)), key=lambda i: (weights[i], -i))
    for i, (p, w) in enumerate(zip(parts, weights, strict=True)):
        exact = Decimal(total) * w / whole
        if i == largest:
            assert exact - 1 < p < exact + len(weights)
        else:
            assert exact - 1 < p <= exact


ROLE_SETS = st.dictionaries(
    st.sampled_from(cr.ROLES), st.integers(min_value=1, max_value=5), max_size=5
)


@given(
    amount=st.integers(min_value=0, max_value=10**13),
    team=ROLE_SETS,
    responsible=st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
    tier=st.sampled_from(["VIP", "A", "B", "C"]),
    first_to=st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
    shares=st.lists(st.integers(min_value=0, max_value=100), min_size=5, max_size=5).filter(
        lambda xs: sum(xs) > 0
    ),
)
def test_every_deal_is_credited_exactly_once_whatever_the_team(
    amount: int,
    team: dict[str, int],
    responsible: int | None,
    tier: str,
    first_to: int | None,
    shares: list[int],
) -> None:
    # Turn random integers into percents (hundredths) that sum to exactly 100.
    total = sum(shares)
    hundredths = [s * 10_000 // total for s in shares]
    hundredths[shares.index(max(shares))] += 10_000 - sum(hundredths)
    pct = [Decimal(h) / 100 for h in hundredths]
    data = {"rules": [{"shares": {r: str(p) for r, p in zip(cr.ROLES, pct, strict=True)}}]}
    table = cr.parse_split(data)
    credits = cr.credit_deal(
        deal(amount, team=team, responsible=responsible, tier=tier, first_to=first_to), table
    )
    assert sum(c.kopecks for c in credits) == amount
    assert all(c.kopecks >= 0 for c in credits)
    for c in credits:
        if c.reason == cr.BY_ROLE:
            assert c.role is not None and team[c.role] == c.manager_id
        elif c.reason == cr.NOBODY_IN_ROLE:
            assert c.role not in team and c.manager_id == responsible
        elif c.reason == cr.UNASSIGNED:
            assert c.manager_id is None and responsible is None and c.role not in team
        else:
            assert c.reason == cr.FIRST_PURCHASE and c.manager_id == first_to
    totals = cr.totals(credits)
    assert sum(totals.by_manager.values()) + totals.unassigned == amount


def test_account_and_service_share_a_deal_seventy_thirty() -> None:
    credits = cr.credit_deal(deal(40_000_001, team={"account": 1, "service": 2}), cr.DEFAULT_SPLIT)
    assert [(c.manager_id, c.role, c.kopecks) for c in credits] == [
        (1, "account", 28_000_001),
        (2, "service", 12_000_000),
    ]


def test_a_vacant_role_gives_its_share_to_the_deals_responsible_manager() -> None:
    credits = cr.credit_deal(deal(50_000_000, team={"account": 3}, responsible=3), cr.DEFAULT_SPLIT)
    assert [(c.manager_id, c.reason) for c in credits] == [(3, cr.BY_ROLE), (3, cr.NOBODY_IN_ROLE)]
    assert cr.totals(credits).by_manager == {3: 50_000_000}


def test_a_vacant_role_of_a_deal_without_responsible_stays_unassigned() -> None:
    credits = cr.credit_deal(deal(1000, team={"account": 3}, responsible=None), cr.DEFAULT_SPLIT)
    totals = cr.totals(credits)
    assert totals.by_manager == {3: 700}
    assert totals.unassigned == 300


def test_the_first_purchase_goes_whole_to_the_hunter() -> None:
    credits = cr.credit_deal(
        deal(30_000_000, team={"account": 1, "service": 2}, responsible=4, first_to=4),
        cr.DEFAULT_SPLIT,
    )
    assert [(c.manager_id, c.kopecks, c.reason) for c in credits] == [
        (4, 30_000_000, cr.FIRST_PURCHASE)
    ]


def test_the_first_matching_rule_decides_by_tier() -> None:
    team = {"account": 1, "service": 2, "admin": 3}
    vip = cr.totals(cr.credit_deal(deal(1000, team=team, tier="VIP"), SPLIT_VIP)).by_manager
    other = cr.totals(cr.credit_deal(deal(1000, team=team, tier="A"), SPLIT_VIP)).by_manager
    assert vip == {1: 600, 2: 300, 3: 100}
    assert other == {1: 700, 2: 300}


def test_a_split_table_survives_its_json_form() -> None:
    assert cr.parse_split(cr.split_to_data(SPLIT_VIP)) == SPLIT_VIP
    assert cr.split_to_data(cr.DEFAULT_SPLIT) == cr.DEFAULT_SPLIT_DATA


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rules": [{"shares": {"account": 70, "service": 20}}]}, "ровно 100"),
        ({"rules": [{"shares": {"boss": 100}}]}, "неизвестная роль «boss»"),
        ({"rules": [{"shares": {"account": 120, "service": -20}}]}, "от 0 до 100"),
        ({"rules": [{"when": {"tier": "VIP"}, "shares": {"account": 100}}]}, "последнее правило"),
        (
            {
                "rules": [
                    {"when": {"colour": "red"}, "shares": {"account": 100}},
                    {"shares": {"account": 100}},
                ]
            },
            "неизвестному полю «colour»",
        ),
        ({"rules": []}, "хотя бы одно"),
        ({"rules": [{"shares": {"account": "много"}}]}, "не число"),
        ([1, 2], "rules"),
    ],
)
def test_a_wrong_split_table_is_refused_with_a_reason(data: object, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        cr.parse_split(data)
