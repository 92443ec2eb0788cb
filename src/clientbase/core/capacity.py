"""Capacity in clients and hours (SPEC §3): base by role × driver factors, clamped, override wins.

`capacity = clamp(round(base[group] × Π factor), floor[group], hard_max[group])`

The default tables are documented in docs/capacity.md; a head of sales changes them by
passing another `CapacityTables`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from clientbase.core.types import RoleGroup, Tier
from clientbase.errors import BadInputError


def _scale(*values: float) -> dict[int, float]:
    return {level: value for level, value in zip(range(1, 6), values, strict=True)}


@dataclass(frozen=True, slots=True)
class RoleBase:
    """Base number of clients for a role group and the bounds it is clamped to."""

    base: int
    floor: int
    hard_max: int


def _default_bases() -> dict[RoleGroup, RoleBase]:
    return {
        # "An account manager pulls about 60, no more"; 30–50 is the usual optimum.
        RoleGroup.FARMER: RoleBase(base=40, floor=30, hard_max=60),
        # Hunters count only active prospects.
        RoleGroup.HUNTER: RoleBase(base=50, floor=30, hard_max=80),
        # The head of sales runs the department; he keeps only a few (VIP) clients.
        RoleGroup.HEAD: RoleBase(base=15, floor=5, hard_max=30),
        RoleGroup.SERVICE: RoleBase(base=60, floor=30, hard_max=100),
        RoleGroup.ADMIN: RoleBase(base=80, floor=40, hard_max=150),
    }


def _default_service_hours() -> dict[Tier, dict[int, float]]:
    # A VIP account at average complexity takes 4 h a month, a C client half an hour;
    # complexity 1–5 scales the hours by 0.6 / 0.8 / 1.0 / 1.25 / 1.5.
    scale = (0.6, 0.8, 1.0, 1.25, 1.5)
    base = {Tier.VIP: 4.0, Tier.A: 2.0, Tier.B: 1.0, Tier.C: 0.5}
    return {tier: _scale(*(round(h * k, 2) for k in scale)) for tier, h in base.items()}


@dataclass(frozen=True, slots=True)
class CapacityTables:
    """The documented defaults; every table can be replaced."""

    bases: dict[RoleGroup, RoleBase] = field(default_factory=_default_bases)
    # Product/service complexity 1–5: more complex → fewer clients.
    complexity: dict[int, float] = field(default_factory=lambda: _scale(1.2, 1.1, 1.0, 0.9, 0.8))
    # Client readiness to buy 1–5: readier clients need less work each.
    readiness: dict[int, float] = field(default_factory=lambda: _scale(0.9, 0.95, 1.0, 1.05, 1.1))
    # Department support (reference material, training, colleagues) 1–5.
    support: dict[int, float] = field(default_factory=lambda: _scale(0.9, 0.95, 1.0, 1.05, 1.1))
    # Technical infrastructure and communication tools 1–5.
    tools: dict[int, float] = field(default_factory=lambda: _scale(0.9, 0.95, 1.0, 1.05, 1.1))
    # Experience and skill by grade 1–5.
    experience: dict[int, float] = field(default_factory=lambda: _scale(0.85, 0.95, 1.0, 1.1, 1.2))
    # How many client slots one client of a tier takes (a VIP needs more attention).
    tier_weight: dict[Tier, int] = field(
        default_factory=lambda: {Tier.VIP: 3, Tier.A: 1, Tier.B: 1, Tier.C: 1}
    )
    # Service hours one client needs per month, by tier and product complexity 1–5.
    service_hours: dict[Tier, dict[int, float]] = field(default_factory=_default_service_hours)
    # Selling hours a manager offers per month when the manager has none of his own
    # (168 working hours minus internal work: meetings, reports, training).
    selling_hours: float = 120.0
    # Minutes an activity counts when it has no end time.
    activity_minutes: dict[str, float] = field(
        default_factory=lambda: {
            "call": 10.0,
            "meeting": 60.0,
            "email": 5.0,
            "task": 15.0,
            "inbound": 10.0,
        }
    )


DEFAULT_TABLES = CapacityTables()
NEUTRAL_LEVEL = 3


@dataclass(frozen=True, slots=True)
class Drivers:
    """The five drivers of a manager's capacity; None means the neutral level 3."""

    complexity: int | None = None
    readiness: int | None = None
    support: int | None = None
    tools: int | None = None
    grade: int | None = None


@dataclass(frozen=True, slots=True)
class Capacity:
    """A manager's capacity in clients and how it was set."""

    clients: int
    overridden: bool
    base: int
    factors: dict[str, float]
    clamped: str | None  # "floor" | "hard_max" | None

    def explain(self) -> str:
        """The drivers in words (Russian), for tables and tooltips."""
        if self.overridden:
            return f"задано вручную: {self.clients}"
        parts = [f"база {self.base}"] + [
            f"{NAMES_RU[k]} ×{v:.2f}" for k, v in self.factors.items() if v != 1.0
        ]
        text = ", ".join(parts) + f" → {self.clients}"
        if self.clamped == "floor":
            text += " (поднято до минимума)"
        elif self.clamped == "hard_max":
            text += " (ограничено максимумом)"
        return text


NAMES_RU = {
    "complexity": "сложность продукта",
    "readiness": "готовность клиентов",
    "support": "поддержка отдела",
    "tools": "инструменты",
    "experience": "опыт",
}


def _level(value: int | None) -> int:
    if value is None:
        return NEUTRAL_LEVEL
    return min(5, max(1, int(value)))


def client_capacity(
    group: RoleGroup,
    drivers: Drivers,
    *,
    override: int | None = None,
    tables: CapacityTables = DEFAULT_TABLES,
) -> Capacity:
    """Capacity in clients of one manager; an explicit override always wins."""
    base = tables.bases[group]
    if override is not None:
        return Capacity(
            clients=max(0, int(override)),
            overridden=True,
            base=base.base,
            factors={},
            clamped=None,
        )
    factors = {
        "complexity": tables.complexity[_level(drivers.complexity)],
        "readiness": tables.readiness[_level(drivers.readiness)],
        "support": tables.support[_level(drivers.support)],
        "tools": tables.tools[_level(drivers.tools)],
        "experience": tables.experience[_level(drivers.grade)],
    }
    product = 1.0
    for value in factors.values():
        product *= value
    raw = round(base.base * product)
    clamped: str | None = None
    if raw < base.floor:
        raw, clamped = base.floor, "floor"
    elif raw > base.hard_max:
        raw, clamped = base.hard_max, "hard_max"
    return Capacity(clients=raw, overridden=False, base=base.base, factors=factors, clamped=clamped)


def selling_hours(hours: float | None, tables: CapacityTables = DEFAULT_TABLES) -> float:
    """Selling hours per month a manager offers: his own figure or the default."""
    return float(hours) if hours is not None and hours > 0 else tables.selling_hours


def service_hours(
    tier: Tier | str, complexity: int | None, tables: CapacityTables = DEFAULT_TABLES
) -> float:
    """Default service hours per month for one client of a tier at a product complexity."""
    return tables.service_hours[Tier(tier)][_level(complexity)]


def weighted_clients(
    counts: dict[Tier, int] | dict[str, int], tables: CapacityTables = DEFAULT_TABLES
) -> int:
    """Client slots taken by clients counted per tier (a VIP counts as several)."""
    return sum(tables.tier_weight[Tier(tier)] * n for tier, n in counts.items())


# No manager carries more clients than this: a larger number is a typing mistake.
MAX_CLIENTS = 100_000


def _table_keys(values: Any, what: str) -> dict[int, float]:
    if isinstance(values, list):
        values = {str(i): v for i, v in enumerate(values, start=1)}
    if not isinstance(values, dict) or {str(k) for k in values} != {"1", "2", "3", "4", "5"}:
        raise BadInputError(f"Таблицы нагрузки: «{what}» — нужны значения для уровней 1–5.")
    out: dict[int, float] = {}
    for k, v in values.items():
        if not isinstance(v, int | float) or isinstance(v, bool) or not 0 < v < 1e6:
            raise BadInputError(f"Таблицы нагрузки: «{what}», уровень {k} — нужно число > 0.")
        out[int(k)] = float(v)
    return out


def tables_from_dict(data: dict[str, Any], base: CapacityTables = DEFAULT_TABLES) -> CapacityTables:
    """Replace the tables named in `data` (parsed TOML/JSON, see docs/capacity.md)."""
    known = {
        "bases",
        "complexity",
        "readiness",
        "support",
        "tools",
        "experience",
        "tier_weight",
        "service_hours",
        "selling_hours",
        "activity_minutes",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise BadInputError(
            f"Таблицы нагрузки: неизвестные разделы {', '.join(unknown)}; "
            f"допустимы: {', '.join(sorted(known))}."
        )
    changes: dict[str, Any] = {}
    try:
        if "bases" in data:
            bases = dict(base.bases)
            for group, row in data["bases"].items():
                b = RoleBase(int(row["base"]), int(row["floor"]), int(row["hard_max"]))
                if not 0 <= b.floor <= b.base <= b.hard_max <= MAX_CLIENTS:
                    raise BadInputError(
                        f"Таблицы нагрузки: bases.{group} — нужно 0 ≤ floor ≤ base ≤ "
                        f"hard_max ≤ {MAX_CLIENTS}."
                    )
                bases[RoleGroup(group)] = b
            changes["bases"] = bases
        for name in ("complexity", "readiness", "support", "tools", "experience"):
            if name in data:
                changes[name] = _table_keys(data[name], name)
        if "tier_weight" in data:
            weights = dict(base.tier_weight)
            for tier, w in data["tier_weight"].items():
                if int(w) < 1:
                    raise BadInputError(f"Таблицы нагрузки: tier_weight.{tier} — целое ≥ 1.")
                weights[Tier(tier)] = int(w)
            changes["tier_weight"] = weights
        if "service_hours" in data:
            hours = dict(base.service_hours)
            for tier, row in data["service_hours"].items():
                hours[Tier(tier)] = _table_keys(row, f"service_hours.{tier}")
            changes["service_hours"] = hours
        if "selling_hours" in data:
            value = float(data["selling_hours"])
            if not 0 < value <= 744:
                raise BadInputError(
                    "Таблицы нагрузки: selling_hours — нужно число часов в месяце, от 0 до 744."
                )
            changes["selling_hours"] = value
        if "activity_minutes" in data:
            minutes = dict(base.activity_minutes)
            minutes.update({str(k): float(v) for k, v in data["activity_minutes"].items()})
            if not all(0 <= v <= 1440 for v in minutes.values()):
                raise BadInputError(
                    "Таблицы нагрузки: activity_minutes — минуты на дело, от 0 до 1440."
                )
            changes["activity_minutes"] = minutes
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise BadInputError(f"Таблицы нагрузки: неверное значение ({exc}).") from exc
    return replace(base, **changes)


def tables_to_dict(tables: CapacityTables = DEFAULT_TABLES) -> dict[str, Any]:
    """The tables as plain data (the JSON stored in app_meta `capacity_tables`)."""
    return {
        "bases": {
            g.value: {"base": b.base, "floor": b.floor, "hard_max": b.hard_max}
            for g, b in tables.bases.items()
        },
        "complexity": {str(k): v for k, v in tables.complexity.items()},
        "readiness": {str(k): v for k, v in tables.readiness.items()},
        "support": {str(k): v for k, v in tables.support.items()},
        "tools": {str(k): v for k, v in tables.tools.items()},
        "experience": {str(k): v for k, v in tables.experience.items()},
        "tier_weight": {t.value: w for t, w in tables.tier_weight.items()},
        "service_hours": {
            t.value: {str(k): v for k, v in row.items()} for t, row in tables.service_hours.items()
        },
        "selling_hours": tables.selling_hours,
        "activity_minutes": dict(tables.activity_minutes),
    }
