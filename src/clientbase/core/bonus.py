"""Motivation schemes as data and the monthly bonus statement (issue 12), pure.

A scheme says, for a role group (optionally narrowed to a team or to named managers):

- a fixed monthly salary;
- a percent of the manager's *credited* won volume (see `core.credit`), the rate chosen by
  the step his plan attainment reached — e.g. below 80 % → 0, 80–100 % → 3 %, from 100 % →
  5 % — applied to the whole credited volume of the month, and possibly different per
  segment value of the client (VIP 2 %, others 3 %);
- a hunter bonus per new client (the KPI "new clients" of the month);
- a farmer bonus when the month's retention reaches a level.

Attainment = credited volume / the month's plan. Without a plan the first step applies
(it starts at 0 %). Money is computed in whole kopecks, each line rounded half up.
The defaults below are documented with a worked example in docs/bonus.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from clientbase.core.credit import SEGMENT_FIELDS
from clientbase.core.types import RoleGroup
from clientbase.errors import BadInputError

ROLE_GROUPS = tuple(g.value for g in RoleGroup)
ANY_SEGMENT = "*"
NO_SEGMENT_RU = "не указано"


@dataclass(frozen=True, slots=True)
class Step:
    """From `start` % of plan attainment on, the volume rate is `rate` % (or per segment)."""

    start: Decimal  # percent of plan
    rate: Decimal  # percent of credited volume
    rates: tuple[tuple[str, Decimal], ...] = ()  # segment value → percent

    def rate_for(self, segment: str | None) -> Decimal:
        """The rate of a segment value (the step's general rate when not listed)."""
        return dict(self.rates).get(segment or "", self.rate)


@dataclass(frozen=True, slots=True)
class Scheme:
    """One motivation scheme; see the module docstring."""

    name: str
    role_group: str
    salary_kopecks: int = 0
    steps: tuple[Step, ...] = (Step(Decimal(0), Decimal(0)),)
    segment_by: str | None = None
    new_client_kopecks: int = 0
    retention_from: Decimal | None = None  # percent
    retention_kopecks: int = 0
    team: str | None = None
    managers: frozenset[int] = frozenset()

    def specificity(self) -> int:
        """Named managers beat a team, a team beats the whole role group."""
        return 2 if self.managers else 1 if self.team is not None else 0

    def applies_to(self, manager_id: int, role_group: str, team: str | None) -> bool:
        """The scheme is meant for this manager."""
        if self.managers:
            return manager_id in self.managers
        return self.role_group == role_group and (self.team is None or self.team == team)

    def step_for(self, credited_kopecks: int, plan_kopecks: int | None) -> Step:
        """The highest step whose start the attainment reached (the first one without plan)."""
        if not plan_kopecks:
            return self.steps[0]
        reached = self.steps[0]
        for step in self.steps:
            # credited / plan × 100 ≥ start, in exact integers and decimals.
            if Decimal(credited_kopecks) * 100 >= step.start * plan_kopecks:
                reached = step
        return reached


@dataclass(frozen=True, slots=True)
class SchemeSet:
    """All schemes; the most specific one that applies to a manager is his."""

    schemes: tuple[Scheme, ...]

    def scheme_for(self, manager_id: int, role_group: str, team: str | None) -> Scheme | None:
        """The manager's scheme: named managers, then his team, then his role group."""
        found = [s for s in self.schemes if s.applies_to(manager_id, role_group, team)]
        if not found:
            return None
        return max(found, key=lambda s: s.specificity())  # max keeps the first of equals


DEFAULT_SCHEMES_DATA: dict[str, Any] = {
    "schemes": [
        {
            "name": "Охотники",
            "role_group": "hunter",
            "salary": 50000,
            "volume_steps": [
                {"from": 0, "rate": 0},
                {"from": 80, "rate": 3},
                {"from": 100, "rate": 5},
            ],
            "new_client_bonus": 5000,
        },
        {
            "name": "Менеджеры по работе с клиентами",
            "role_group": "farmer",
            "salary": 60000,
            "segment_by": "tier",
            "volume_steps": [
                {"from": 0, "rate": 0},
                {"from": 80, "rate": 3, "rates": {"VIP": 2}},
                {"from": 100, "rate": 5, "rates": {"VIP": 4}},
            ],
            "retention_bonus": {"from": 70, "amount": 10000},
        },
        {
            "name": "Руководитель отдела продаж",
            "role_group": "head",
            "salary": 120000,
            "volume_steps": [
                {"from": 0, "rate": 0},
                {"from": 80, "rate": 1},
                {"from": 100, "rate": 2},
            ],
        },
        {
            "name": "Сервис",
            "role_group": "service",
            "salary": 55000,
            "volume_steps": [{"from": 0, "rate": 1}],
        },
        {
            "name": "Администраторы",
            "role_group": "admin",
            "salary": 45000,
            "volume_steps": [{"from": 0, "rate": 0.5}],
        },
    ]
}


# ---------------------------------------------------------------- parsing


def _number(value: object, where: str, *, high: Decimal | None = None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadInputError(f"{where}: нужно число.")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise BadInputError(f"{where}: «{value}» — не число.") from exc
    if not number.is_finite() or number < 0:
        raise BadInputError(f"{where}: нужно число ≥ 0.")
    if high is not None and number > high:
        raise BadInputError(f"{where}: не больше {high}.")
    return number


def _money(value: object, where: str) -> int:
    return int((_number(value, where) * 100).quantize(Decimal(1), ROUND_HALF_UP))


def _steps(raw: object, where: str) -> tuple[Step, ...]:
    if not isinstance(raw, list) or not raw:
        raise BadInputError(f"{where}: «volume_steps» — непустой список ступеней.")
    steps: list[Step] = []
    for n, item in enumerate(raw, start=1):
        at = f"{where}, ступень {n}"
        if not isinstance(item, Mapping):
            raise BadInputError(f"{at}: нужен объект с ключами from, rate, rates.")
        extra = set(item) - {"from", "rate", "rates"}
        if extra:
            raise BadInputError(f"{at}: неизвестные ключи {', '.join(sorted(extra))}.")
        start = _number(item.get("from", 0), f"{at}, from")
        rate = _number(item.get("rate", 0), f"{at}, rate", high=Decimal(100))
        rates_raw = item.get("rates") or {}
        if not isinstance(rates_raw, Mapping):
            raise BadInputError(f"{at}: «rates» — объект «значение сегмента: процент».")
        rates = tuple(
            (str(k), _number(v, f"{at}, rates.{k}", high=Decimal(100)))
            for k, v in rates_raw.items()
        )
        if steps and start <= steps[-1].start:
            raise BadInputError(f"{at}: пороги «from» должны возрастать.")
        steps.append(Step(start, rate, rates))
    if steps[0].start != 0:
        raise BadInputError(f"{where}: первая ступень должна начинаться с 0 % выполнения плана.")
    return tuple(steps)


SCHEME_KEYS = {
    "name",
    "role_group",
    "team",
    "managers",
    "salary",
    "segment_by",
    "volume_steps",
    "new_client_bonus",
    "retention_bonus",
}


def _scheme(item: object, n: int) -> Scheme:
    where = f"Схема мотивации {n}"
    if not isinstance(item, Mapping):
        raise BadInputError(f"{where}: нужен объект.")
    extra = set(item) - SCHEME_KEYS
    if extra:
        raise BadInputError(f"{where}: неизвестные ключи {', '.join(sorted(extra))}.")
    name = str(item.get("name") or f"схема {n}")
    where = f"Схема мотивации «{name}»"
    group = item.get("role_group")
    if group not in ROLE_GROUPS:
        raise BadInputError(f"{where}: «role_group» — одна из {', '.join(ROLE_GROUPS)}.")
    team = item.get("team")
    if team is not None and not isinstance(team, str):
        raise BadInputError(f"{where}: «team» — название команды.")
    managers_raw = item.get("managers") or []
    if not isinstance(managers_raw, list) or not all(
        isinstance(m, int) and not isinstance(m, bool) and m > 0 for m in managers_raw
    ):
        raise BadInputError(f"{where}: «managers» — список ID менеджеров.")
    segment_by = item.get("segment_by")
    if segment_by is not None and segment_by not in SEGMENT_FIELDS:
        raise BadInputError(f"{where}: «segment_by» — одно из {', '.join(SEGMENT_FIELDS)}.")
    steps = _steps(item.get("volume_steps", [{"from": 0, "rate": 0}]), where)
    if segment_by is None and any(s.rates for s in steps):
        raise BadInputError(f"{where}: ставки по сегментам «rates» требуют «segment_by».")
    retention = item.get("retention_bonus")
    retention_from: Decimal | None = None
    retention_kopecks = 0
    if retention is not None:
        if not isinstance(retention, Mapping) or set(retention) - {"from", "amount"}:
            raise BadInputError(f"{where}: «retention_bonus» — объект {{from: %, amount: сумма}}.")
        retention_from = _number(retention.get("from", 0), f"{where}, retention_bonus.from")
        if retention_from > 100:
            raise BadInputError(f"{where}: retention_bonus.from — процент от 0 до 100.")
        retention_kopecks = _money(retention.get("amount", 0), f"{where}, retention_bonus.amount")
    return Scheme(
        name=name,
        role_group=str(group),
        salary_kopecks=_money(item.get("salary", 0), f"{where}, salary"),
        steps=steps,
        segment_by=None if segment_by is None else str(segment_by),
        new_client_kopecks=_money(item.get("new_client_bonus", 0), f"{where}, new_client_bonus"),
        retention_from=retention_from,
        retention_kopecks=retention_kopecks,
        team=team,
        managers=frozenset(int(m) for m in managers_raw),
    )


def parse_schemes(raw: object) -> SchemeSet:
    """Check a `{"schemes": [...]}` object from a JSON/TOML file or app_meta."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("schemes"), list):
        raise BadInputError("Схемы мотивации: нужен объект с ключом «schemes» — списком схем.")
    if set(raw) - {"schemes"}:
        extra = ", ".join(sorted(set(raw) - {"schemes"}))
        raise BadInputError(f"Схемы мотивации: неизвестные ключи {extra}.")
    items: list[Any] = raw["schemes"]
    if not items:
        raise BadInputError("Схемы мотивации: нужна хотя бы одна схема.")
    schemes = [_scheme(item, n) for n, item in enumerate(items, start=1)]
    names = [s.name for s in schemes]
    duplicate = next((x for x in names if names.count(x) > 1), None)
    if duplicate is not None:
        raise BadInputError(f"Схемы мотивации: имя «{duplicate}» встречается дважды.")
    return SchemeSet(tuple(schemes))


def _plain(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def schemes_to_data(schemes: SchemeSet) -> dict[str, Any]:
    """The JSON form of a scheme set (what `parse_schemes` reads back)."""
    out: list[dict[str, Any]] = []
    for s in schemes.schemes:
        item: dict[str, Any] = {"name": s.name, "role_group": s.role_group}
        if s.team is not None:
            item["team"] = s.team
        if s.managers:
            item["managers"] = sorted(s.managers)
        item["salary"] = _plain(Decimal(s.salary_kopecks) / 100)
        if s.segment_by:
            item["segment_by"] = s.segment_by
        steps: list[dict[str, Any]] = []
        for st in s.steps:
            step: dict[str, Any] = {"from": _plain(st.start), "rate": _plain(st.rate)}
            if st.rates:
                step["rates"] = {k: _plain(v) for k, v in st.rates}
            steps.append(step)
        item["volume_steps"] = steps
        if s.new_client_kopecks:
            item["new_client_bonus"] = _plain(Decimal(s.new_client_kopecks) / 100)
        if s.retention_from is not None:
            item["retention_bonus"] = {
                "from": _plain(s.retention_from),
                "amount": _plain(Decimal(s.retention_kopecks) / 100),
            }
        out.append(item)
    return {"schemes": out}


DEFAULT_SCHEMES = parse_schemes(DEFAULT_SCHEMES_DATA)


# ---------------------------------------------------------------- the statement


@dataclass(frozen=True, slots=True)
class MonthFacts:
    """What a manager's month brings to his scheme."""

    month: str
    credited: Mapping[str | None, int]  # segment value (None without segment_by) → kopecks
    plan_kopecks: int | None
    new_clients: int = 0
    retention: float | None = None  # share 0…1 from the KPIs


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a bonus statement with the numbers behind it."""

    month: str
    code: str  # salary | volume | new_clients | retention
    title: str
    base: float | None  # roubles, a count or a share, see `base_unit`
    base_unit: str  # money | count | share | none
    rate: float | None  # percent for volume, roubles per client, roubles for retention
    threshold: str  # the threshold reached, in words
    amount_kopecks: int

    @property
    def amount(self) -> float:
        """The line's amount in roubles."""
        return self.amount_kopecks / 100


@dataclass(slots=True)
class ManagerBonus:
    """One manager's lines and total under one scheme."""

    scheme: str | None
    lines: list[Line] = field(default_factory=list)

    @property
    def total_kopecks(self) -> int:
        """Sum of the lines in kopecks."""
        return sum(line.amount_kopecks for line in self.lines)


def _pct(value: Decimal | float) -> str:
    # Cut, not rounded: 99.99 % must not read «100 %» beside a step it did not reach.
    cut = Decimal(str(value)).quantize(Decimal("0.1"), ROUND_DOWN)
    text = f"{cut:.1f}".replace(".", ",")
    return text[:-2] if text.endswith(",0") else text


def _of(kopecks: int, percent: Decimal) -> int:
    """`percent` % of an amount, rounded half up to the kopeck."""
    return int((Decimal(kopecks) * percent / 100).quantize(Decimal(1), ROUND_HALF_UP))


def month_bonus(scheme: Scheme, facts: MonthFacts) -> list[Line]:
    """The lines of one month under one scheme (salary, volume per segment, bonuses)."""
    m = facts.month
    lines = [Line(m, "salary", "Оклад", None, "none", None, "", scheme.salary_kopecks)]
    credited_total = sum(facts.credited.values())
    step = scheme.step_for(credited_total, facts.plan_kopecks)
    if facts.plan_kopecks:
        reached = Decimal(credited_total) * 100 / facts.plan_kopecks
        threshold = f"выполнение плана {_pct(reached)} % → ступень от {_pct(step.start)} %"
    else:
        threshold = "плана нет → первая ступень"
    segments = sorted(facts.credited, key=lambda s: (s is None, s or ""))
    if not segments:
        segments = [None]
    field_ru = SEGMENT_FIELDS.get(scheme.segment_by or "", "")
    for seg in segments:
        base = facts.credited.get(seg, 0)
        rate = step.rate_for(seg)
        title = "% от зачтённого объёма"
        if scheme.segment_by:
            title += f" ({field_ru}: {seg or NO_SEGMENT_RU})"
        lines.append(
            Line(m, "volume", title, base / 100, "money", float(rate), threshold, _of(base, rate))
        )
    if scheme.new_client_kopecks:
        lines.append(
            Line(
                m,
                "new_clients",
                "Бонус за новых клиентов",
                float(facts.new_clients),
                "count",
                scheme.new_client_kopecks / 100,
                "",
                scheme.new_client_kopecks * facts.new_clients,
            )
        )
    if scheme.retention_from is not None:
        level = scheme.retention_from
        kept = facts.retention
        paid = kept is not None and Decimal(str(kept)) * 100 >= level
        if kept is None:
            words = (
                "удержание не измерено (в прошлом месяце не было покупателей); "
                f"порог {_pct(level)} %"
            )
        else:
            sign = "≥" if paid else "<"
            words = f"удержание {_pct(kept * 100)} % {sign} порога {_pct(level)} %"
        lines.append(
            Line(
                m,
                "retention",
                "Бонус за удержание клиентов",
                kept,
                "share",
                scheme.retention_kopecks / 100,
                words,
                scheme.retention_kopecks if paid else 0,
            )
        )
    return lines


def bonus(scheme: Scheme | None, months: Sequence[MonthFacts]) -> ManagerBonus:
    """A manager's lines over the months of a period (nothing without a scheme)."""
    if scheme is None:
        return ManagerBonus(None)
    out = ManagerBonus(scheme.name)
    for facts in months:
        out.lines.extend(month_bonus(scheme, facts))
    return out
