"""Structural (Hall-type) lower bounds on the imbalance metric, in the metric's own terms.

For a peer group g with members M (capacity > 0), every plan has

    spread_g = (max r − min r) / ρ_g,   ρ_g = P(M) / C(M) ≤ max r,   ρ_g ≤ ρmax_g,

where ρmax_g is the potential of every client some member may take (plus what is fixed on
the members) over C(M). The spread grows with max r and falls with min r, so any lower
bound `high` on max r and upper bound `low` on min r give

    spread_g ≥ (high − low) / min(ρmax_g, high)          (when high > low).

- **high** (clients only a set S may take): a client whose every candidate is in S ⊆ M
  lands in S, so some member of S holds at least the average: max r ≥ P(only S) / C(S).
  Valid only for plans that serve every such client — the bound is claimed only when the
  component's plans serve everybody who can be served.
- **low** (what a set T can ever receive): the members of T hold only clients some of them
  may take, at most C(T) − fixed load of them (every client weighs at least one slot), so
  min r ≤ (fixed potential of T + the largest such potentials that fit) / C(T).

S runs over the candidate sets of the clients (each with every client whose candidates it
contains), T over the single members. The LP of
relaxation.py implies the fractional form of these inequalities but measures spreads in
units of an estimated ρ̂ and scales the result down by ρ̂/ρmax; this bound uses the real
ρ and integral capacities, so on some instances it is the larger of the two.
"""

from __future__ import annotations

from clientbase.planning.builder import SubProblem

# Candidate sets of a group beyond which only single members are tried as S.
MAX_SETS = 300


def structural_bound(sub: SubProblem, *, all_served: bool) -> float:
    """The largest Hall-type lower bound on the spread of any peer group of `sub`."""
    instance = sub.instance
    settings = instance.settings
    managers = instance.managers
    clients = instance.clients
    best = 0.0
    unit_slots = all(settings.weight(clients[c].tier) >= 1 for c in sub.clients)
    for group in sub.groups:
        members = [m for m in group.managers if managers[m].capacity > 0]
        if len(members) < 2:
            continue
        inside = set(members)
        capacity = {m: float(managers[m].capacity) for m in members}
        total_capacity = sum(capacity.values())
        fixed = {m: sub.fixed_potential.get(m, 0.0) for m in members}
        # Clients by the members of the group they may go to.
        reach: dict[frozenset[int], list[float]] = {}
        forced: dict[frozenset[int], float] = {}
        for c in sub.clients:
            cands = sub.candidates[c]
            if not cands:
                continue
            mine = frozenset(m for m in cands if m in inside)
            if not mine:
                continue
            potential = clients[c].potential
            reach.setdefault(mine, []).append(potential)
            if len(mine) == len(cands):
                forced[mine] = forced.get(mine, 0.0) + potential
        reachable = sum(sum(values) for values in reach.values()) + sum(fixed.values())
        rho_max = reachable / total_capacity
        if rho_max <= 0:
            continue
        keys = sorted(reach, key=lambda k: (len(k), sorted(k)))
        high = 0.0
        if all_served:
            # S: each set of candidates (with every client whose candidates it contains;
            # only for a few hundred sets, the pairwise test is quadratic) and each member.
            shapes = keys if len(keys) <= MAX_SETS else [k for k in keys if len(k) == 1]
            for s in shapes:
                held = sum(p for key, p in forced.items() if key <= s)
                held += sum(fixed[m] for m in s)
                high = max(high, held / sum(capacity[m] for m in s))
        # T: each member alone — what he may take, as much of it as his free slots hold.
        low = float("inf")
        for m in members:
            values = sorted((p for key, ps in reach.items() if m in key for p in ps), reverse=True)
            if unit_slots:
                free = int(capacity[m]) - sub.fixed_load.get(m, 0)
                values = values[: max(0, free)]
            low = min(low, (sum(values) + fixed[m]) / capacity[m])
        if high > low:
            best = max(best, (high - low) / min(rho_max, high))
    return best
