"""Credit split inside a client team (issue 12): who is credited with how much of a won deal.

A won deal's amount is shared among the client's team as it stood on the day the deal
closed, by role: e.g. account 70 %, service 30 %. The shares come from the first rule whose
condition the client matches (by tier or any segment principle); the last rule of a valid
table has no condition, so every deal finds one.

Three rules keep the money whole (docs/bonus.md, ADR 0019):

- the shares of a deal always sum to exactly its amount: every share is rounded *down* to
  the kopeck and the kopecks left over go to the largest share (the first of equal ones in
  the rule's order), so nothing is created or lost and no share is ever negative;
- a role that nobody holds on the close date gives its share to the deal's responsible
  manager (`deals.manager_id`, the manager who closed it), so a client without a service
  engineer simply leaves the whole amount with his account manager;
- the first purchase of a new client goes whole to the hunter credited with the new client
  in the KPIs (SPEC §5: the hunter keeps the first purchase after the handoff).

Everything is in integer kopecks; nothing here touches a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from clientbase.core.types import Role
from clientbase.errors import BadInputError

ROLES: tuple[str, ...] = tuple(r.value for r in Role)
ROLE_NAMES_RU = {
    "first_purchase": "первая покупка",
    "vacant": "за свободные роли",
    "acquisition": "привлечение",
    "sales": "продажа",
    "account": "ведение клиента",
    "service": "сервис",
    "admin": "администрирование",
}
# Principles a rule may test (client fields), with Russian names for messages.
SEGMENT_FIELDS = {
    "tier": "значимость",
    "region": "регион",
    "industry": "отрасль",
    "product_line": "вид товара",
    "channel": "канал",
    "ownership": "форма собственности",
}
HUNDRED = Decimal(100)

# Reasons a share went where it went (shown in statements and drill-downs).
BY_ROLE = "role"
NOBODY_IN_ROLE = "vacant"
FIRST_PURCHASE = "first_purchase"
UNASSIGNED = "unassigned"
REASON_RU = {
    BY_ROLE: "по роли в команде клиента",
    NOBODY_IN_ROLE: "роль никем не занята — доля ответственному за сделку",
    FIRST_PURCHASE: "первая покупка нового клиента — охотнику",
    UNASSIGNED: "некому зачесть: роль свободна и у сделки нет ответственного",
}


@dataclass(frozen=True, slots=True)
class SplitRule:
    """When a client matches `when` (field → allowed values), its deals split by `shares` %."""

    name: str
    shares: tuple[tuple[str, Decimal], ...]  # (role, percent) in the order written, sum 100
    when: tuple[tuple[str, frozenset[str]], ...] = ()

    def matches(self, segments: Mapping[str, str | None]) -> bool:
        """Every tested field of the client holds one of the allowed values."""
        return all(segments.get(f) in values for f, values in self.when)

    def share(self, role: str) -> Decimal:
        """The percent of a role (0 when the rule gives it nothing)."""
        return dict(self.shares).get(role, Decimal(0))


@dataclass(frozen=True, slots=True)
class SplitTable:
    """Rules tried in order; the first whose condition the client matches decides."""

    rules: tuple[SplitRule, ...]

    def rule_for(self, segments: Mapping[str, str | None]) -> SplitRule:
        """The rule that applies to a client (the last rule has no condition)."""
        for rule in self.rules:
            if rule.matches(segments):
                return rule
        return self.rules[-1]


DEFAULT_SPLIT_DATA: dict[str, Any] = {
    "rules": [
        {"name": "Аккаунт 70 %, сервис 30 %", "shares": {"account": 70, "service": 30}},
    ]
}


@dataclass(frozen=True, slots=True)
class TeamDeal:
    """A won deal with the client's team on its close date, as the split needs it."""

    deal_id: int
    amount_kopecks: int
    responsible_id: int | None  # deals.manager_id
    segments: Mapping[str, str | None]
    team: Mapping[str, int]  # role → manager holding it on the close date
    first_purchase_to: int | None = None  # the hunter credited with the new client, if new


@dataclass(frozen=True, slots=True)
class Credit:
    """One manager's share of one deal (manager None = nobody to credit)."""

    deal_id: int
    manager_id: int | None
    role: str | None  # None for a first purchase
    percent: Decimal
    kopecks: int
    reason: str

    @property
    def amount(self) -> float:
        """The share in roubles."""
        return self.kopecks / 100


@dataclass(slots=True)
class CreditTotals:
    """Credited kopecks per manager (and per segment value), plus what nobody got."""

    by_manager: dict[int, int] = field(default_factory=dict)
    by_manager_segment: dict[tuple[int, str | None], int] = field(default_factory=dict)
    by_manager_role: dict[tuple[int, str], int] = field(default_factory=dict)
    unassigned: int = 0
    total: int = 0


# ---------------------------------------------------------------- parsing


def _percent(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadInputError(f"{where}: доля должна быть числом процентов.")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise BadInputError(f"{where}: «{value}» — не число.") from exc
    if not number.is_finite() or number < 0 or number > HUNDRED:
        raise BadInputError(f"{where}: доля от 0 до 100 %.")
    return number


def parse_split(raw: object) -> SplitTable:
    """Check a credit split table (`{"rules": [...]}`) from a file or app_meta."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("rules"), list):
        raise BadInputError("Распределение заслуг: нужен объект с ключом «rules» — списком правил.")
    unknown = set(raw) - {"rules"}
    if unknown:
        raise BadInputError(
            f"Распределение заслуг: неизвестные ключи {', '.join(sorted(unknown))}."
        )
    items: list[Any] = raw["rules"]
    if not items:
        raise BadInputError("Распределение заслуг: нужно хотя бы одно правило.")
    rules: list[SplitRule] = []
    names: set[str] = set()
    for n, item in enumerate(items, start=1):
        where = f"Распределение заслуг, правило {n}"
        if not isinstance(item, Mapping):
            raise BadInputError(f"{where}: нужен объект с ключами name, when, shares.")
        extra = set(item) - {"name", "when", "shares"}
        if extra:
            raise BadInputError(f"{where}: неизвестные ключи {', '.join(sorted(extra))}.")
        name = str(item.get("name") or f"правило {n}")
        if name in names:
            raise BadInputError(f"{where}: имя «{name}» уже занято.")
        names.add(name)
        where = f"Распределение заслуг, правило «{name}»"
        shares_raw = item.get("shares")
        if not isinstance(shares_raw, Mapping) or not shares_raw:
            raise BadInputError(f"{where}: «shares» — объект «роль: процент».")
        shares: list[tuple[str, Decimal]] = []
        for role, value in shares_raw.items():
            if role not in ROLES:
                raise BadInputError(
                    f"{where}: неизвестная роль «{role}»; роли: {', '.join(ROLES)}."
                )
            shares.append((str(role), _percent(value, f"{where}, {role}")))
        total = sum((s for _, s in shares), Decimal(0))
        if total != HUNDRED:
            raise BadInputError(f"{where}: доли ролей в сумме {total} %, а нужно ровно 100 %.")
        when_raw = item.get("when") or {}
        if not isinstance(when_raw, Mapping):
            raise BadInputError(f"{where}: «when» — объект «поле: значение или список».")
        when: list[tuple[str, frozenset[str]]] = []
        for fld, allowed in when_raw.items():
            if fld not in SEGMENT_FIELDS:
                raise BadInputError(
                    f"{where}: условие по неизвестному полю «{fld}»; "
                    f"поля: {', '.join(SEGMENT_FIELDS)}."
                )
            values = [allowed] if isinstance(allowed, str) else allowed
            if (
                not isinstance(values, list)
                or not values
                or not all(isinstance(v, str) for v in values)
            ):
                raise BadInputError(f"{where}: «{fld}» — строка или список строк.")
            when.append((str(fld), frozenset(values)))
        rules.append(SplitRule(name, tuple(shares), tuple(when)))
    if rules[-1].when:
        raise BadInputError(
            "Распределение заслуг: последнее правило должно быть без условия «when» "
            "(для всех остальных клиентов)."
        )
    return SplitTable(tuple(rules))


def split_to_data(table: SplitTable) -> dict[str, Any]:
    """The JSON form of a table (what `parse_split` reads back)."""
    rules: list[dict[str, Any]] = []
    for rule in table.rules:
        item: dict[str, Any] = {"name": rule.name}
        if rule.when:
            item["when"] = {f: sorted(v) for f, v in rule.when}
        item["shares"] = {r: _plain(p) for r, p in rule.shares}
        rules.append(item)
    return {"rules": rules}


def _plain(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


DEFAULT_SPLIT = parse_split(DEFAULT_SPLIT_DATA)


# ---------------------------------------------------------------- splitting


def to_kopecks(amount: float | Decimal) -> int:
    """An amount in roubles (2 decimals in the database) as whole kopecks."""
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1)))


def split_kopecks(total: int, weights: Sequence[Decimal]) -> list[int]:
    """Share `total` kopecks by `weights`: each rounded down, the rest to the largest weight.

    The parts always sum to `total`, are never negative, and the largest weight (the
    first of equal ones) receives the remainder (fewer kopecks than there are weights).
    """
    if total < 0:
        raise ValueError("total must be ≥ 0")
    whole = sum(weights, Decimal(0))
    if not weights or whole <= 0:
        raise ValueError("weights must have a positive sum")
    parts = [int((Decimal(total) * w / whole).to_integral_value(ROUND_DOWN)) for w in weights]
    largest = max(range(len(weights)), key=lambda i: (weights[i], -i))
    parts[largest] += total - sum(parts)
    return parts


def credit_deal(deal: TeamDeal, table: SplitTable) -> list[Credit]:
    """The credits of one won deal; their kopecks sum to the deal's amount exactly."""
    if deal.first_purchase_to is not None:
        return [
            Credit(
                deal.deal_id,
                deal.first_purchase_to,
                None,
                HUNDRED,
                deal.amount_kopecks,
                FIRST_PURCHASE,
            )
        ]
    rule = table.rule_for(deal.segments)
    roles = [(role, pct) for role, pct in rule.shares if pct > 0]
    parts = split_kopecks(deal.amount_kopecks, [pct for _, pct in roles])
    credits: list[Credit] = []
    for (role, pct), kopecks in zip(roles, parts, strict=True):
        holder = deal.team.get(role)
        if holder is not None:
            credits.append(Credit(deal.deal_id, holder, role, pct, kopecks, BY_ROLE))
        elif deal.responsible_id is not None:
            credits.append(
                Credit(deal.deal_id, deal.responsible_id, role, pct, kopecks, NOBODY_IN_ROLE)
            )
        else:
            credits.append(Credit(deal.deal_id, None, role, pct, kopecks, UNASSIGNED))
    return credits


def totals(
    credits: Iterable[Credit], segment_of: Mapping[int, str | None] | None = None
) -> CreditTotals:
    """Sum credits per manager, per (manager, segment value of the deal) and per role."""
    out = CreditTotals()
    for c in credits:
        out.total += c.kopecks
        if c.manager_id is None:
            out.unassigned += c.kopecks
            continue
        out.by_manager[c.manager_id] = out.by_manager.get(c.manager_id, 0) + c.kopecks
        seg = segment_of.get(c.deal_id) if segment_of is not None else None
        key = (c.manager_id, seg)
        out.by_manager_segment[key] = out.by_manager_segment.get(key, 0) + c.kopecks
        # Shares taken over from a vacant role are kept apart from the roles held.
        role = (
            FIRST_PURCHASE if c.role is None else c.role if c.reason == BY_ROLE else NOBODY_IN_ROLE
        )
        rkey = (c.manager_id, role)
        out.by_manager_role[rkey] = out.by_manager_role.get(rkey, 0) + c.kopecks
    return out
