"""Capacity in clients (SPEC §3): base by role × driver factors, clamped, override wins.

`capacity = clamp(round(base[group] × Π factor), floor[group], hard_max[group])`

The default tables are documented in docs/capacity.md; a head of sales changes them by
passing another `CapacityTables`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clientbase.core.types import RoleGroup, Tier


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
