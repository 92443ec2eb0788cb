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
) -> tuple[list[int], int]:
    """Positions nearest to `at` on each side whose entry is usable, and how many were scanned.

    A manager's largest clients may all be outside the region the other manager serves;
    scanning on until usable ones are found is what lets a very under-loaded manager fill up.
    """
    found: list[int] = []
    total = 0
    for step, stop in ((-1, -1), (1, len(book))):
        i = at - 1 if step < 0 else at
        taken = scanned = 0
        while i != stop and taken < per_side and scanned < SCAN:
            if usable(i):
                found.append(i)
                taken += 1
            scanned += 1
            i += step
        total += scanned
    return found, total


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
    levels: list[float] | None = None,
    move_price: float = 0.0,
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
    # Computed once: the search asks for them hundreds of thousands of times.
    weight_of = {c: settings.weight(clients[c].tier) for c in sub.clients}
    hours_of = {c: client_hours_units(clients[c].hours) for c in sub.clients}
    state = _State(
        potential={m: sub.fixed_potential.get(m, 0.0) for m in sub.managers},
        load={m: sub.fixed_load.get(m, 0) for m in sub.managers},
        hours={m: sub.fixed_hours.get(m, 0) for m in sub.managers},
        books={m: [] for m in sub.managers},
        moves=sub.fixed_moves,
        free_moves=allow_new_moves,
    )
    for g, group in enumerate(sub.groups):
        level = levels[g] if levels is not None else 1.0
        for m in group.managers:
            scale = managers[m].capacity * group.rho_hat * level
            if scale > 0:
                state.scale[m] = scale
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
    # Distinct candidate lists only: a few hundred even when clients number thousands.
    for cands in {tuple(sub.candidates[c]) for c in sub.clients}:
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

    def price() -> float:
        # Each move away from an owner must buy at least this much of Φ, and handing a
        # client back earns it: big transfers that close the gap win over many small ones,
        # and Φ + price·moves only ever falls, so the search cannot cycle.
        return move_price

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
            weight = weight_of[c]
            hours = hours_of[c]
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

    def best_transfer(src: int, dst: int, size: float) -> tuple[float, list[tuple[int, int, int]]]:
        base = phi(src, state.potential[src]) + phi(dst, state.potential[dst])
        best_gain = -EPSILON
        best: list[tuple[int, int, int]] = []
        book = state.books[src]
        # A single move of a client of about the ideal size.
        at = bisect.bisect_left(book, (size, -1))
        found, scanned = _outward(book, at, lambda i: dst in cand_sets.get(book[i][1], ()), WINDOW)
        # Scanning counts as work too, so that the budget tracks CPU time on any instance.
        state.evaluations += scanned
        for i in found:
            p, c = book[i]
            state.evaluations += 1
            if not fits(dst, weight_of[c], hours_of[c]):
                continue
            delta = move_delta(c, src, dst)
            if not moves_ok(delta):
                continue
            gain = phi(src, state.potential[src] - p) + phi(dst, state.potential[dst] + p) - base
            gain += price() * delta
            if gain < best_gain:
                best_gain, best = gain, [(c, src, dst)]
        # A swap whose difference is about the ideal size.
        other = state.books[dst]
        if not other:
            return best_gain, best
        for p, c in book:
            if dst not in cand_sets.get(c, ()):
                continue
            want = p - size
            at = bisect.bisect_left(other, (want, -1))
            found, scanned = _outward(other, at, lambda j: src in cand_sets.get(other[j][1], ()), 2)
            state.evaluations += scanned
            for j in found:
                q, d = other[j]
                state.evaluations += 1
                wa, wd = weight_of[c], weight_of[d]
                ha, hd = hours_of[c], hours_of[d]
                if not (fits(dst, wa - wd, ha - hd) and fits(src, wd - wa, hd - ha)):
                    continue
                delta = move_delta(c, src, dst) + move_delta(d, dst, src)
                if not moves_ok(delta):
                    continue
                shift = p - q
                gain = (
                    phi(src, state.potential[src] - shift)
                    + phi(dst, state.potential[dst] + shift)
                    - base
                    + price() * delta
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
                    # Not `target`: that name is the spread band `apply` compares against.
                    size = ideal(src, dst)
                    if size > 0:
                        gain, changes = best_transfer(src, dst, size)
                    elif size < 0 and dst in state.scale:
                        gain, changes = best_transfer(dst, src, -size)
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


def reduce_moves(
    sub: SubProblem,
    assignment: dict[int, int | None],
    *,
    ceiling: float,
    work: int,
    deadline: float | None = None,
) -> int:
    """Hand moved clients back to their owners while every spread stays within `ceiling`.

    The second half of the lexicographic rebalance: balance first, then as few moves as
    that balance allows. A client goes back alone when his owner has room, or in exchange
    for a client of the owner whose move costs nothing (no owner, or the other manager's
    own client), the one closest in potential so that balance barely changes. Largest
    clients are tried last: they carry the balance. Returns the evaluations spent.
    """
    instance = sub.instance
    settings = instance.settings
    managers = instance.managers
    clients = instance.clients
    position = {mgr.id: i for i, mgr in enumerate(managers)}
    in_sub = set(sub.managers)
    potential = {m: sub.fixed_potential.get(m, 0.0) for m in sub.managers}
    load = {m: sub.fixed_load.get(m, 0) for m in sub.managers}
    hours = {m: sub.fixed_hours.get(m, 0) for m in sub.managers}
    books: dict[int, list[int]] = {m: [] for m in sub.managers}
    for c in sub.clients:
        m = assignment.get(c)
        if m is None:
            continue
        client = clients[c]
        potential[m] += client.potential
        load[m] += settings.weight(client.tier)
        hours[m] += client_hours_units(client.hours)
        books[m].append(c)
    group_of: dict[int, int] = {}
    members: list[list[int]] = []
    for g, group in enumerate(sub.groups):
        members.append([m for m in group.managers if managers[m].capacity > 0])
        for m in members[-1]:
            group_of[m] = g

    def owner(c: int) -> int | None:
        found = position.get(clients[c].owner_id or "")
        return found if found is not None and found in in_sub else None

    def group_spread(g: int) -> float:
        total = sum(potential[m] for m in members[g])
        if total <= 0 or len(members[g]) < 2:
            return 0.0
        rho = total / sum(managers[m].capacity for m in members[g])
        ratios = [potential[m] / managers[m].capacity for m in members[g]]
        return (max(ratios) - min(ratios)) / rho

    def fits(m: int, add_load: int, add_hours: int) -> bool:
        if load[m] + add_load > managers[m].capacity:
            return False
        available = managers[m].hours
        return available is None or hours[m] + add_hours <= manager_hours_units(available)

    def shift(c: int, src: int, dst: int) -> None:
        client = clients[c]
        weight = settings.weight(client.tier)
        units = client_hours_units(client.hours)
        potential[src] -= client.potential
        potential[dst] += client.potential
        load[src] -= weight
        load[dst] += weight
        hours[src] -= units
        hours[dst] += units
        books[src].remove(c)
        books[dst].append(c)
        assignment[c] = dst

    def within(changed: tuple[int, ...]) -> bool:
        touched = {group_of[m] for m in changed if m in group_of}
        return all(group_spread(g) <= ceiling for g in touched)

    evaluations = 0
    moved = [
        c
        for c in sub.clients
        if (o := owner(c)) is not None
        and assignment.get(c) not in (None, o)
        and o in sub.candidates[c]
    ]
    moved.sort(key=lambda c: (clients[c].potential, c))
    for c in moved:
        if evaluations > work or (deadline is not None and time.monotonic() > deadline):
            break
        src = assignment[c]
        home = owner(c)
        if src is None or home is None:
            continue
        client = clients[c]
        weight, units = settings.weight(client.tier), client_hours_units(client.hours)
        evaluations += 1
        if fits(home, weight, units):
            shift(c, src, home)
            if within((src, home)):
                continue
            shift(c, home, src)
        # An exchange: a client at the owner's who may go to src without a new move (no
        # owner, src's own, or a leaving manager's).
        best: tuple[float, int] | None = None
        for d in books[home]:
            if src not in sub.candidates[d]:
                continue
            if clients[d].owner_id == managers[home].id:
                continue  # his own client: moving him would be a new move
            evaluations += 1
            other = clients[d]
            w2, u2 = settings.weight(other.tier), client_hours_units(other.hours)
            if not (fits(home, weight - w2, units - u2) and fits(src, w2 - weight, u2 - units)):
                continue
            key = abs(other.potential - client.potential)
            if best is None or key < best[0]:
                best = (key, d)
        if best is None:
            continue
        d = best[1]
        shift(c, src, home)
        shift(d, home, src)
        if within((src, home)):
            continue
        shift(d, src, home)
        shift(c, home, src)
    return evaluations
