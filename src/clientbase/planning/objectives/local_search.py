"""Balance polishing by moves and swaps, from a rounded LP solution.

Balance is a number-partitioning problem in disguise: exact solvers close the gap to the
LP bound only very slowly (see docs/decisions/0002-distribution-solver.md), while moving
and swapping clients of the right size between two managers who may both serve them closes
it in a few passes, because the LP start is already balanced up to a few clients.

The search minimises Φ = Σ_m cap_m · (r_m / ρ̂_g − 1)², a smooth proxy of the spread, over
peers; every step keeps every hard rule (candidates, capacity in clients and hours, move
limit) and, inside the tolerance band of objective 3, never moves a client away from his
owner. It is deterministic (fixed orders, a work budget in evaluations) unless the machine is
so loaded that the wall-clock deadline of the time limit stops it first.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from clientbase.planning.builder import SubProblem, client_hours_units, manager_hours_units

# Gains smaller than this (in Φ units) are rounding noise.
EPSILON = 1e-12
# How many eligible neighbours of the ideal size are tried on each side of a binary search,
# and how far the scan may go to find them.
WINDOW = 3
SCAN = 64


def _outward(
    book: list[tuple[float, int]], at: int, usable: Callable[[int], bool], per_side: int
) -> list[int]:
    """Positions nearest to `at` on each side whose entry is usable, `per_side` at most each.

    A manager's largest clients may all be outside the region the other manager serves;
    scanning on until usable ones are found is what lets a very under-loaded manager fill up.
    """
    found: list[int] = []
    for step, stop in ((-1, -1), (1, len(book))):
        i = at - 1 if step < 0 else at
        taken = scanned = 0
        while i != stop and taken < per_side and scanned < SCAN:
            if usable(i):
                found.append(i)
                taken += 1
            scanned += 1
            i += step
    return found


@dataclass(slots=True)
class _State:
    potential: dict[int, float]
    load: dict[int, int]
    hours: dict[int, int]
    books: dict[int, list[tuple[float, int]]]
    moves: int
    evaluations: int = 0
    applied: int = 0
    free_moves: bool = True
    scale: dict[int, float] = field(default_factory=dict)  # cap·ρ̂ of grouped managers


def polish(
    sub: SubProblem,
    assignment: dict[int, int | None],
    *,
    allow_new_moves: bool,
    work: int,
    target: float = 0.0,
    good_enough: float = 0.0,
    deadline: float | None = None,
) -> int:
    """Improve the balance of `assignment` in place; returns the evaluations spent.

    With `allow_new_moves`, clients may be taken from their owners only until every peer
    group's spread is within `target`; from then on only moves that do not add disruption.
    The search stops early once every spread is within `good_enough`, and at the wall-clock
    `deadline` (time.monotonic()) if one is given.
    """

    def out_of_time() -> bool:
        return deadline is not None and time.monotonic() > deadline

    instance = sub.instance
    settings = instance.settings
    managers = instance.managers
    clients = instance.clients
    cand_sets = {c: set(sub.candidates[c]) for c in sub.clients}
    state = _State(
        potential={m: sub.fixed_potential.get(m, 0.0) for m in sub.managers},
        load={m: sub.fixed_load.get(m, 0) for m in sub.managers},
        hours={m: sub.fixed_hours.get(m, 0) for m in sub.managers},
        books={m: [] for m in sub.managers},
        moves=sub.fixed_moves,
        free_moves=allow_new_moves,
    )
    for group in sub.groups:
        for m in group.managers:
            state.scale[m] = managers[m].capacity * group.rho_hat
    owner_pos = {mgr.id: i for i, mgr in enumerate(managers)}
    owner_of: dict[int, int | None] = {
        c: owner_pos.get(clients[c].owner_id or "") if clients[c].owner_id else None
        for c in sub.clients
    }
    has_owner = {c: clients[c].owner_id is not None for c in sub.clients}
    for c in sub.clients:
        chosen = assignment.get(c)
        if chosen is None:
            continue
        m = chosen
        client = clients[c]
        state.potential[m] += client.potential
        state.load[m] += settings.weight(client.tier)
        state.hours[m] += client_hours_units(client.hours)
        state.books[m].append((client.potential, c))
        if has_owner[c] and owner_of[c] != m:
            state.moves += 1
    for book in state.books.values():
        book.sort()
    neighbours: dict[int, set[int]] = {m: set() for m in sub.managers}
    for c in sub.clients:
        cands = sub.candidates[c]
        if len(cands) > 1:
            for m in cands:
                neighbours[m].update(cands)
    order_neighbours = {m: sorted(n - {m}) for m, n in neighbours.items()}
    hour_cap: dict[int, int | None] = {}
    for m in sub.managers:
        available = managers[m].hours
        hour_cap[m] = manager_hours_units(available) if available is not None else None

    def phi(m: int, potential: float) -> float:
        scale = state.scale.get(m)
        if not scale:
            return 0.0
        deviation = potential / scale - 1.0
        return managers[m].capacity * deviation * deviation

    def fits(m: int, add_load: int, add_hours: int) -> bool:
        if state.load[m] + add_load > managers[m].capacity:
            return False
        cap = hour_cap[m]
        return cap is None or state.hours[m] + add_hours <= cap

    def move_delta(c: int, src: int, dst: int) -> int:
        if not has_owner[c]:
            return 0
        return int(owner_of[c] != dst) - int(owner_of[c] != src)

    def moves_ok(delta: int) -> bool:
        if delta <= 0:
            return True
        if not state.free_moves:
            return False
        limit = sub.moves_limit
        return limit is None or state.moves + delta <= limit

    def ideal(src: int, dst: int) -> float:
        # Minimiser t of phi(src, P_src − t) + phi(dst, P_dst + t) for the quadratic Φ.
        s_src = state.scale.get(src)
        s_dst = state.scale.get(dst)
        if not s_src:
            return 0.0
        k_src = s_src * s_src / managers[src].capacity
        e_src = state.potential[src] - s_src
        if not s_dst:
            return e_src
        k_dst = s_dst * s_dst / managers[dst].capacity
        e_dst = state.potential[dst] - s_dst
        return (e_src / k_src - e_dst / k_dst) / (1 / k_src + 1 / k_dst)

    def spread() -> float:
        worst = 0.0
        for group in sub.groups:
            members = [m for m in group.managers if managers[m].capacity > 0]
            total = sum(state.potential[m] for m in members)
            if total <= 0 or len(members) < 2:
                continue
            rho = total / sum(managers[m].capacity for m in members)
            ratios = [state.potential[m] / managers[m].capacity for m in members]
            worst = max(worst, (max(ratios) - min(ratios)) / rho)
        return worst

    def apply(changes: list[tuple[int, int, int]]) -> None:
        added = sum(move_delta(c, src, dst) for c, src, dst in changes)
        for c, src, dst in changes:
            client = clients[c]
            weight = settings.weight(client.tier)
            hours = client_hours_units(client.hours)
            state.moves += move_delta(c, src, dst)
            state.potential[src] -= client.potential
            state.potential[dst] += client.potential
            state.load[src] -= weight
            state.load[dst] += weight
            state.hours[src] -= hours
            state.hours[dst] += hours
            state.books[src].remove((client.potential, c))
            bisect.insort(state.books[dst], (client.potential, c))
            assignment[c] = dst
        state.applied += 1
        if added > 0 and state.free_moves and spread() <= target:
            # Inside the tolerance band: fewer moves now beat better balance (objective 3).
            state.free_moves = False

    def best_transfer(
        src: int, dst: int, target: float
    ) -> tuple[float, list[tuple[int, int, int]]]:
        base = phi(src, state.potential[src]) + phi(dst, state.potential[dst])
        best_gain = -EPSILON
        best: list[tuple[int, int, int]] = []
        book = state.books[src]
        # A single move of a client of about the ideal size.
        at = bisect.bisect_left(book, (target, -1))
        for i in _outward(book, at, lambda i: dst in cand_sets.get(book[i][1], ()), WINDOW):
            p, c = book[i]
            state.evaluations += 1
            client = clients[c]
            if not fits(dst, settings.weight(client.tier), client_hours_units(client.hours)):
                continue
            if not moves_ok(move_delta(c, src, dst)):
                continue
            gain = phi(src, state.potential[src] - p) + phi(dst, state.potential[dst] + p) - base
            if gain < best_gain:
                best_gain, best = gain, [(c, src, dst)]
        # A swap whose difference is about the ideal size.
        other = state.books[dst]
        if not other:
            return best_gain, best
        for p, c in book:
            if dst not in cand_sets.get(c, ()):
                continue
            want = p - target
            at = bisect.bisect_left(other, (want, -1))
            for j in _outward(other, at, lambda j: src in cand_sets.get(other[j][1], ()), 2):
                q, d = other[j]
                state.evaluations += 1
                ca, cd = clients[c], clients[d]
                wa, wd = settings.weight(ca.tier), settings.weight(cd.tier)
                ha, hd = client_hours_units(ca.hours), client_hours_units(cd.hours)
                if not (fits(dst, wa - wd, ha - hd) and fits(src, wd - wa, hd - ha)):
                    continue
                if not moves_ok(move_delta(c, src, dst) + move_delta(d, dst, src)):
                    continue
                shift = p - q
                gain = (
                    phi(src, state.potential[src] - shift)
                    + phi(dst, state.potential[dst] + shift)
                    - base
                )
                if gain < best_gain:
                    best_gain, best = gain, [(c, src, dst), (d, dst, src)]
        return best_gain, best

    grouped = sorted(state.scale)
    if state.free_moves and sub.moves_limit is None and target > 0 and spread() <= target:
        state.free_moves = False
    for _ in range(50):
        if state.evaluations > work or spread() <= good_enough or out_of_time():
            break
        before = state.applied
        # The worst-balanced managers first.
        order = sorted(grouped, key=lambda m: (-abs(state.potential[m] / state.scale[m] - 1.0), m))
        for src in order:
            for _ in range(8):
                if state.evaluations > work or out_of_time():
                    break
                best_gain = -EPSILON
                best: list[tuple[int, int, int]] = []
                for dst in order_neighbours[src]:
                    target = ideal(src, dst)
                    if target > 0:
                        gain, changes = best_transfer(src, dst, target)
                    elif target < 0 and dst in state.scale:
                        gain, changes = best_transfer(dst, src, -target)
                    else:
                        continue
                    if gain < best_gain:
                        best_gain, best = gain, changes
                if not best:
                    break
                apply(best)
        if state.applied == before:
            break
    return state.evaluations
