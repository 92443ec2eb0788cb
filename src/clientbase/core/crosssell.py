"""Cross-sell routing (issue 12, SPEC §1 "hunters and farmers apart"), pure.

A range-expansion opportunity at an existing client goes to the client's account manager —
unless his working-day photo shows him absorbed by operations: when the share of his logged
time that is *not* growth work (100 − growth share) is above the threshold (default 70 %),
the opportunity goes to an active (hunter) manager or a senior account manager (grade ≥ 4)
who may serve the client's segment, the least loaded first. The rule table says who takes
over, in which order, per segment. Every decision carries its reason in words.

A photo with too few logged hours says nothing about a manager's day (a new hire, a
manager who does not log calls): then the account manager keeps the opportunity and the
reason says the evidence is missing, rather than punishing him for an empty CRM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from clientbase.core.types import Eligibility, Principle, RoleGroup, Tier
from clientbase.errors import BadInputError

# VIP clients only to managers of this grade or the head of sales (as distribution and routing).
VIP_MIN_GRADE = 4
MATCH_FIELDS = {p.value: p for p in Principle}


class Takeover(StrEnum):
    """Who takes over an opportunity from an account manager absorbed by operations."""

    HUNTER = "hunter"
    SENIOR_FARMER = "senior_farmer"


TAKEOVER_RU = {Takeover.HUNTER: "охотник", Takeover.SENIOR_FARMER: "старший аккаунт-менеджер"}
KIND_RU = {"account": "аккаунт-менеджер", **{k.value: v for k, v in TAKEOVER_RU.items()}}


@dataclass(frozen=True, slots=True)
class SegmentRule:
    """Overrides for clients (or opportunities) matching every listed value."""

    name: str
    match: dict[Principle, frozenset[str]]
    threshold: float | None = None
    takeover: tuple[Takeover, ...] | None = None

    def matches(self, segment: dict[Principle, str | None]) -> bool:
        """Whether every listed principle has one of the listed values (case-insensitive)."""
        for principle, values in self.match.items():
            value = segment.get(principle)
            if value is None or value.strip().lower() not in values:
                return False
        return True


@dataclass(frozen=True, slots=True)
class CrossSellRules:
    """The rule table (app_meta `cross_sell_rules`); the defaults are documented."""

    threshold: float = 70.0  # % of logged time on operations above which he loses it
    takeover: tuple[Takeover, ...] = (Takeover.HUNTER, Takeover.SENIOR_FARMER)
    senior_grade: int = 4
    window_days: int = 30  # the working-day photo covers the last N days
    min_hours: float = 8.0  # fewer logged hours in the window = no evidence
    segments: tuple[SegmentRule, ...] = field(default_factory=tuple)

    def for_segment(
        self, segment: dict[Principle, str | None]
    ) -> tuple[float, tuple[Takeover, ...], str | None]:
        """Threshold, takeover order and the name of the segment rule that applies (if any)."""
        for rule in self.segments:
            if rule.matches(segment):
                return (
                    self.threshold if rule.threshold is None else rule.threshold,
                    self.takeover if rule.takeover is None else rule.takeover,
                    rule.name,
                )
        return self.threshold, self.takeover, None


DEFAULT_RULES = CrossSellRules()


@dataclass(frozen=True, slots=True)
class Person:
    """A manager as cross-sell routing sees him."""

    id: int
    name: str
    group: RoleGroup
    grade: int
    available: bool  # active and not absent today
    eligibility: Eligibility
    utilization: float  # % of capacity, from the capacity report
    photo_hours: float  # logged hours in the photo window
    growth_share: float  # % of logged time on growth work (proactive calls, meetings)
    open_cross_sell: int = 0  # open cross-sell deals he already holds

    def operational_share(self, rules: CrossSellRules) -> float | None:
        """100 − growth share; None when the photo has too few hours to say anything."""
        if self.photo_hours < rules.min_hours:
            return None
        return round(100.0 - self.growth_share, 1)


@dataclass(frozen=True, slots=True)
class Routing:
    """Where one opportunity goes and why."""

    manager_id: int | None
    kind: str  # account | hunter | senior_farmer | none
    reason: str
    segment_rule: str | None = None


def may_serve(person: Person, segment: dict[Principle, str | None]) -> bool:
    """The client's segment is his and, for a VIP client, his grade is high enough."""
    if not person.eligibility.admits(segment):
        return False
    return (
        segment.get(Principle.TIER) != Tier.VIP.value
        or person.group is RoleGroup.HEAD
        or person.grade >= VIP_MIN_GRADE
    )


def _of_kind(person: Person, kind: Takeover, rules: CrossSellRules) -> bool:
    if kind is Takeover.HUNTER:
        return person.group is RoleGroup.HUNTER
    return person.group is RoleGroup.FARMER and person.grade >= rules.senior_grade


def route(
    segment: dict[Principle, str | None],
    account: Person | None,
    pool: Sequence[Person],
    rules: CrossSellRules = DEFAULT_RULES,
) -> Routing:
    """Decide who gets one cross-sell opportunity (nothing is written)."""
    return Router(pool, rules).route(segment, account)


class Router:
    """Routes a batch: who may serve a segment is computed once per segment and kind.

    Eligibility does not change during a run, but the load tie-break does: `took` counts an
    opportunity given in this run, so that the next equal candidate gets the next one.
    """

    def __init__(self, pool: Sequence[Person], rules: CrossSellRules = DEFAULT_RULES) -> None:
        self.rules = rules
        self.people: dict[int, Person] = {p.id: p for p in pool}
        self._of_kind = {k: [p.id for p in pool if _of_kind(p, k, rules)] for k in Takeover}
        self._serving: dict[tuple[Takeover, tuple[tuple[str, str | None], ...]], list[int]] = {}

    def took(self, manager_id: int) -> None:
        """The manager received one more cross-sell opportunity in this run."""
        person = self.people[manager_id]
        self.people[manager_id] = replace(person, open_cross_sell=person.open_cross_sell + 1)

    def _serving_ids(self, kind: Takeover, segment: dict[Principle, str | None]) -> list[int]:
        key = (kind, tuple(sorted((p.value, v) for p, v in segment.items())))
        found = self._serving.get(key)
        if found is None:
            found = [i for i in self._of_kind[kind] if may_serve(self.people[i], segment)]
            self._serving[key] = found
        return found

    def route(self, segment: dict[Principle, str | None], account: Person | None) -> Routing:
        """Decide who gets one opportunity of a client with this segment and account manager."""
        rules = self.rules
        threshold, order, rule_name = rules.for_segment(segment)
        by_rule = f" (правило «{rule_name}»)" if rule_name else ""
        if account is None:
            why = "у клиента нет аккаунт-менеджера"
        elif not account.available:
            why = f"аккаунт-менеджер {account.name} отсутствует или неактивен"
        else:
            share = account.operational_share(rules)
            if share is None:
                return Routing(
                    account.id,
                    "account",
                    f"фотография дня за {rules.window_days} дн.: {account.photo_hours:g} ч < "
                    f"{rules.min_hours:g} ч — нагрузку не оценить, остаётся у аккаунт-менеджера",
                    rule_name,
                )
            if share <= threshold:
                return Routing(
                    account.id,
                    "account",
                    f"операционная нагрузка {share:g} % ≤ порога {threshold:g} %{by_rule} — "
                    "остаётся у аккаунт-менеджера",
                    rule_name,
                )
            why = f"операционная нагрузка {share:g} % > порога {threshold:g} %{by_rule}"
        notes: list[str] = []
        for kind in order:
            serving = [
                self.people[i]
                for i in self._serving_ids(kind, segment)
                if account is None or i != account.id
            ]
            candidates = [p for p in serving if p.available]
            if kind is Takeover.SENIOR_FARMER:
                # A senior account manager absorbed by operations himself is no way out.
                busy = [p for p in candidates if (p.operational_share(rules) or 0.0) > threshold]
                candidates = [p for p in candidates if p not in busy]
                if busy:
                    notes.append(f"старшие с нагрузкой выше порога: {len(busy)}")
            if not candidates:
                if not serving:
                    notes.append(f"{TAKEOVER_RU[kind]}: никто не ведёт сегмент")
                elif not [p for p in serving if p.available]:
                    notes.append(
                        f"{TAKEOVER_RU[kind]}: ведущие сегмент отсутствуют ({len(serving)})"
                    )
                continue
            best = min(candidates, key=lambda p: (p.utilization, p.open_cross_sell, p.id))
            return Routing(
                best.id,
                kind.value,
                f"{why} → {TAKEOVER_RU[kind]} {best.name}: наименее загруженный "
                f"({best.utilization:g} % ёмкости) из {len(candidates)}",
                rule_name,
            )
        if account is not None and account.available:
            return Routing(
                account.id,
                "account",
                f"{why}, но передать некому ({'; '.join(notes)}) — остаётся у аккаунт-менеджера",
                rule_name,
            )
        return Routing(None, "none", f"{why}; передать некому: {'; '.join(notes)}", rule_name)


# ---------------------------------------------------------------- the table as data


def _takeover(value: Any, where: str) -> tuple[Takeover, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise BadInputError(f"Правила кросс-продаж: {where} — hunter, senior_farmer или список.")
    known = {k.value for k in Takeover}
    out: list[Takeover] = []
    for item in items:
        if item not in known:
            raise BadInputError(
                f"Правила кросс-продаж: {where} = «{item}» — допустимо hunter или senior_farmer."
            )
        if Takeover(item) not in out:
            out.append(Takeover(item))
    return tuple(out)


def _percent(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise BadInputError(f"Правила кросс-продаж: {where} — процент от 0 до 100.")
    return float(value)


def _segment_rule(data: Any, index: int) -> SegmentRule:
    where = f"segments[{index}]"
    if not isinstance(data, dict):
        raise BadInputError(f"Правила кросс-продаж: {where} — ожидается таблица.")
    allowed = {"name", "threshold", "takeover", *MATCH_FIELDS}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise BadInputError(
            f"Правила кросс-продаж: {where} — неизвестные поля {', '.join(unknown)}; "
            f"условия: {', '.join(MATCH_FIELDS)}."
        )
    match: dict[Principle, frozenset[str]] = {}
    for key, principle in MATCH_FIELDS.items():
        if key in data:
            values = data[key] if isinstance(data[key], list) else [data[key]]
            if not values or not all(isinstance(v, str) and v.strip() for v in values):
                raise BadInputError(f"Правила кросс-продаж: {where}.{key} — текст или список.")
            match[principle] = frozenset(v.strip().lower() for v in values)
    if not match:
        raise BadInputError(f"Правила кросс-продаж: {where} — нужно хотя бы одно условие.")
    return SegmentRule(
        name=str(data.get("name") or f"сегмент {index + 1}"),
        match=match,
        threshold=_percent(data["threshold"], f"{where}.threshold")
        if "threshold" in data
        else None,
        takeover=_takeover(data["takeover"], f"{where}.takeover") if "takeover" in data else None,
    )


def rules_from_dict(data: Any) -> CrossSellRules:
    """Parse the rule table (see docs/crosssell.md); missing keys keep the defaults."""
    if not isinstance(data, dict):
        raise BadInputError("Правила кросс-продаж: ожидается объект.")
    known = {"threshold", "takeover", "senior_grade", "window_days", "min_hours", "segments"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise BadInputError(
            f"Правила кросс-продаж: неизвестные ключи {', '.join(unknown)}; "
            f"допустимы: {', '.join(sorted(known))}."
        )
    d = DEFAULT_RULES
    grade = data.get("senior_grade", d.senior_grade)
    if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 5:
        raise BadInputError("Правила кросс-продаж: senior_grade — грейд от 1 до 5.")
    window = data.get("window_days", d.window_days)
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 366:
        raise BadInputError("Правила кросс-продаж: window_days — дней от 1 до 366.")
    min_hours = data.get("min_hours", d.min_hours)
    if isinstance(min_hours, bool) or not isinstance(min_hours, int | float) or min_hours < 0:
        raise BadInputError("Правила кросс-продаж: min_hours — часов, число ≥ 0.")
    segments = data.get("segments", [])
    if not isinstance(segments, list):
        raise BadInputError("Правила кросс-продаж: segments — список таблиц [[segments]].")
    return CrossSellRules(
        threshold=_percent(data.get("threshold", d.threshold), "threshold"),
        takeover=_takeover(data["takeover"], "takeover") if "takeover" in data else d.takeover,
        senior_grade=grade,
        window_days=window,
        min_hours=float(min_hours),
        segments=tuple(_segment_rule(s, i) for i, s in enumerate(segments)),
    )


def rules_to_dict(rules: CrossSellRules) -> dict[str, Any]:
    """The table as plain data (the JSON stored in app_meta `cross_sell_rules`)."""
    return {
        "threshold": rules.threshold,
        "takeover": [k.value for k in rules.takeover],
        "senior_grade": rules.senior_grade,
        "window_days": rules.window_days,
        "min_hours": rules.min_hours,
        "segments": [
            {
                "name": s.name,
                **{p.value: sorted(v) for p, v in s.match.items()},
                **({"threshold": s.threshold} if s.threshold is not None else {}),
                **({"takeover": [k.value for k in s.takeover]} if s.takeover else {}),
            }
            for s in rules.segments
        ],
    }
