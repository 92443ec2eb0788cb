"""A solver-neutral linear model of one sub-problem, filled in by the constraint modules.

The same constraint code feeds CP-SAT (integer, exact) and GLOP (continuous relaxation, the
lower bound and the rounding guide for large components), so a rule is written once.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from clientbase.planning.schemas import Instance

Var = Any
Term = tuple[float, Var]

# Hours enter integer models in hundredths: 2 decimals of an hour are exact.
HOURS_SCALE = 100


def client_hours_units(hours: float) -> int:
    """A client's monthly hours in model units, rounded up so the model never under-counts."""
    return max(0, math.ceil(hours * HOURS_SCALE - 1e-9))


def manager_hours_units(hours: float) -> int:
    """A manager's monthly hours in model units, rounded down for the same reason."""
    return max(0, math.floor(hours * HOURS_SCALE + 1e-9))


@dataclass(slots=True)
class PeerGroup:
    """Managers balanced against each other, with the reference ratio that normalises them."""

    managers: tuple[int, ...]
    rho_hat: float  # estimated potential per capacity slot of the group (ρ̂_g)
    rho_max: float  # the largest ρ_g any plan can give the group, for a valid bound


@dataclass(slots=True)
class SubProblem:
    """Clients to decide, their candidate managers, and what is already fixed around them."""

    instance: Instance
    clients: list[int]
    candidates: dict[int, list[int]]
    managers: list[int]
    groups: list[PeerGroup]
    fixed_load: dict[int, int] = field(default_factory=dict)
    fixed_hours: dict[int, int] = field(default_factory=dict)
    fixed_potential: dict[int, float] = field(default_factory=dict)
    fixed_moves: int = 0
    moves_limit: int | None = None


class Backend(ABC):
    """The few operations a constraint module needs from a solver."""

    integral: bool

    @abstractmethod
    def new_var(self, lb: float, ub: float, name: str) -> Var:
        """A new (integer or continuous, per backend) variable."""

    @abstractmethod
    def add_linear(self, terms: Sequence[Term], lb: float, ub: float) -> None:
        """lb ≤ Σ coef·var ≤ ub (use ±math.inf for a missing side)."""


@dataclass(slots=True)
class ModelBuilder:
    """The assignment variables x[c, m] of a sub-problem plus the backend that owns them."""

    sub: SubProblem
    backend: Backend
    x: dict[tuple[int, int], Var] = field(default_factory=dict)
    by_manager: dict[int, list[tuple[int, Var]]] = field(default_factory=dict)
    by_client: dict[int, list[tuple[int, Var]]] = field(default_factory=dict)

    def build_assignment(self) -> None:
        """One 0/1 variable per candidate pair and at most one manager per client."""
        for c in self.sub.clients:
            row: list[tuple[int, Var]] = []
            for m in self.sub.candidates[c]:
                var = self.backend.new_var(0, 1, f"x{c}_{m}")
                self.x[(c, m)] = var
                row.append((m, var))
                self.by_manager.setdefault(m, []).append((c, var))
            self.by_client[c] = row
            if row:
                self.backend.add_linear([(1, v) for _, v in row], 0, 1)

    def served_terms(self) -> list[Term]:
        """Σ x: the number of clients served (objective 1)."""
        return [(1, v) for v in self.x.values()]

    def moved_terms(self) -> list[tuple[int, Var]]:
        """(client, x) for every pair that hands a client away from his current owner."""
        instance = self.sub.instance
        terms: list[tuple[int, Var]] = []
        for c in self.sub.clients:
            owner = instance.clients[c].owner_id
            if owner is None:
                continue
            for m, var in self.by_client[c]:
                if instance.managers[m].id != owner:
                    terms.append((c, var))
        return terms
