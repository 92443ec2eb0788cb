"""Conditional role rules, the roles a client needs and the hunter/farmer rule (pure core)."""

from __future__ import annotations

import pytest

from clientbase.core.roles import (
    HUNTER_FARMER_RULE,
    ClientFacts,
    Condition,
    RoleRule,
    Target,
    evaluate,
    handoff_due,
    needed_roles,
    role_violation,
)
from clientbase.core.types import ClientStatus, Role, RoleGroup
from clientbase.errors import BadInputError

ONE_OFF_SMALL = ClientFacts(1, status=ClientStatus.ACTIVE, tier="C", purchases=800, won_deals=1)
ONE_OFF_BIG = ClientFacts(2, status=ClientStatus.ACTIVE, tier="B", purchases=5000, won_deals=1)
REGULAR = ClientFacts(3, status=ClientStatus.ACTIVE, tier="A", purchases=900, won_deals=7)
VIP = ClientFacts(4, status=ClientStatus.ACTIVE, tier="VIP", purchases=9e6, won_deals=30)
FACTORY = ClientFacts(
    5, status=ClientStatus.ACTIVE, tier="B", industry="Промышленность", won_deals=3
)
PROSPECT = ClientFacts(6, status=ClientStatus.PROSPECT, tier="C", region="Москва")

# The three examples of the issue, as a head of sales would write them in a file.
PHONE = Target("manager", "17")
ISSUE_RULES = [
    RoleRule(
        "Телефонная служба продаёт разовым мелким",
        Role.SALES,
        PHONE,
        Condition.parse("won_deals=1; purchases<1000"),
        priority=10,
    ),
    RoleRule(
        "Телефонная служба администрирует остальных",
        Role.ADMIN,
        PHONE,
        Condition.parse("status=active|dormant"),
        priority=20,
    ),
    RoleRule(
        "VIP ведёт руководитель",
        Role.ACCOUNT,
        Target.parse("group:head"),
        Condition.parse("tier=VIP"),
        priority=5,
    ),
    RoleRule(
        "Промышленным — сервисный инженер",
        Role.SERVICE,
        Target.parse("group:service"),
        Condition.parse("industry=промышленность"),
        priority=30,
    ),
]


@pytest.mark.parametrize(
    ("text", "facts", "expected"),
    [
        ("tier=VIP", VIP, True),
        ("tier=VIP", REGULAR, False),
        ("tier=VIP|A", REGULAR, True),
        ("tier!=VIP", REGULAR, True),
        ("purchases<1000", ONE_OFF_SMALL, True),
        ("purchases<1000", ONE_OFF_BIG, False),
        ("purchases>=1000", ONE_OFF_BIG, True),
        ("won_deals<=1; purchases<1000", ONE_OFF_SMALL, True),
        ("won_deals<=1; purchases<1000", REGULAR, False),
        ("won_deals=1", ONE_OFF_BIG, True),
        ("won_deals!=1", REGULAR, True),
        ("industry=ПРОМЫШЛЕННОСТЬ", FACTORY, True),
        ("industry=Промышленность", REGULAR, False),  # no industry matches no list
        ("industry!=Промышленность", REGULAR, True),
        ("status=prospect; region=Москва", PROSPECT, True),
        ("status=active", PROSPECT, False),
        ("*", PROSPECT, True),
        ("", VIP, True),
        ('{"tier": ["VIP"], "won_deals": {"gte": 10}}', VIP, True),
        ('{"tier": "VIP", "purchases": {"lt": 1000}}', VIP, False),
    ],
)
def test_a_condition_matches_exactly_the_clients_it_describes(
    text: str, facts: ClientFacts, expected: bool
) -> None:
    assert Condition.parse(text).matches(facts) is expected


@pytest.mark.parametrize(
    "text",
    [
        "tier=VIP",
        "purchases<1000; won_deals<=1",
        "industry!=Торговля|Ритейл",
        "potential>=2.5",
        "*",
    ],
)
def test_a_condition_survives_text_and_json_round_trips(text: str) -> None:
    condition = Condition.parse(text)
    assert Condition.parse(condition.render()) == condition
    assert Condition.from_dict(condition.to_dict()) == condition


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("colour=red", "неизвестное поле «colour»"),
        ("tier<VIP", "только = и !="),
        ("purchases<много", "ожидается число"),
        ("tier VIP", "не похоже"),
        ("{not json", "не JSON"),
        ('{"purchases": {"about": 3}}', "допустимы"),
    ],
)
def test_a_malformed_condition_is_refused_with_a_readable_reason(text: str, fragment: str) -> None:
    with pytest.raises(BadInputError, match=fragment):
        Condition.parse(text, where="rules.csv, строка 2")


def test_phone_service_sells_to_small_one_off_clients_and_administers_the_others() -> None:
    small = evaluate(ISSUE_RULES, ONE_OFF_SMALL)
    regular = evaluate(ISSUE_RULES, REGULAR)
    assert small[Role.SALES].rule.target == PHONE
    assert Role.SALES not in regular
    assert regular[Role.ADMIN].rule.name == "Телефонная служба администрирует остальных"


def test_vip_clients_get_the_head_of_sales_as_account_and_factories_a_service_engineer() -> None:
    assert evaluate(ISSUE_RULES, VIP)[Role.ACCOUNT].rule.target.group is RoleGroup.HEAD
    assert Role.ACCOUNT not in evaluate(ISSUE_RULES, REGULAR)
    match = evaluate(ISSUE_RULES, FACTORY)[Role.SERVICE]
    assert match.rule.target.group is RoleGroup.SERVICE
    assert match.reason == "rule:Промышленным — сервисный инженер"


def test_rules_are_evaluated_in_priority_order_and_the_first_match_wins_per_role() -> None:
    anyone = RoleRule("всем — фермеры", Role.ACCOUNT, Target.parse("group:farmer"), priority=50)
    vip = RoleRule(
        "VIP — руководитель", Role.ACCOUNT, Target.parse("group:head"), Condition.parse("tier=VIP")
    )
    early = RoleRule(
        "VIP — руководитель",
        Role.ACCOUNT,
        Target.parse("group:head"),
        Condition.parse("tier=VIP"),
        priority=1,
    )
    assert evaluate([vip, anyone], VIP)[Role.ACCOUNT].rule is anyone  # 50 before 100
    assert evaluate([anyone, early], VIP)[Role.ACCOUNT].rule is early
    inactive = RoleRule(
        "выключено", Role.ACCOUNT, Target.parse("group:head"), priority=0, active=False
    )
    assert evaluate([inactive, anyone], VIP)[Role.ACCOUNT].rule is anyone


@pytest.mark.parametrize(
    ("facts", "roles"),
    [
        (PROSPECT, [Role.ACQUISITION]),
        (REGULAR, [Role.ACCOUNT, Role.ADMIN]),
        (ONE_OFF_SMALL, [Role.SALES, Role.ACCOUNT, Role.ADMIN]),
        (FACTORY, [Role.ACCOUNT, Role.SERVICE, Role.ADMIN]),
        (ClientFacts(9, status=ClientStatus.LOST, won_deals=1, purchases=5000), []),
    ],
)
def test_the_roles_a_client_needs_follow_its_status_and_the_rules(
    facts: ClientFacts, roles: list[Role]
) -> None:
    assert list(needed_roles(facts, ISSUE_RULES)) == roles


def test_without_rules_prospects_need_a_hunter_and_existing_clients_an_account_manager() -> None:
    assert list(needed_roles(PROSPECT)) == [Role.ACQUISITION]
    assert list(needed_roles(REGULAR)) == [Role.ACCOUNT]
    assert list(needed_roles(ClientFacts(1, status=ClientStatus.DORMANT))) == [Role.ACCOUNT]
    assert list(needed_roles(ClientFacts(1, status=ClientStatus.LOST))) == []


def test_a_rule_never_gives_a_prospect_an_account_or_a_buying_client_acquisition() -> None:
    everyone = [
        RoleRule("всем аккаунт", Role.ACCOUNT, Target.parse("group:farmer")),
        RoleRule("всем охота", Role.ACQUISITION, Target.parse("group:hunter")),
    ]
    assert list(needed_roles(PROSPECT, everyone)) == [Role.ACQUISITION]
    assert list(needed_roles(REGULAR, everyone)) == [Role.ACCOUNT]


@pytest.mark.parametrize(
    ("group", "role", "refused"),
    [
        (RoleGroup.HUNTER, Role.ACCOUNT, True),
        (RoleGroup.FARMER, Role.ACQUISITION, True),
        (RoleGroup.HUNTER, Role.ACQUISITION, False),
        (RoleGroup.HUNTER, Role.SALES, False),
        (RoleGroup.FARMER, Role.ACCOUNT, False),
        (RoleGroup.HEAD, Role.ACCOUNT, False),
        (RoleGroup.SERVICE, Role.SERVICE, False),
        (RoleGroup.SERVICE, Role.ACCOUNT, True),
        (RoleGroup.ADMIN, Role.SALES, False),
        (RoleGroup.HEAD, Role.ACQUISITION, True),
    ],
)
def test_the_group_of_a_manager_decides_which_roles_he_may_hold(
    group: RoleGroup, role: Role, refused: bool
) -> None:
    assert (role_violation(group, role) is not None) is refused


def test_hunter_and_farmer_violations_name_the_rule() -> None:
    for group, role in ((RoleGroup.HUNTER, Role.ACCOUNT), (RoleGroup.FARMER, Role.ACQUISITION)):
        message = role_violation(group, role)
        assert message is not None and HUNTER_FARMER_RULE in message and role.value in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("group:head", Target("group", "head")),
        ("head", Target("group", "head")),
        ("manager:17", Target("manager", "17")),
        ("manager:phone@firm.ru", Target("manager", "phone@firm.ru")),
        ('{"group": "service"}', Target("group", "service")),
    ],
)
def test_a_target_is_a_manager_or_a_role_group(text: str, expected: Target) -> None:
    assert Target.parse(text) == expected
    assert Target.parse(expected.render()) == expected


@pytest.mark.parametrize("text", ["group:boss", "manager:", "team:east", ""])
def test_an_unknown_target_is_refused(text: str) -> None:
    with pytest.raises(BadInputError):
        Target.parse(text)


@pytest.mark.parametrize(
    ("status", "won", "hunter_holds", "has_account", "due"),
    [
        (ClientStatus.PROSPECT, 1, True, False, True),
        (ClientStatus.PROSPECT, 0, True, False, False),
        (ClientStatus.ACTIVE, 3, True, False, True),
        (ClientStatus.ACTIVE, 3, True, True, True),
        (ClientStatus.ACTIVE, 3, False, True, False),
        (ClientStatus.DORMANT, 2, False, False, True),
        (ClientStatus.LOST, 2, True, False, False),
    ],
)
def test_a_client_is_due_for_handoff_once_it_bought_and_still_sits_with_a_hunter(
    status: ClientStatus, won: int, hunter_holds: bool, has_account: bool, due: bool
) -> None:
    assert (
        handoff_due(
            status=status, won_deals=won, hunter_holds=hunter_holds, has_account=has_account
        )
        is due
    )
