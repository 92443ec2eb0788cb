"""The pure domain types: eligibility, ABC tiers, role groups."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientbase.core.types import (
    ClientProfile,
    Eligibility,
    Principle,
    Role,
    RoleGroup,
    Tier,
    abc_tiers,
    roles_allowed,
)


def test_an_empty_or_star_list_allows_any_value() -> None:
    e = Eligibility.parse({Principle.REGION: "*", Principle.INDUSTRY: "", Principle.TIER: None})
    assert e.allows(Principle.REGION, "Москва")
    assert e.allows(Principle.INDUSTRY, None)
    assert e.allows(Principle.TIER, "VIP")


def test_a_list_allows_only_its_values_ignoring_case_and_spaces() -> None:
    e = Eligibility.parse({Principle.REGION: " Москва ; Центр"})
    assert e.allows(Principle.REGION, "москва")
    assert e.allows(Principle.REGION, "Центр")
    assert not e.allows(Principle.REGION, "Урал")
    assert not e.allows(Principle.REGION, None)


def test_principles_combine_with_and() -> None:
    """The worked example: the government manager serves Moscow AND government only."""
    gov = Eligibility.parse({Principle.REGION: "Москва", Principle.OWNERSHIP: "Государственная"})
    moscow_gov = ClientProfile(
        id=1, name="x", tier=Tier.A, potential=1, region="Москва", ownership="Государственная"
    )
    moscow_com = ClientProfile(
        id=2, name="y", tier=Tier.A, potential=1, region="Москва", ownership="Коммерческая"
    )
    ural_gov = ClientProfile(
        id=3, name="z", tier=Tier.A, potential=1, region="Урал", ownership="Государственная"
    )
    assert gov.admits(moscow_gov.segment())
    assert not gov.admits(moscow_com.segment())
    assert not gov.admits(ural_gov.segment())


def test_render_gives_back_a_sorted_list_or_a_star() -> None:
    e = Eligibility.parse({Principle.REGION: "Урал;Москва"})
    assert e.render(Principle.REGION) == "Москва;Урал"
    assert e.render(Principle.TIER) == "*"


def test_abc_gives_a_to_the_clients_making_the_first_80_percent() -> None:
    tiers = abc_tiers({1: 800.0, 2: 100.0, 3: 60.0, 4: 40.0})
    assert tiers == {1: Tier.A, 2: Tier.B, 3: Tier.B, 4: Tier.C}


def test_abc_on_no_revenue_makes_everybody_c() -> None:
    assert abc_tiers({1: 0.0, 2: 0.0}) == {1: Tier.C, 2: Tier.C}


@given(st.dictionaries(st.integers(0, 500), st.floats(0, 1e9), min_size=1, max_size=60))
def test_abc_tiers_are_monotone_in_revenue(revenues: dict[int, float]) -> None:
    tiers = abc_tiers(revenues)
    order = {Tier.A: 0, Tier.B: 1, Tier.C: 2}
    for a, ra in revenues.items():
        for b, rb in revenues.items():
            if ra > rb:
                assert order[tiers[a]] <= order[tiers[b]]


@pytest.mark.parametrize(
    ("group", "role", "allowed"),
    [
        (RoleGroup.HUNTER, Role.ACQUISITION, True),
        (RoleGroup.HUNTER, Role.ACCOUNT, False),
        (RoleGroup.FARMER, Role.ACCOUNT, True),
        (RoleGroup.FARMER, Role.ACQUISITION, False),
        (RoleGroup.SERVICE, Role.SERVICE, True),
        (RoleGroup.SERVICE, Role.ACCOUNT, False),
        (RoleGroup.HEAD, Role.ACCOUNT, True),
    ],
)
def test_hunters_and_farmers_are_kept_apart(group: RoleGroup, role: Role, allowed: bool) -> None:
    assert (role in roles_allowed(group)) is allowed
