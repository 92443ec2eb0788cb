"""The proven lower bound on imbalance: an LP relaxation over client classes (GLOP).

Clients with the same candidate managers and the same capacity weight form a class k with
N_k clients, total potential P_k and the smallest and largest potential p⁻_k, p⁺_k. The LP
decides how many clients n_km and how much potential q_km of each class each manager gets:

    Σ_m n_km ≤ N_k,   Σ_k n_km ≥ served (the plan's count: the bound is for plans that
    serve at least as many),   Σ_k w_k n_km ≤ capacity_m,
    p⁻_k n_km ≤ q_km ≤ p⁺_k n_km,   P_k − p⁺_k (N_k − Σ_m n_km) ≤ Σ_m q_km ≤ P_k,
    U_g ≥ r_m / ρ̂_g ≥ L_g for the members of each peer group, T ≥ U_g − L_g;  min T.

Classes are also split by hours per client, and each manager's selling hours bound
Σ_k h_k n_km. Every integer plan gives a feasible point (n_km = its count, q_km = its
potential), so the optimum is a valid lower bound on T. The move limit is left out, which
only loosens the bound. The LP has Σ_k |candidates of k| columns, a few thousand even for a
component of 20 000 clients, where the per-client LP is too slow for GLOP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp

from clientbase.planning.builder import HOURS_SCALE, SubProblem
from clientbase.planning.objectives.balance import BALANCE_SCALE, proven_bound


@dataclass(slots=True)
class _Class:
    managers: tuple[int, ...]
    weight: int
    hours: float
    count: int = 0
    potential: float = 0.0
    smallest: float = float("inf")
    largest: float = 0.0
    values: list[float] = field(default_factory=list)


#: Tangent cuts per class and manager (the envelope of the sorted potentials, see below).
ENVELOPE_POINTS = 24


def _breakpoints(count: int) -> list[int]:
    """Up to ENVELOPE_POINTS indices in 0..count−1, dense at both ends."""
    if count <= ENVELOPE_POINTS:
        return list(range(count))
    step = (count - 1) / (ENVELOPE_POINTS - 1)
    return sorted({round(i * step) for i in range(ENVELOPE_POINTS)})


def _envelope(values: list[float]) -> list[tuple[float, float, float, float]]:
    """Cuts (a⁺, b⁺, a⁻, b⁻): q ≤ a⁺ + b⁺·n and q ≥ a⁻ + b⁻·n for n clients of a class.

    The most potential n clients of a class can carry is the sum of its n largest
    potentials, a concave function of n; the least is the sum of the n smallest, a convex
    one. The extension of any segment of a concave function lies above it (of a convex one
    below), so every cut holds for every integer plan and any subset of them is valid.
    """
    desc = sorted(values, reverse=True)
    asc = desc[::-1]
    top = [0.0]
    bottom = [0.0]
    for v in desc:
        top.append(top[-1] + v)
    for v in asc:
        bottom.append(bottom[-1] + v)
    cuts = []
    for j in _breakpoints(len(desc)):
        cuts.append((top[j] - desc[j] * j, desc[j], bottom[j] - asc[j] * j, asc[j]))
    return cuts


def _add_cuts(
    solver: pywraplp.Solver,
    cuts: list[tuple[float, float, float, float]],
    ns: list[object],
    qs: list[object],
) -> None:
    inf = solver.infinity()
    for a_high, b_high, a_low, b_low in cuts:
        high = solver.Constraint(-inf, a_high)  # Σq − b⁺Σn ≤ a⁺
        low = solver.Constraint(a_low, inf)  # Σq − b⁻Σn ≥ a⁻
        for n in ns:
            high.SetCoefficient(n, -b_high)
            low.SetCoefficient(n, -b_low)
        for q in qs:
            high.SetCoefficient(q, 1)
            low.SetCoefficient(q, 1)


@dataclass(slots=True)
class Relaxation:
    """The LP's proven bound and, per peer group, the level r/ρ̂ its solution reaches."""

    bound: float
    levels: list[float]


def lower_bound(sub: SubProblem, served: int) -> float:
    """A valid lower bound on the imbalance metric of any plan serving ≥ `served` clients."""
    return solve(sub, served).bound


def solve(sub: SubProblem, served: int) -> Relaxation:
    """Solve the class LP: the bound, and the balance level each group can reach.

    The level tells the local search where a group's members should meet: when the
    clients only some members may take cannot lift them to ρ̂, the others must come down
    to them (managers outside the group, such as the head of sales, take the difference).
    """
    flat = [1.0] * len(sub.groups)
    if not sub.groups:
        return Relaxation(0.0, flat)
    instance = sub.instance
    settings = instance.settings
    classes: dict[tuple[tuple[int, ...], int, float], _Class] = {}
    for c in sub.clients:
        cands = tuple(sub.candidates[c])
        if not cands:
            continue
        client = instance.clients[c]
        weight = settings.weight(client.tier)
        key = (cands, weight, client.hours)
        item = classes.get(key)
        if item is None:
            item = _Class(cands, weight, client.hours)
            classes[key] = item
        item.count += 1
        item.potential += client.potential
        item.smallest = min(item.smallest, client.potential)
        item.largest = max(item.largest, client.potential)
        item.values.append(client.potential)
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:  # pragma: no cover - GLOP ships with every OR-Tools wheel
        return Relaxation(0.0, flat)
    solver.SuppressOutput()
    inf = solver.infinity()
    served_row = solver.Constraint(served - 1e-6, inf)
    load_rows = {
        m: solver.Constraint(-inf, instance.managers[m].capacity - sub.fixed_load.get(m, 0))
        for m in sub.managers
    }
    # Selling hours bind the head of sales long before his client count does (VIP clients
    # take the most hours); without them the LP lets him absorb any surplus of potential.
    hour_rows = {}
    for m in sub.managers:
        available = instance.managers[m].hours
        if available is not None:
            used = sub.fixed_hours.get(m, 0) / HOURS_SCALE
            hour_rows[m] = solver.Constraint(-inf, available - used + 1e-6)
    potential_of: dict[int, list[tuple[float, object]]] = {m: [] for m in sub.managers}
    ordered = sorted(classes.values(), key=lambda i: (i.managers, i.weight, i.hours))
    for k, item in enumerate(ordered):
        count_row = solver.Constraint(0, item.count)
        # P − p⁺(N − Σn) ≤ Σq ≤ P  ⇔  P − p⁺N ≤ Σq − p⁺Σn  and  Σq ≤ P
        low_row = solver.Constraint(item.potential - item.largest * item.count, inf)
        high_row = solver.Constraint(-inf, item.potential)
        cuts = _envelope(item.values)
        total_n: list[object] = []
        total_q: list[object] = []
        for m in item.managers:
            n = solver.NumVar(0, item.count, f"n{k}_{m}")
            q = solver.NumVar(0, item.potential, f"q{k}_{m}")
            count_row.SetCoefficient(n, 1)
            served_row.SetCoefficient(n, 1)
            load_rows[m].SetCoefficient(n, item.weight)
            if m in hour_rows:
                hour_rows[m].SetCoefficient(n, item.hours)
            low_row.SetCoefficient(q, 1)
            low_row.SetCoefficient(n, -item.largest)
            high_row.SetCoefficient(q, 1)
            link_low = solver.Constraint(0, inf)  # q − p⁻ n ≥ 0
            link_low.SetCoefficient(q, 1)
            link_low.SetCoefficient(n, -item.smallest)
            link_high = solver.Constraint(-inf, 0)  # q − p⁺ n ≤ 0
            link_high.SetCoefficient(q, 1)
            link_high.SetCoefficient(n, -item.largest)
            potential_of[m].append((1.0, q))
            total_n.append(n)
            total_q.append(q)
            if len(item.managers) > 1:
                _add_cuts(solver, cuts, [n], [q])
        # The same envelope for the whole class (all its managers together).
        _add_cuts(solver, cuts, total_n, total_q)
    top = solver.NumVar(0, inf, "T")
    bounds: dict[int, tuple[object, object]] = {}
    for g, group in enumerate(sub.groups):
        if group.rho_hat <= 0:
            continue
        upper = solver.NumVar(0, inf, f"U{g}")
        lower = solver.NumVar(0, inf, f"L{g}")
        bounds[g] = (upper, lower)
        unit = BALANCE_SCALE / group.rho_hat
        for m in group.managers:
            capacity = instance.managers[m].capacity
            fixed = sub.fixed_potential.get(m, 0.0) * unit
            # U·cap − Σ q·unit ≥ fixed  and  L·cap − Σ q·unit ≤ fixed
            above = solver.Constraint(fixed, inf)
            below = solver.Constraint(-inf, fixed)
            above.SetCoefficient(upper, capacity)
            below.SetCoefficient(lower, capacity)
            for coef, q in potential_of[m]:
                above.SetCoefficient(q, -coef * unit)
                below.SetCoefficient(q, -coef * unit)
        spread = solver.Constraint(0, inf)  # T − U + L ≥ 0
        spread.SetCoefficient(top, 1)
        spread.SetCoefficient(upper, -1)
        spread.SetCoefficient(lower, 1)
    objective = solver.Objective()
    objective.SetCoefficient(top, 1)
    objective.SetMinimization()
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return Relaxation(0.0, flat)
    bound = proven_bound(objective.Value(), sub.groups, integral=False)
    levels = list(flat)
    for g, (upper, lower) in bounds.items():
        middle = (upper.solution_value() + lower.solution_value()) / 2 / BALANCE_SCALE  # type: ignore[attr-defined]
        if middle > 0:
            levels[g] = middle
    return Relaxation(bound, levels)
