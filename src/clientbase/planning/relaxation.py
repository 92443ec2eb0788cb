"""The proven lower bound on imbalance: an LP relaxation over client classes (GLOP).

Clients with the same candidate managers and the same capacity weight form a class k with
N_k clients, total potential P_k and the smallest and largest potential p⁻_k, p⁺_k. The LP
decides how many clients n_km and how much potential q_km of each class each manager gets:

    Σ_m n_km ≤ N_k,   Σ_k n_km ≥ served (the plan's count: the bound is for plans that
    serve at least as many),   Σ_k w_k n_km ≤ capacity_m,
    p⁻_k n_km ≤ q_km ≤ p⁺_k n_km,   P_k − p⁺_k (N_k − Σ_m n_km) ≤ Σ_m q_km ≤ P_k,
    U_g ≥ r_m / ρ̂_g ≥ L_g for the members of each peer group, T ≥ U_g − L_g;  min T.

Every integer plan gives a feasible point (n_km = its count, q_km = its potential), so the
optimum is a valid lower bound on T. Hours and the move limit are left out, which only
loosens the bound. The LP has Σ_k |candidates of k| columns, a few thousand even for a
component of 20 000 clients, where the per-client LP is too slow for GLOP.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.linear_solver import pywraplp

from clientbase.planning.builder import SubProblem
from clientbase.planning.objectives.balance import BALANCE_SCALE, proven_bound


@dataclass(slots=True)
class _Class:
    managers: tuple[int, ...]
    weight: int
    count: int = 0
    potential: float = 0.0
    smallest: float = float("inf")
    largest: float = 0.0


def lower_bound(sub: SubProblem, served: int) -> float:
    """A valid lower bound on the imbalance metric of any plan serving ≥ `served` clients."""
    if not sub.groups:
        return 0.0
    instance = sub.instance
    settings = instance.settings
    classes: dict[tuple[tuple[int, ...], int], _Class] = {}
    for c in sub.clients:
        cands = tuple(sub.candidates[c])
        if not cands:
            continue
        client = instance.clients[c]
        weight = settings.weight(client.tier)
        key = (cands, weight)
        item = classes.get(key)
        if item is None:
            item = _Class(cands, weight)
            classes[key] = item
        item.count += 1
        item.potential += client.potential
        item.smallest = min(item.smallest, client.potential)
        item.largest = max(item.largest, client.potential)
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:  # pragma: no cover - GLOP ships with every OR-Tools wheel
        return 0.0
    inf = solver.infinity()
    served_row = solver.Constraint(served - 1e-6, inf)
    load_rows = {
        m: solver.Constraint(-inf, instance.managers[m].capacity - sub.fixed_load.get(m, 0))
        for m in sub.managers
    }
    potential_of: dict[int, list[tuple[float, object]]] = {m: [] for m in sub.managers}
    for k, item in enumerate(sorted(classes.values(), key=lambda i: (i.managers, i.weight))):
        count_row = solver.Constraint(0, item.count)
        # P − p⁺(N − Σn) ≤ Σq ≤ P  ⇔  P − p⁺N ≤ Σq − p⁺Σn  and  Σq ≤ P
        low_row = solver.Constraint(item.potential - item.largest * item.count, inf)
        high_row = solver.Constraint(-inf, item.potential)
        for m in item.managers:
            n = solver.NumVar(0, item.count, f"n{k}_{m}")
            q = solver.NumVar(0, item.potential, f"q{k}_{m}")
            count_row.SetCoefficient(n, 1)
            served_row.SetCoefficient(n, 1)
            load_rows[m].SetCoefficient(n, item.weight)
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
    top = solver.NumVar(0, inf, "T")
    for g, group in enumerate(sub.groups):
        if group.rho_hat <= 0:
            continue
        upper = solver.NumVar(0, inf, f"U{g}")
        lower = solver.NumVar(0, inf, f"L{g}")
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
        return 0.0
    return proven_bound(objective.Value(), sub.groups, integral=False)
