"""Balance: potential per capacity slot as equal as possible among peers (objective 2).

For every peer group g and member m: L_g ≤ r_m / ρ̂_g ≤ U_g, with r_m = potential of m /
capacity of m, and T ≥ U_g − L_g. Minimising T minimises the largest normalised spread,
which is the `imbalance` metric when ρ̂_g equals the group's real ρ_g (always, unless a
client may go to two role groups). Spreads are in units of 1/BALANCE_SCALE of ρ̂_g; the
integer model rounds each client's normalised potential, which costs at most
`ROUNDING_UNITS` units of precision, subtracted before a bound is reported.

In the integer model T counts whole *steps* (settings.balance_step, 0.002 by default)
above a dead band of one step: T = 0 means every spread is within one step, and such a
plan is optimal at that resolution. Without the dead band CP-SAT would have to prove that
no two managers can ever be exactly equal, a number-partitioning proof it cannot finish.
The continuous relaxation keeps T in fine units, so its bound stays sharp.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from clientbase.planning.builder import ModelBuilder, PeerGroup, Term, Var

BALANCE_SCALE = 100_000
# ≤ 0.5 per member from rounding client potentials, ≤ 0.5 from the fixed part, and ≤ 1 on
# each of U and L from integrality: 3 units, one spare.
ROUNDING_UNITS = 4


@dataclass(slots=True)
class GroupVars:
    """One peer group's bounds U, L, spread S = U − L, and each member's terms."""

    upper: Var
    lower: Var
    spread: Var
    loads: dict[int, tuple[list[tuple[float, int]], float]]


@dataclass(slots=True)
class BalanceVars:
    """The spread variables of each peer group and their maximum T."""

    spreads: list[Var]
    top: Var | None
    groups: list[GroupVars] = field(default_factory=list)
    step: int = 1

    def hint_values(
        self, builder: ModelBuilder, choice: dict[int, int | None]
    ) -> list[tuple[Var, int]]:
        """Values of U, L, S, T that complete an assignment, so a hint is a full solution."""
        values: list[tuple[Var, int]] = []
        top = 0
        for group in self.groups:
            ratios = []
            for m, (terms, fixed) in group.loads.items():
                total = fixed + sum(q for q, c in terms if choice.get(c) == m)
                ratios.append(total / builder.sub.instance.managers[m].capacity)
            upper = math.ceil(max(ratios) - 1e-9) if ratios else 0
            lower = math.floor(min(ratios) + 1e-9) if ratios else 0
            values += [(group.upper, upper), (group.lower, lower), (group.spread, upper - lower)]
            top = max(top, max(0, math.ceil((upper - lower) / self.step) - 1))
        if self.top is not None:
            values.append((self.top, top))
        return values


def _unit_potential(builder: ModelBuilder, c: int, group: PeerGroup) -> float:
    potential = builder.sub.instance.clients[c].potential
    value = potential / group.rho_hat * BALANCE_SCALE if group.rho_hat > 0 else 0.0
    return float(round(value)) if builder.backend.integral else value


def step_units(step: float) -> int:
    """The balance step in model units (at least one unit)."""
    return max(1, round(step * BALANCE_SCALE))


def add(builder: ModelBuilder) -> BalanceVars:
    """Spread variables per peer group and T = the largest spread (in steps when integral)."""
    sub = builder.sub
    backend = builder.backend
    spreads: list[Var] = []
    group_vars: list[GroupVars] = []
    highest = 0.0
    for g, group in enumerate(sub.groups):
        loads: dict[int, tuple[list[Term], float]] = {}
        by_client: dict[int, tuple[list[tuple[float, int]], float]] = {}
        top_ratio = 0.0
        for m in group.managers:
            capacity = sub.instance.managers[m].capacity
            if capacity <= 0:
                continue
            pairs = builder.by_manager.get(m, [])
            terms = [(_unit_potential(builder, c, group), v) for c, v in pairs]
            fixed = sub.fixed_potential.get(m, 0.0)
            fixed_units = fixed / group.rho_hat * BALANCE_SCALE if group.rho_hat > 0 else 0.0
            if backend.integral:
                fixed_units = float(round(fixed_units))
            loads[m] = (terms, fixed_units)
            by_client[m] = (
                [(q, c) for (q, _), (c, _) in zip(terms, pairs, strict=True)],
                fixed_units,
            )
            top_ratio = max(top_ratio, (fixed_units + sum(q for q, _ in terms)) / capacity)
        bound = math.ceil(top_ratio) + 1
        upper = backend.new_var(0, bound, f"U{g}")
        lower = backend.new_var(0, bound, f"L{g}")
        for m, (terms, fixed_units) in loads.items():
            capacity = sub.instance.managers[m].capacity
            negated = [(-q, v) for q, v in terms]
            # U·cap − Σ q·x ≥ fixed  and  L·cap − Σ q·x ≤ fixed
            backend.add_linear([(capacity, upper), *negated], fixed_units, math.inf)
            backend.add_linear([(capacity, lower), *negated], -math.inf, fixed_units)
        spread = backend.new_var(0, bound, f"S{g}")
        backend.add_linear([(1, spread), (-1, upper), (1, lower)], 0, 0)
        spreads.append(spread)
        group_vars.append(GroupVars(upper, lower, spread, by_client))
        highest = max(highest, bound)
    if not spreads:
        return BalanceVars(spreads, None, group_vars)
    if not backend.integral:
        top = backend.new_var(0, highest, "T")
        for spread in spreads:
            backend.add_linear([(1, top), (-1, spread)], 0, math.inf)
        return BalanceVars(spreads, top, group_vars)
    # K·T ≥ spread − K: T = 0 while every spread is within one step K.
    k = step_units(sub.instance.settings.balance_step)
    top = backend.new_var(0, math.ceil(highest / k) + 1, "T")
    for spread in spreads:
        backend.add_linear([(k, top), (-1, spread)], -k, math.inf)
    return BalanceVars(spreads, top, group_vars, k)


def proven_bound(
    bound: float, groups: list[PeerGroup], *, integral: bool, step: float = 0.0
) -> float:
    """A valid lower bound on the `imbalance` metric from a bound on T."""
    if not groups:
        return 0.0
    if integral:
        # T ≥ B for every plan means some spread exceeds K·(B − 1) units.
        k = step_units(step)
        units = float(k * (math.ceil(bound - 1e-9) - 1) + 1 - ROUNDING_UNITS)
    else:
        # GLOP's optimum is exact up to its tolerances; give up one unit (1e-5 of ρ).
        units = bound - 1
    if units <= 0:
        return 0.0
    # A group whose real ρ_g can exceed ρ̂_g has a smaller normalised spread than T says.
    factor = min((g.rho_hat / g.rho_max) if g.rho_max > 0 else 1.0 for g in groups)
    return units / BALANCE_SCALE * factor
