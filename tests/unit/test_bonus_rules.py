"""Motivation schemes: thresholds, rates per segment, bonuses, rounding, the docs example."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from clientbase.core import bonus as bn
from clientbase.core import credit as cr
from clientbase.core.bonus import MonthFacts
from clientbase.core.credit import TeamDeal
from clientbase.errors import BadInputError

FARMERS = bn.DEFAULT_SCHEMES.scheme_for(2, "farmer", None)
HUNTERS = bn.DEFAULT_SCHEMES.scheme_for(3, "hunter", None)
SERVICE = bn.DEFAULT_SCHEMES.scheme_for(4, "service", None)
PLAN = 100_000_00  # 100 000 roubles in kopecks


def amounts(lines: list[bn.Line]) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in lines:
        key = line.code if line.code != "volume" else f"volume:{line.title}"
        out[key] = out.get(key, 0) + line.amount_kopecks
    return out


def test_default_schemes_exist_for_every_role_group() -> None:
    for group in bn.ROLE_GROUPS:
        assert bn.DEFAULT_SCHEMES.scheme_for(1, group, None) is not None
    assert bn.parse_schemes(bn.schemes_to_data(bn.DEFAULT_SCHEMES)) == bn.DEFAULT_SCHEMES


@pytest.mark.parametrize(
    ("credited", "rate"),
    [
        (0, 0),
        (79_999_99, 0),  # 79.99999 % of plan: below the first threshold
        (80_000_00, 3),  # exactly 80 %: the step is reached
        (99_999_99, 3),
        (100_000_00, 5),  # exactly 100 %
        (250_000_00, 5),
    ],
)
def test_the_rate_follows_the_attainment_step_reached(credited: int, rate: int) -> None:
    assert FARMERS is not None
    lines = bn.month_bonus(FARMERS, MonthFacts("2026-10", {"B": credited}, PLAN))
    volume = [x for x in lines if x.code == "volume"]
    assert [x.rate for x in volume] == [rate]
    exact = Decimal(credited) * rate / 100
    assert volume[0].amount_kopecks == int(exact.quantize(Decimal(1), ROUND_HALF_UP))
    if credited == 99_999_99:
        assert "выполнение плана 99,9 % → ступень от 80 %" in volume[0].threshold


def test_rates_differ_per_segment_on_the_same_step() -> None:
    assert FARMERS is not None
    facts = MonthFacts("2026-10", {"VIP": 50_000_00, "A": 40_000_00}, PLAN)
    lines = [x for x in bn.month_bonus(FARMERS, facts) if x.code == "volume"]
    # 90 % of plan → step «from 80 %»: VIP 2 %, the rest 3 %.
    assert [(x.title, x.rate, x.amount_kopecks) for x in lines] == [
        ("% от зачтённого объёма (значимость: A)", 3.0, 1_200_00),
        ("% от зачтённого объёма (значимость: VIP)", 2.0, 1_000_00),
    ]
    assert "выполнение плана 90 % → ступень от 80 %" in lines[0].threshold


def test_each_line_is_rounded_half_up_to_the_kopeck() -> None:
    scheme = bn.parse_schemes(
        {"schemes": [{"role_group": "service", "volume_steps": [{"from": 0, "rate": 5}]}]}
    ).schemes[0]
    # 5 % of 0.10 = 0.005 → 0.01; 5 % of 333.33 = 16.6665 → 16.67; 5 % of 0.09 = 0.0045 → 0.00
    for base, expected in ((10, 1), (33_333, 1_667), (9, 0)):
        lines = bn.month_bonus(scheme, MonthFacts("2026-10", {None: base}, None))
        assert lines[1].amount_kopecks == expected


def test_without_a_plan_the_first_step_applies() -> None:
    assert FARMERS is not None and SERVICE is not None
    farmer = bn.month_bonus(FARMERS, MonthFacts("2026-10", {"A": 1_000_000_00}, None))
    assert farmer[1].rate == 0 and farmer[1].threshold == "плана нет → первая ступень"
    service = bn.month_bonus(SERVICE, MonthFacts("2026-10", {None: 1_000_000_00}, None))
    assert service[1].amount_kopecks == 10_000_00  # flat 1 %


def test_a_hunter_is_paid_per_new_client() -> None:
    assert HUNTERS is not None
    lines = bn.month_bonus(HUNTERS, MonthFacts("2026-10", {}, PLAN, new_clients=3))
    assert amounts(lines)["new_clients"] == 3 * 5_000_00


@pytest.mark.parametrize(
    ("retention", "paid"), [(0.75, True), (0.70, True), (0.6999, False), (None, False)]
)
def test_the_retention_bonus_is_paid_from_the_level_on(retention: float | None, paid: bool) -> None:
    assert FARMERS is not None
    facts = MonthFacts("2026-10", {}, PLAN, retention=retention)
    line = next(x for x in bn.month_bonus(FARMERS, facts) if x.code == "retention")
    assert line.amount_kopecks == (10_000_00 if paid else 0)


def test_named_managers_beat_a_team_and_a_team_beats_the_role_group() -> None:
    schemes = bn.parse_schemes(
        {
            "schemes": [
                {"name": "все фермеры", "role_group": "farmer", "salary": 1},
                {"name": "Юг", "role_group": "farmer", "team": "Юг", "salary": 2},
                {"name": "звёзды", "role_group": "farmer", "managers": [7], "salary": 3},
            ]
        }
    )
    assert schemes.scheme_for(1, "farmer", None).name == "все фермеры"  # type: ignore[union-attr]
    assert schemes.scheme_for(1, "farmer", "Юг").name == "Юг"  # type: ignore[union-attr]
    assert schemes.scheme_for(7, "farmer", "Юг").name == "звёзды"  # type: ignore[union-attr]
    assert schemes.scheme_for(1, "hunter", "Юг") is None
    assert bn.bonus(None, [MonthFacts("2026-10", {}, None)]).total_kopecks == 0


@pytest.mark.parametrize(
    ("scheme", "message"),
    [
        ({"role_group": "boss"}, "role_group"),
        ({"role_group": "farmer", "volume_steps": [{"from": 10, "rate": 1}]}, "с 0 %"),
        (
            {"role_group": "farmer", "volume_steps": [{"from": 0}, {"from": 80}, {"from": 80}]},
            "возрастать",
        ),
        (
            {"role_group": "farmer", "volume_steps": [{"from": 0, "rates": {"VIP": 1}}]},
            "segment_by",
        ),
        ({"role_group": "farmer", "salary": -1}, "≥ 0"),
        ({"role_group": "farmer", "bonus": 1}, "неизвестные ключи bonus"),
        ({"role_group": "farmer", "segment_by": "colour"}, "segment_by"),
        ({"role_group": "farmer", "retention_bonus": {"from": 170, "amount": 1}}, "от 0 до 100"),
        ({"role_group": "farmer", "volume_steps": [{"from": 0, "rate": 101}]}, "не больше 100"),
    ],
)
def test_a_wrong_scheme_is_refused_with_a_reason(scheme: dict[str, object], message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        bn.parse_schemes({"schemes": [scheme]})


def test_the_worked_example_of_the_guide_adds_up() -> None:
    """docs/bonus.md, «Пример, посчитанный вручную»: Анна (2), Сергей (5), Глеб (3)."""
    deals = [
        # «Альфа» (VIP): Анна account, Сергей service; 400 000,01 ₽
        TeamDeal(1, 40_000_001, 2, {"tier": "VIP"}, {"account": 2, "service": 5}),
        # «Бета» (B): no service engineer; 500 000 ₽
        TeamDeal(2, 50_000_000, 2, {"tier": "B"}, {"account": 2}),
        # «Гамма» (A): first purchase, closed by the hunter Глеб; 300 000 ₽
        TeamDeal(3, 30_000_000, 3, {"tier": "A"}, {"account": 2}, first_purchase_to=3),
        # «Дельта» (B): Анна account, Сергей service; 200 000 ₽
        TeamDeal(4, 20_000_000, 2, {"tier": "B"}, {"account": 2, "service": 5}),
    ]
    credits = [c for d in deals for c in cr.credit_deal(d, cr.DEFAULT_SPLIT)]
    tiers = {d.deal_id: d.segments["tier"] for d in deals}
    totals = cr.totals(credits, tiers)
    assert totals.by_manager == {2: 92_000_001, 5: 18_000_000, 3: 30_000_000}
    assert totals.total == 140_000_001
    anna = {seg: k for (mid, seg), k in totals.by_manager_segment.items() if mid == 2}
    assert anna == {"VIP": 28_000_001, "B": 64_000_000}
    assert FARMERS is not None and HUNTERS is not None and SERVICE is not None
    a = bn.bonus(FARMERS, [MonthFacts("2026-10", anna, 1_000_000_00, 0, 0.75)])
    g = bn.bonus(HUNTERS, [MonthFacts("2026-10", {None: 30_000_000}, 250_000_00, 1, None)])
    s = bn.bonus(SERVICE, [MonthFacts("2026-10", {None: 18_000_000}, None)])
    # Анна: 60 000 + 2 % × 280 000,01 (5 600,00) + 3 % × 640 000 (19 200) + 10 000
    assert [x.amount_kopecks for x in a.lines] == [60_000_00, 19_200_00, 5_600_00, 10_000_00]
    assert a.total_kopecks == 94_800_00
    # Глеб: 50 000 + 5 % × 300 000 (120 % of plan) + 1 × 5 000
    assert g.total_kopecks == 70_000_00
    # Сергей: 55 000 + 1 % × 180 000
    assert s.total_kopecks == 56_800_00
    assert Decimal(a.total_kopecks + g.total_kopecks + s.total_kopecks) / 100 == Decimal("221600")
