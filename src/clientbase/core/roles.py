"""Client teams as rules (SPEC §5): which roles a client needs, who may hold them, rule tables.

Everything here is pure: a client is described by `ClientFacts`, a rule by `RoleRule`, and
the functions answer questions about them without touching a database.

A conditional role rule says "when a client matches `condition`, role `role` goes to
`target`". Rules are evaluated in ascending `priority` (then name); for each role the first
matching rule wins, so "phone service is `sales` for one-off clients under 1000, `admin` for
the others" is two rules of the same target with a catch-all of lower priority.

Conditions are stored as JSON objects and written in files either as JSON or in a short
text form, e.g. ``tier=VIP|A; purchases<1000; won_deals<=1; industry!=Торговля``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from clientbase.core.types import ClientStatus, Role, RoleGroup, roles_allowed
from clientbase.errors import BadInputError

TEXT_FIELDS = (
    "region",
    "city",
    "industry",
    "product_line",
    "channel",
    "ownership",
    "tier",
    "status",
)
NUMBER_FIELDS = ("potential", "revenue_12m", "purchases", "won_deals")
FIELD_NAMES_RU = {
    "region": "регион",
    "city": "город",
    "industry": "отрасль",
    "product_line": "вид товара",
    "channel": "канал",
    "ownership": "форма собственности",
    "tier": "значимость",
    "status": "статус",
    "potential": "потенциал",
    "revenue_12m": "выручка за 12 мес.",
    "purchases": "сумма покупок",
    "won_deals": "число покупок",
}
TEXT_OPS = ("in", "not_in")
NUMBER_OPS = ("lt", "lte", "gt", "gte", "eq", "ne")
_OP_SYMBOL = {
    "in": "=",
    "not_in": "!=",
    "lt": "<",
    "lte": "<=",
    "gt": ">",
    "gte": ">=",
    "eq": "=",
    "ne": "!=",
}
_CLAUSE = re.compile(r"^\s*([a-z_0-9]+)\s*(<=|>=|!=|=|<|>)\s*(.*?)\s*$")

# The rule of the source material (SPEC §1): never give one manager both jobs.
HUNTER_FARMER_RULE = "охотники и фермеры врозь"
ROLE_GROUP_RULE = "роли группы менеджера"

# Which role group takes each role when no rule names a target.
DEFAULT_GROUP: dict[Role, RoleGroup] = {
    Role.ACQUISITION: RoleGroup.HUNTER,
    Role.SALES: RoleGroup.HUNTER,
    Role.ACCOUNT: RoleGroup.FARMER,
    Role.SERVICE: RoleGroup.SERVICE,
    Role.ADMIN: RoleGroup.ADMIN,
}

# Which roles a client needs by status unless configured otherwise (SPEC §5 default:
# prospects have a hunter, existing clients an account manager; service and admin are
# added by rules).
DEFAULT_NEEDED: dict[ClientStatus, tuple[Role, ...]] = {
    ClientStatus.PROSPECT: (Role.ACQUISITION,),
    ClientStatus.ACTIVE: (Role.ACCOUNT,),
    ClientStatus.DORMANT: (Role.ACCOUNT,),
    ClientStatus.LOST: (),
}

ROLE_RU = {
    Role.ACQUISITION: "привлечение",
    Role.SALES: "продажи",
    Role.ACCOUNT: "ведение клиента",
    Role.SERVICE: "сервис",
    Role.ADMIN: "администрирование",
}
GROUP_RU = {
    RoleGroup.HUNTER: "охотник",
    RoleGroup.FARMER: "фермер (аккаунт-менеджер)",
    RoleGroup.SERVICE: "сервис",
    RoleGroup.ADMIN: "администратор",
    RoleGroup.HEAD: "руководитель отдела продаж",
}


@dataclass(frozen=True, slots=True)
class ClientFacts:
    """What a rule may test about a client; `purchases` = Σ won deals, `won_deals` = their count."""

    id: int
    name: str = ""
    status: ClientStatus = ClientStatus.PROSPECT
    tier: str = "C"
    region: str | None = None
    city: str | None = None
    industry: str | None = None
    product_line: str | None = None
    channel: str | None = None
    ownership: str | None = None
    potential: float = 0.0
    revenue_12m: float = 0.0
    purchases: float = 0.0
    won_deals: int = 0

    def value(self, name: str) -> str | float | None:
        """The client's value of a rule field."""
        raw = getattr(self, name)
        if isinstance(raw, ClientStatus):
            return raw.value
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
        return raw if raw is None else str(raw)


@dataclass(frozen=True, slots=True)
class Test:
    """One clause of a condition: `field op value`."""

    field: str
    op: str
    value: tuple[str, ...] | float

    def matches(self, facts: ClientFacts) -> bool:
        """Whether the client passes this clause (a missing text value matches no list)."""
        actual = facts.value(self.field)
        if self.op in TEXT_OPS:
            assert isinstance(self.value, tuple)
            wanted = {v.casefold() for v in self.value}
            hit = actual is not None and str(actual).casefold() in wanted
            return hit if self.op == "in" else not hit
        assert isinstance(self.value, float)
        number = float(actual) if isinstance(actual, float) else 0.0
        return {
            "lt": number < self.value,
            "lte": number <= self.value,
            "gt": number > self.value,
            "gte": number >= self.value,
            "eq": math.isclose(number, self.value),
            "ne": not math.isclose(number, self.value),
        }[self.op]

    def render(self) -> str:
        """Short text form of the clause."""
        if isinstance(self.value, tuple):
            return f"{self.field}{_OP_SYMBOL[self.op]}{'|'.join(self.value)}"
        shown = int(self.value) if self.value.is_integer() else self.value
        return f"{self.field}{_OP_SYMBOL[self.op]}{shown}"


@dataclass(frozen=True, slots=True)
class Condition:
    """All clauses must hold; no clause = every client matches."""

    tests: tuple[Test, ...] = ()

    def matches(self, facts: ClientFacts) -> bool:
        """Whether the client satisfies every clause."""
        return all(t.matches(facts) for t in self.tests)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: `{"tier": ["VIP"], "purchases": {"lt": 1000}}`."""
        out: dict[str, Any] = {}
        for t in self.tests:
            entry = out.setdefault(t.field, {})
            entry[t.op] = list(t.value) if isinstance(t.value, tuple) else t.value
        return out

    def render(self) -> str:
        """Short text form (`*` for every client)."""
        return "; ".join(t.render() for t in self.tests) or "*"

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "условие") -> Condition:
        """Parse the JSON form; a bare value or list means `in`, a number means `eq`."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise BadInputError(f'{where}: ожидается объект JSON вида {{"tier": ["VIP"]}}.')
        tests: list[Test] = []
        for name, spec in data.items():
            _check_field(name, where)
            ops = spec if isinstance(spec, dict) else {_default_op(name): spec}
            for op, value in ops.items():
                tests.append(_make_test(name, str(op), value, where))
        return cls(tuple(tests))

    @classmethod
    def parse(cls, text: str, *, where: str = "условие") -> Condition:
        """Parse a file cell: JSON object or clauses `field op value` separated by `;`."""
        text = (text or "").strip()
        if not text or text == "*":
            return cls()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise BadInputError(f"{where}: не JSON ({exc.msg}).") from exc
            except RecursionError as exc:
                raise BadInputError(f"{where}: слишком глубокая вложенность JSON.") from exc
            return cls.from_dict(data, where=where)
        tests = []
        for clause in text.split(";"):
            if not clause.strip():
                continue
            m = _CLAUSE.match(clause)
            if m is None:
                raise BadInputError(
                    f"{where}: «{clause.strip()}» не похоже на «поле=значение», "
                    "«поле<число» и т. п."
                )
            name, symbol, raw = m.group(1), m.group(2), m.group(3)
            _check_field(name, where)
            if name in TEXT_FIELDS:
                if symbol not in ("=", "!="):
                    raise BadInputError(f"{where}: для поля {name} допустимы только = и !=.")
                op = "in" if symbol == "=" else "not_in"
                values = [v.strip() for v in raw.split("|") if v.strip()]
                tests.append(_make_test(name, op, values, where))
            else:
                op = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte", "=": "eq", "!=": "ne"}[symbol]
                tests.append(_make_test(name, op, raw, where))
        return cls(tuple(tests))


def _check_field(name: str, where: str) -> None:
    if name not in TEXT_FIELDS and name not in NUMBER_FIELDS:
        raise BadInputError(
            f"{where}: неизвестное поле «{name}»; допустимы: "
            f"{', '.join(TEXT_FIELDS + NUMBER_FIELDS)}."
        )


def _default_op(name: str) -> str:
    return "in" if name in TEXT_FIELDS else "eq"


def _make_test(name: str, op: str, value: Any, where: str) -> Test:
    if name in TEXT_FIELDS:
        if op not in TEXT_OPS:
            raise BadInputError(f"{where}: для поля {name} допустимы in и not_in, не «{op}».")
        values = value if isinstance(value, list | tuple) else [value]
        cleaned = tuple(str(v).strip() for v in values if str(v).strip())
        if not cleaned:
            raise BadInputError(f"{where}: для поля {name} не указано ни одного значения.")
        return Test(name, op, cleaned)
    if op not in NUMBER_OPS:
        raise BadInputError(
            f"{where}: для поля {name} допустимы {', '.join(NUMBER_OPS)}, не «{op}»."
        )
    try:
        number = float(str(value).replace(" ", "").replace(",", "."))
    except ValueError as exc:
        raise BadInputError(f"{where}: для поля {name} ожидается число, а не «{value}».") from exc
    if not math.isfinite(number):
        raise BadInputError(f"{where}: для поля {name} ожидается конечное число.")
    return Test(name, op, number)


@dataclass(frozen=True, slots=True)
class Target:
    """Who gets the role: a named manager (id or e-mail) or a role group chosen by routing."""

    kind: str  # manager | group
    value: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form: `{"manager": "16"}` or `{"group": "head"}`."""
        return {self.kind: self.value}

    def render(self) -> str:
        """Short text form: `manager:16`, `group:head`."""
        return f"{self.kind}:{self.value}"

    @property
    def group(self) -> RoleGroup | None:
        """The role group, when the target is one."""
        return RoleGroup(self.value) if self.kind == "group" else None

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "цель") -> Target:
        """Parse the JSON form."""
        if not isinstance(data, dict) or len(data) != 1:
            raise BadInputError(
                f'{where}: ожидается {{"manager": id или e-mail}} или {{"group": группа}}.'
            )
        ((kind, value),) = data.items()
        return cls.parse(f"{kind}:{value}", where=where)

    @classmethod
    def parse(cls, text: str, *, where: str = "цель") -> Target:
        """Parse a file cell: `manager:ID-or-email`, `group:GROUP`, JSON, or a bare group."""
        text = (text or "").strip()
        if text.startswith("{"):
            try:
                return cls.from_dict(json.loads(text), where=where)
            except json.JSONDecodeError as exc:
                raise BadInputError(f"{where}: не JSON ({exc.msg}).") from exc
            except RecursionError as exc:
                raise BadInputError(f"{where}: слишком глубокая вложенность JSON.") from exc
        kind, sep, value = text.partition(":")
        if not sep:
            kind, value = "group", text
        kind, value = kind.strip().lower(), value.strip()
        if kind == "group":
            groups = [g.value for g in RoleGroup]
            if value.lower() not in groups:
                raise BadInputError(
                    f"{where}: неизвестная группа «{value}»; допустимы: {', '.join(groups)}."
                )
            return cls("group", value.lower())
        if kind == "manager":
            if not value:
                raise BadInputError(f"{where}: не указан менеджер (id или e-mail).")
            return cls("manager", value)
        raise BadInputError(f"{where}: ожидается manager:ID, manager:e-mail или group:ГРУППА.")


@dataclass(frozen=True, slots=True)
class RoleRule:
    """A conditional role rule: when a client matches, `role` goes to `target`."""

    name: str
    role: Role
    target: Target
    condition: Condition = field(default_factory=Condition)
    priority: int = 100
    active: bool = True

    def describe(self) -> str:
        """One line for lists and explanations."""
        return (
            f"{self.name}: {self.role.value} ← {self.target.render()} "
            f"если {self.condition.render()} (приоритет {self.priority})"
        )


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """The rule that decides a role for a client."""

    rule: RoleRule

    @property
    def reason(self) -> str:
        """What the responsibility records: the rule that made it."""
        return f"rule:{self.rule.name}"


def ordered(rules: list[RoleRule] | tuple[RoleRule, ...]) -> list[RoleRule]:
    """Active rules in evaluation order: priority, then name."""
    return sorted((r for r in rules if r.active), key=lambda r: (r.priority, r.name))


def evaluate(
    rules: list[RoleRule] | tuple[RoleRule, ...], facts: ClientFacts
) -> dict[Role, RuleMatch]:
    """For each role, the first matching rule in priority order."""
    found: dict[Role, RuleMatch] = {}
    for rule in ordered(rules):
        if rule.role not in found and rule.condition.matches(facts):
            found[rule.role] = RuleMatch(rule)
    return found


def needed_roles(
    facts: ClientFacts,
    rules: list[RoleRule] | tuple[RoleRule, ...] = (),
    *,
    defaults: dict[ClientStatus, tuple[Role, ...]] | None = None,
) -> dict[Role, RuleMatch | None]:
    """Roles the client's team needs: the status defaults plus every role a rule gives.

    The value is the rule that decides who takes the role, or None for the default group.
    A hunter role is never needed by a client that has already bought, and the account role
    never by a prospect, whatever a rule says (hunters and farmers apart, SPEC §1).
    """
    base = (defaults or DEFAULT_NEEDED).get(facts.status, ())
    matches = evaluate(rules, facts)
    result: dict[Role, RuleMatch | None] = {role: matches.get(role) for role in base}
    for role, match in matches.items():
        result.setdefault(role, match)
    if facts.status is not ClientStatus.PROSPECT:
        result.pop(Role.ACQUISITION, None)
    else:
        result.pop(Role.ACCOUNT, None)
    return dict(sorted(result.items(), key=lambda kv: list(Role).index(kv[0])))


def role_violation(group: RoleGroup, role: Role) -> str | None:
    """Why a manager of `group` may not hold `role`, naming the rule; None when he may."""
    apart = hunter_farmer_violation(group, role)
    if apart is not None:
        return apart
    if role not in roles_allowed(group):
        allowed = ", ".join(sorted(r.value for r in roles_allowed(group)))
        return (
            f"правило «{ROLE_GROUP_RULE}»: группа «{GROUP_RU[group]}» может иметь роли "
            f"{allowed}, не {role.value}"
        )
    return None


def hunter_farmer_violation(group: RoleGroup, role: Role) -> str | None:
    """The one rule checked even on imports of old data: hunters and farmers apart."""
    if group is RoleGroup.HUNTER and role is Role.ACCOUNT:
        return (
            f"правило «{HUNTER_FARMER_RULE}»: охотник не может вести клиента (роль account); "
            "после первой покупки клиента передают аккаунт-менеджеру"
        )
    if group is RoleGroup.FARMER and role is Role.ACQUISITION:
        return (
            f"правило «{HUNTER_FARMER_RULE}»: аккаунт-менеджер (фермер) не может заниматься "
            "привлечением (роль acquisition); это работа охотников"
        )
    return None


def handoff_due(
    *, status: ClientStatus, won_deals: int, hunter_holds: bool, has_account: bool
) -> bool:
    """A client who has bought (a won deal) but still sits with a hunter or has no account.

    Lost clients are left to win-back work: handing a lost client to an account manager
    would only fill his book with clients nobody works with.
    """
    if won_deals <= 0 or status is ClientStatus.LOST:
        return False
    return status is ClientStatus.PROSPECT or hunter_holds or not has_account
