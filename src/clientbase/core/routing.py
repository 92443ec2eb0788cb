"""Online routing of new clients and leads to managers (SPEC §4 "new clients and leads").

Pure strategies over a list of eligible candidates:

- `least-load` (default): the smallest relative load after the assignment,
  (load + weight) / capacity; exact ties are broken by a seeded random draw, never by the
  manager's id or name — a fixed tie-break sends every tie to the same person, which is how
  lead-assignment tools end up over-feeding the first manager of the list.
- `round-robin`: the next candidate after the last one chosen in this pool.
- `weighted`: smooth weighted round robin (each candidate earns his capacity in credit at
  every arrival, the chosen one pays the total), so shares follow capacity exactly
  without randomness.

Capacity is respected: a candidate whose load would exceed his capacity is skipped; with
`allow_over_capacity` the least relatively loaded candidate is chosen anyway and the
decision says so (used for handoff and a leaving manager, where "nobody" is not an option).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

EPSILON = 1e-9


class RoutingStrategy(StrEnum):
    """How an arrival is given to one of the eligible managers."""

    LEAST_LOAD = "least-load"
    ROUND_ROBIN = "round-robin"
    WEIGHTED = "weighted"


STRATEGY_RU = {
    RoutingStrategy.LEAST_LOAD: "наименьшая относительная загрузка",
    RoutingStrategy.ROUND_ROBIN: "по кругу",
    RoutingStrategy.WEIGHTED: "пропорционально ёмкости",
}


@dataclass(frozen=True, slots=True)
class Candidate:
    """An eligible manager with his capacity and current (weighted) load."""

    id: int
    capacity: float
    load: float = 0.0

    def room(self, weight: float) -> bool:
        """Whether one more client of `weight` fits."""
        return self.capacity > 0 and self.load + weight <= self.capacity + EPSILON

    def relative(self, weight: float = 0.0) -> float:
        """Load / capacity after adding `weight` (infinite for zero capacity)."""
        return (self.load + weight) / self.capacity if self.capacity > 0 else float("inf")


@dataclass(slots=True)
class RouterState:
    """What round robin and weighted remember between arrivals, per pool; JSON-storable."""

    last: dict[str, int] = field(default_factory=dict)
    credits: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"last": dict(self.last), "credits": {k: dict(v) for k, v in self.credits.items()}}

    @classmethod
    def from_dict(cls, data: Any) -> RouterState:
        """Inverse of `to_dict`; anything unreadable starts afresh."""
        if not isinstance(data, dict):
            return cls()
        last = data.get("last") if isinstance(data.get("last"), dict) else {}
        credits = data.get("credits") if isinstance(data.get("credits"), dict) else {}
        return cls(
            last={str(k): int(v) for k, v in (last or {}).items()},
            credits={
                str(k): {str(m): float(c) for m, c in v.items()}
                for k, v in (credits or {}).items()
                if isinstance(v, dict)
            },
        )


@dataclass(frozen=True, slots=True)
class Pick:
    """The chosen manager (None = nobody could take it) and why."""

    manager_id: int | None
    reason: str
    over_capacity: bool = False


def pick(
    candidates: list[Candidate] | tuple[Candidate, ...],
    *,
    strategy: RoutingStrategy = RoutingStrategy.LEAST_LOAD,
    weight: float = 1.0,
    rng: random.Random,
    state: RouterState | None = None,
    pool: str = "*",
    allow_over_capacity: bool = False,
) -> Pick:
    """Choose one candidate for an arrival of `weight` capacity slots."""
    if not candidates:
        return Pick(None, "нет подходящих менеджеров (сегмент, группа, отсутствие)")
    fitting = [c for c in candidates if c.room(weight)]
    if not fitting:
        # A capacity of 0 means "takes no clients" (e.g. an override while on notice).
        open_ = [c for c in candidates if c.capacity > 0]
        if not allow_over_capacity or not open_:
            return Pick(None, f"все подходящие менеджеры ({len(candidates)}) загружены полностью")
        best = _least(open_, weight, rng)
        return Pick(best.id, "все подходящие загружены полностью: наименее загруженный", True)
    state = state if state is not None else RouterState()
    if strategy is RoutingStrategy.ROUND_ROBIN:
        chosen = _next_after(fitting, state.last.get(pool))
        state.last[pool] = chosen.id
        return Pick(chosen.id, STRATEGY_RU[strategy])
    if strategy is RoutingStrategy.WEIGHTED:
        chosen = _smooth_weighted(fitting, state.credits.setdefault(pool, {}))
        return Pick(chosen.id, STRATEGY_RU[strategy])
    chosen = _least(fitting, weight, rng)
    return Pick(
        chosen.id, f"{STRATEGY_RU[strategy]} ({100 * chosen.relative():.0f}% ёмкости до назначения)"
    )


def _least(
    candidates: list[Candidate] | tuple[Candidate, ...], weight: float, rng: random.Random
) -> Candidate:
    best = min(c.relative(weight) for c in candidates)
    tied = sorted(
        (c for c in candidates if c.relative(weight) <= best + EPSILON), key=lambda c: c.id
    )
    return tied[0] if len(tied) == 1 else rng.choice(tied)


def _next_after(candidates: list[Candidate], last: int | None) -> Candidate:
    ordered = sorted(candidates, key=lambda c: c.id)
    if last is None:
        return ordered[0]
    for c in ordered:
        if c.id > last:
            return c
    return ordered[0]


def _smooth_weighted(candidates: list[Candidate], credits: dict[str, float]) -> Candidate:
    total = sum(c.capacity for c in candidates)
    for c in candidates:
        credits[str(c.id)] = credits.get(str(c.id), 0.0) + c.capacity
    chosen = max(candidates, key=lambda c: (credits[str(c.id)], -c.id))
    credits[str(chosen.id)] -= total
    return chosen


@dataclass(frozen=True, slots=True)
class Simulation:
    """Result of simulated arrivals: how many each manager received, and the deviation."""

    routed: dict[int, int]
    capacity: dict[int, float]
    unassigned: int

    def shares(self) -> dict[int, tuple[float, float]]:
        """Per manager: (% of routed arrivals, % of total capacity)."""
        total = sum(self.routed.values()) or 1
        cap = sum(self.capacity.values()) or 1.0
        return {
            m: (100.0 * self.routed.get(m, 0) / total, 100.0 * self.capacity[m] / cap)
            for m in self.capacity
        }

    @property
    def max_deviation(self) -> float:
        """Largest |share − capacity share| over the managers, in percentage points."""
        return max((abs(a - b) for a, b in self.shares().values()), default=0.0)


def simulate(
    capacities: dict[int, float],
    *,
    arrivals: int,
    strategy: RoutingStrategy = RoutingStrategy.LEAST_LOAD,
    seed: int = 0,
    mean_stay: float | None = None,
) -> Simulation:
    """Route `arrivals` one by one while clients leave at random (a lead closes or is lost).

    Each held client leaves after every arrival with probability 1 / `mean_stay` (default:
    70 % of the total capacity, so the team runs near a realistic utilization). Departures
    do not depend on who holds the client, so a fair router gives each manager his capacity
    share of the arrivals.
    """
    rng = random.Random(seed)
    churn = random.Random(seed + 1)
    stay = mean_stay if mean_stay is not None else 0.7 * sum(capacities.values())
    held: dict[int, int] = dict.fromkeys(capacities, 0)
    routed: dict[int, int] = dict.fromkeys(capacities, 0)
    state = RouterState()
    unassigned = 0
    for _ in range(arrivals):
        for m in held:
            if held[m]:
                # Binomial thinning: each held client leaves with probability 1 / stay.
                held[m] -= sum(1 for _ in range(held[m]) if churn.random() < 1.0 / stay)
        candidates = [Candidate(m, capacities[m], float(held[m])) for m in capacities]
        choice = pick(candidates, strategy=strategy, rng=rng, state=state)
        if choice.manager_id is None:
            unassigned += 1
            continue
        held[choice.manager_id] += 1
        routed[choice.manager_id] += 1
    return Simulation(routed=routed, capacity=dict(capacities), unassigned=unassigned)
