"""Exact-ratio polishing: lower the real `imbalance` below the model's resolution.

The local search (local_search.py) minimises a smooth proxy Φ aimed at estimated levels
and stops near the model's resolution (`balance_step`). This last pass works on the metric
itself: the real ratios r_m = potential / capacity and the real ρ_g of every peer group
(which changes when potential leaves the group, e.g. to the head of sales). A step is
accepted only if it lowers the key (largest spread, Σ_g Σ_m cap_m (r_m/ρ_g − 1)²): the
largest spread never rises, and the variance lets a step that leaves the extremes where
they are bring middle managers together (the first half of what the next step finishes).
Every candidate is evaluated exactly. In each round, on the worst peer group:

1. **pairs**: every move of one client and every swap of two between one of the TOP
   highest (lowest) managers and a neighbour (a manager who may take the client), of about
   the size that brings the two level or one of them to the middle;
2. **diffusion** (when no pair helps): a min-cost flow over the group's members routes
   every member's excess over the mean to those below it, and each pair's flow is made by
   the move or swap nearest to it — a cluster of managers linked to the rest by a few
   clients needs its surplus spread thinly over many managers at once;
3. **deepening** (Lin–Kernighan style): a first link out of a top manager leaves its
   partner with a surplus that he passes on, one fine link at a time; the best prefix is
   kept if it lowers the key.

It stops when none of these lowers the key, when the largest spread is within `floor`
(the proven bound: nothing left to gain), or when the work is spent.

Every step keeps every hard rule (candidates, capacity in clients and hours, the move
limit). A new move away from an owner is taken only while the largest spread is above
`band`, and must lower it by `move_price` (within `new_moves`, if given); giving a client
back to his owner is always allowed.
Deterministic: fixed orders, a work budget, no randomness.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass

from ortools.graph.python import min_cost_flow

from clientbase.planning.builder import SubProblem, client_hours_units, manager_hours_units

# Candidates of each side of the ideal size examined per (pair, size).
WINDOW = 3
# Entries of a book scanned at most on each side to find usable candidates.
SCAN = 48
# Managers at each end of the worst group whose moves and swaps are tried.
TOP = 2
# Work units per step counted here: this pass does about three times the Python per
# evaluation or scanned entry of local_search, whose units the budget is calibrated on.
UNIT_COST = 3
# Moves and swaps evaluated exactly per (pair, size): those whose shift is nearest to it.
CHECKED = 6
# First links of a chain tried per (manager, partner).
FIRST_LINKS = 4
# Compound steps (deepen): first links tried, and links after the first at most.
STARTS = 8
DEPTH = 6
# Rounds of diffusion (min-cost flow, then swaps), and the extra cost of a pair that
# could not carry its flow in an earlier round.
DIFFUSE_ROUNDS = 4
PENALTY = 4
# Relative improvements below this are float noise.
EPSILON = 1e-12


# One client changing hands: (client, from, to); a candidate step and the key it reaches.
Change = tuple[int, int, int]
Found = tuple[tuple[float, float], list[Change]]


@dataclass(slots=True)
class _Group:
    members: list[int]
    capacity: float
    total: float = 0.0
    spread: float = 0.0
    squares: float = 0.0  # Σ P_m² / cap_m
    variance: float = 0.0  # Σ cap_m (r_m / ρ_g − 1)² = squares·C²/total² − C


def _stats(
    group: _Group, potential: dict[int, float], capacity: dict[int, float]
) -> tuple[float, list[tuple[float, int]]]:
    """The group's spread and its members' ratios, ascending."""
    ratios = sorted((potential[m] / capacity[m], m) for m in group.members)
    if group.total <= 0 or len(ratios) < 2:
        return 0.0, ratios
    rho = group.total / group.capacity
    return (ratios[-1][0] - ratios[0][0]) / rho, ratios


def _variance(squares: float, total: float, capacity: float) -> float:
    if total <= 0:
        return 0.0
    return max(0.0, squares * capacity * capacity / (total * total) - capacity)


def equalise(
    sub: SubProblem,
    assignment: dict[int, int | None],
    *,
    work: int,
    floor: float = 0.0,
    deadline: float | None = None,
    new_moves: int | None = None,
    move_price: float = 0.0,
    band: float = 0.0,
) -> int:
    """Lower the imbalance of `assignment` in place; returns the work spent (evaluations)."""
    instance = sub.instance
    settings = instance.settings
    managers = instance.managers
    clients = instance.clients
    capacity = {m: float(managers[m].capacity) for m in sub.managers}
    potential = {m: sub.fixed_potential.get(m, 0.0) for m in sub.managers}
    load = {m: sub.fixed_load.get(m, 0) for m in sub.managers}
    hours = {m: sub.fixed_hours.get(m, 0) for m in sub.managers}
    books: dict[int, list[tuple[float, int]]] = {m: [] for m in sub.managers}
    cand_sets = {c: frozenset(sub.candidates[c]) for c in sub.clients}
    weight_of = {c: settings.weight(clients[c].tier) for c in sub.clients}
    hours_of = {c: client_hours_units(clients[c].hours) for c in sub.clients}
    position = {mgr.id: i for i, mgr in enumerate(managers)}
    owner_of = {
        c: position.get(clients[c].owner_id or "") if clients[c].owner_id else None
        for c in sub.clients
    }
    has_owner = {c: clients[c].owner_id is not None for c in sub.clients}
    moves = sub.fixed_moves
    for c in sub.clients:
        m = assignment.get(c)
        if m is None:
            continue
        potential[m] += clients[c].potential
        load[m] += weight_of[c]
        hours[m] += hours_of[c]
        books[m].append((clients[c].potential, c))
        if has_owner[c] and owner_of[c] != m:
            moves += 1
    for book in books.values():
        book.sort()
    move_cap = None if new_moves is None else moves + new_moves
    if sub.moves_limit is not None:
        move_cap = sub.moves_limit if move_cap is None else min(move_cap, sub.moves_limit)
    hour_cap = {
        m: manager_hours_units(h) if (h := managers[m].hours) is not None else None
        for m in sub.managers
    }
    groups: list[_Group] = []
    group_of: dict[int, int] = {}
    for group in sub.groups:
        members = [m for m in group.managers if capacity.get(m, 0) > 0]
        if len(members) < 2:
            continue
        for m in members:
            group_of[m] = len(groups)
        groups.append(_Group(members, sum(capacity[m] for m in members)))
    if not groups:
        return 0
    neighbours: dict[int, set[int]] = {m: set() for m in sub.managers}
    for cands in {tuple(sub.candidates[c]) for c in sub.clients}:
        for m in cands:
            neighbours[m].update(cands)
    order = {m: sorted(n - {m}) for m, n in neighbours.items()}
    ratios: list[list[tuple[float, int]]] = [[] for _ in groups]

    def refresh(g: int) -> None:
        group = groups[g]
        group.total = sum(potential[m] for m in group.members)
        group.squares = sum(potential[m] ** 2 / capacity[m] for m in group.members)
        group.variance = _variance(group.squares, group.total, group.capacity)
        group.spread, ratios[g] = _stats(group, potential, capacity)

    for g in range(len(groups)):
        refresh(g)

    def fits(m: int, add_load: int, add_hours: int) -> bool:
        if load[m] + add_load > capacity[m]:
            return False
        cap = hour_cap[m]
        return cap is None or hours[m] + add_hours <= cap

    def move_delta(c: int, src: int, dst: int) -> int:
        if not has_owner[c]:
            return 0
        return int(owner_of[c] != dst) - int(owner_of[c] != src)

    def spread_after(g: int, changed: dict[int, float]) -> tuple[float, float]:
        """Spread and variance of group g if the managers in `changed` get those potentials."""
        group = groups[g]
        total = group.total
        squares = group.squares
        high = low = None
        for m, value in changed.items():
            if group_of.get(m) == g:
                total += value - potential[m]
                squares += (value * value - potential[m] ** 2) / capacity[m]
                r = value / capacity[m]
                high = r if high is None or r > high else high
                low = r if low is None or r < low else low
        if total <= 0:
            return 0.0, 0.0
        ordered = ratios[g]
        for r, m in reversed(ordered):
            if m not in changed:
                high = r if high is None or r > high else high
                break
        for r, m in ordered:
            if m not in changed:
                low = r if low is None or r < low else low
                break
        assert high is not None and low is not None
        spread = (high - low) / (total / group.capacity)
        return spread, _variance(squares, total, group.capacity)

    def key_after(changed: dict[int, float]) -> tuple[float, float]:
        """(largest spread, Σ variances) if the managers in `changed` get those potentials.

        The variance lets a step that does not move the extremes bring a middle manager
        closer to the others (the first link of what the next step finishes).
        """
        touched = {group_of[m] for m in changed if m in group_of}
        new = {g: spread_after(g, changed) for g in touched}
        top = max((v[0] for v in new.values()), default=0.0)
        total = 0.0
        for g, group in enumerate(groups):
            value = new.get(g)
            if value is None:
                total += group.variance
                top = max(top, group.spread)
            else:
                total += value[1]
        return top, total

    def apply(changes: list[tuple[int, int, int]]) -> None:
        nonlocal moves
        for c, src, dst in changes:
            p = clients[c].potential
            moves += move_delta(c, src, dst)
            potential[src] -= p
            potential[dst] += p
            load[src] -= weight_of[c]
            load[dst] += weight_of[c]
            hours[src] -= hours_of[c]
            hours[dst] += hours_of[c]
            books[src].remove((p, c))
            bisect.insort(books[dst], (p, c))
            assignment[c] = dst
            version[src] += 1
            version[dst] += 1
        for g in {group_of[m] for _, s, d in changes for m in (s, d) if m in group_of}:
            refresh(g)

    def current_key() -> tuple[float, float]:
        return max(g.spread for g in groups), sum(g.variance for g in groups)

    spent = 0
    version = dict.fromkeys(sub.managers, 0)
    shared_cache: dict[tuple[int, int], tuple[int, list[tuple[float, int]]]] = {}

    def shared(src: int, dst: int) -> list[tuple[float, int]]:
        """src's clients that dst may take, by potential (cached until src's book changes)."""
        nonlocal spent
        hit = shared_cache.get((src, dst))
        if hit is not None and hit[0] == version[src]:
            return hit[1]
        rows = [(p, c) for p, c in books[src] if dst in cand_sets[c]]
        spent += len(books[src])
        shared_cache[(src, dst)] = (version[src], rows)
        return rows

    def near(book: list[tuple[float, int]], size: float) -> range:
        """Positions of the WINDOW entries nearest to `size` on each side."""
        at = bisect.bisect_left(book, (size, -1))
        return range(max(0, at - WINDOW), min(len(book), at + WINDOW))

    def sizes(src: int, dst: int, worst: int) -> list[float]:
        """Transfers from src to dst worth trying: equal ratios, or src/dst to the middle."""
        out: list[float] = []
        r_src = potential[src] / capacity[src] if capacity[src] > 0 else None
        r_dst = potential[dst] / capacity[dst] if capacity[dst] > 0 else None
        if r_src is not None and r_dst is not None and src in group_of and dst in group_of:
            out.append((r_src - r_dst) / (1 / capacity[src] + 1 / capacity[dst]))
        ordered = ratios[worst]
        middle = (ordered[0][0] + ordered[-1][0]) / 2
        if r_src is not None and group_of.get(src) == worst:
            out.append((r_src - middle) * capacity[src])
        if r_dst is not None and group_of.get(dst) == worst:
            out.append((middle - r_dst) * capacity[dst])
        return sorted({round(s, 6) for s in out if s > 0})

    def free(delta: int) -> bool:
        """Whether `delta` new moves fit the move cap (searched past when they do not)."""
        return delta <= 0 or move_cap is None or moves + delta <= move_cap

    def options(src: int, dst: int, size: float, limit: int) -> list[tuple[list[Change], float]]:
        """The `limit` feasible moves or swaps from src to dst whose shift is nearest to `size`.

        Feasible in clients and hours: a manager full on hours (a book of long VIP
        relationships) can only swap for a client of no more hours, so the scan goes on
        past the nearest sizes until it finds such ones (at most SCAN entries a side).
        """
        nonlocal spent
        mine = shared(src, dst)
        if not mine or size <= 0:
            return []
        theirs = shared(dst, src)
        found: list[tuple[float, list[Change], float]] = []
        at = bisect.bisect_left(mine, (size, -1))
        for step, stop in ((-1, -1), (1, len(mine))):
            i = at - 1 if step < 0 else at
            taken = scanned = 0
            while i != stop and taken < WINDOW and scanned < SCAN:
                p, c = mine[i]
                if fits(dst, weight_of[c], hours_of[c]) and free(move_delta(c, src, dst)):
                    found.append((abs(p - size), [(c, src, dst)], p))
                    taken += 1
                scanned += 1
                i += step
            spent += scanned
        spent += len(mine)
        for p, c in mine:
            wc, hc = weight_of[c], hours_of[c]
            at = bisect.bisect_left(theirs, (p - size, -1))
            for step, stop in ((-1, -1), (1, len(theirs))):
                j = at - 1 if step < 0 else at
                scanned = 0
                while j != stop and scanned < SCAN:
                    q, d = theirs[j]
                    scanned += 1
                    if q >= p:
                        break
                    wd, hd = weight_of[d], hours_of[d]
                    if (
                        fits(dst, wc - wd, hc - hd)
                        and fits(src, wd - wc, hd - hc)
                        and free(move_delta(c, src, dst) + move_delta(d, dst, src))
                    ):
                        found.append((abs(p - q - size), [(c, src, dst), (d, dst, src)], p - q))
                        break
                    j += step
                # The first entry a side is the plain nearest-size search; further ones
                # (skipping clients of more hours than room) count as extra work.
                spent += max(0, scanned - 1)
        found.sort(key=lambda o: (o[0], o[1]))
        return [(changes, shift) for _, changes, shift in found[:limit]]

    def feasible(changes: list[Change]) -> bool:
        """Capacity in clients and hours after all of `changes`; no client twice."""
        if len({c for c, _, _ in changes}) < len(changes):
            return False
        net: dict[int, list[int]] = {}
        for c, a, b in changes:
            net.setdefault(a, [0, 0])
            net.setdefault(b, [0, 0])
            net[a][0] -= weight_of[c]
            net[a][1] -= hours_of[c]
            net[b][0] += weight_of[c]
            net[b][1] += hours_of[c]
        return all(fits(m, w, h) for m, (w, h) in net.items() if w > 0 or h > 0)

    def judge(changes: list[Change], now: tuple[float, float]) -> tuple[float, float] | None:
        """The key after `changes`, or None when the move rules refuse them."""
        nonlocal spent
        spent += 1
        delta = sum(move_delta(c, a, b) for c, a, b in changes)
        if delta > 0 and move_cap is not None and moves + delta > move_cap:
            return None
        changed: dict[int, float] = {}
        for c, a, b in changes:
            p = clients[c].potential
            changed[a] = changed.get(a, potential[a]) - p
            changed[b] = changed.get(b, potential[b]) + p
        key = key_after(changed)
        if delta > 0 and (now[0] <= band or key[0] > now[0] - move_price * delta):
            return None
        return key

    def best_between(src: int, dst: int, worst: int, now: tuple[float, float]) -> Found | None:
        """The best move or swap between src and dst (src gives), evaluated exactly."""
        best: Found | None = None
        for size in sizes(src, dst, worst):
            for changes, _ in options(src, dst, size, 4 * CHECKED):
                if not feasible(changes):
                    continue
                key = judge(changes, now)
                if key is not None and (best is None or key < best[0]):
                    best = (key, changes)
                    break
        return best

    def middle_of(g: int) -> float:
        ordered = ratios[g]
        return (ordered[0][0] + ordered[-1][0]) / 2

    def aim(m: int, g: int, fallback: float) -> float:
        """Potential m should gain (negative: shed) to reach the middle of group g."""
        if group_of.get(m) != g:
            return fallback
        return (middle_of(g) - potential[m] / capacity[m]) * capacity[m]

    def level_gap(m: int) -> float:
        """Potential m holds above (> 0) or below his group's mean ratio."""
        group = groups[group_of[m]]
        return potential[m] - group.total / group.capacity * capacity[m]

    def undo(changes: list[Change]) -> None:
        apply([(c, b, a) for c, a, b in reversed(changes)])

    def deepen(worst: int, now: tuple[float, float]) -> bool:
        """A compound step that may pass through worse plans, kept only if it ends better.

        A first link out of a top manager (or into a bottom one) leaves its partner, the
        holder, with a surplus (a deficit); the holder then passes it on, one fine link at a
        time, to whoever it shares clients with, the holder becoming whoever is furthest
        from the middle (Lin–Kernighan style). The best prefix is kept if it lowers the key;
        otherwise everything is undone. Returns whether the plan changed.
        """
        ranked = ratios[worst]
        tops = {m for _, m in ranked[-TOP:]}
        bottoms = {m for _, m in ranked[:TOP]}
        # First links: a top manager gives to a partner below the mean (the holder), or a
        # bottom one gets from a partner above it; the closer the link brings the extreme
        # manager to the mean, the earlier it is tried.
        starts: list[tuple[float, list[Change], int, int]] = []
        for a in sorted(tops):
            for m in order[a]:
                if m not in group_of or m in tops or level_gap(m) >= 0:
                    continue
                for changes, shift in options(a, m, level_gap(a), FIRST_LINKS):
                    if feasible(changes):
                        miss = abs(level_gap(a) - shift) / capacity[a]
                        starts.append((miss, changes, m, 1))
        for b in sorted(bottoms):
            for m in order[b]:
                if m not in group_of or m in bottoms or level_gap(m) <= 0:
                    continue
                for changes, shift in options(m, b, -level_gap(b), FIRST_LINKS):
                    if feasible(changes):
                        miss = abs(-level_gap(b) - shift) / capacity[b]
                        starts.append((miss, changes, m, -1))
        starts.sort(key=lambda s: (s[0], s[1]))
        for _, first, holder, sign in starts[:STARTS]:
            first_key = judge(first, now)
            if first_key is None:
                continue
            done = [first]
            apply(first)
            touched = {c for c, _, _ in first}
            best_len, best_key = 1, first_key
            for _ in range(DEPTH):
                if spent * UNIT_COST >= work:
                    break
                # What the holder should give (sign > 0) or get (sign < 0) to reach the
                # group's mean; each partner takes at most what brings him to the mean.
                excess = sign * level_gap(holder)
                if excess <= 0:
                    break
                pick: tuple[tuple[float, float], list[Change], int] | None = None
                for k in order[holder]:
                    room = -sign * level_gap(k) if k in group_of else excess
                    size = min(excess, room)
                    if size <= 0:
                        continue
                    pair = (holder, k) if sign > 0 else (k, holder)
                    for changes, shift in options(*pair, size, 2):
                        if shift >= 2 * size:
                            continue  # overshoots: the partner would end further off
                        if touched & {c for c, _, _ in changes} or not feasible(changes):
                            continue
                        key = judge(changes, now)
                        if key is not None and (pick is None or key < pick[0]):
                            pick = (key, changes, k)
                if pick is None:
                    break
                key, changes, k = pick
                apply(changes)
                done.append(changes)
                touched |= {c for c, _, _ in changes}
                if key < best_key:
                    best_len, best_key = len(done), key
                if k in group_of and sign * level_gap(k) > sign * level_gap(holder):
                    holder = k
            while len(done) > best_len:
                undo(done.pop())
            if improves(best_key, now):
                return True
            while done:
                undo(done.pop())
        return False

    def diffuse(worst: int, now: tuple[float, float]) -> bool:
        """Route every member's excess over the group's mean to those below it, at once.

        A min-cost flow over the group's members (an arc wherever two of them share
        clients, one unit of cost per arc) says how much potential should cross each
        pair; each crossing is then made by the move or swap whose shift is nearest to it.
        Kept if the whole lowers the key, undone otherwise. This is what a cluster of
        managers linked to the rest by a few clients needs: its surplus spread thinly
        over many managers, each of whom takes only a little.
        """
        nonlocal spent
        group = groups[worst]
        members = group.members
        index = {m: i for i, m in enumerate(members)}
        penalty: dict[tuple[int, int], int] = {}
        done: list[list[Change]] = []
        touched: set[int] = set()
        best_len, best_key = 0, now
        for _ in range(DIFFUSE_ROUNDS):
            mean = group.total / group.capacity
            supply = [round(potential[m] - mean * capacity[m]) for m in members]
            supply[max(range(len(members)), key=lambda i: (supply[i], -i))] -= sum(supply)
            flow = min_cost_flow.SimpleMinCostFlow()
            arcs: list[tuple[int, int]] = []
            big = sum(abs(v) for v in supply) + 1
            for m in members:
                for k in order[m]:
                    if k in index and shared(m, k):
                        cost = 1 + penalty.get((m, k), 0)
                        flow.add_arc_with_capacity_and_unit_cost(index[m], index[k], big, cost)
                        arcs.append((m, k))
            spent += len(arcs)
            for i, value in enumerate(supply):
                flow.set_node_supply(i, value)
            if not arcs or flow.solve() != flow.OPTIMAL:
                break
            plan = [(flow.flow(a), m, k) for a, (m, k) in enumerate(arcs) if flow.flow(a) > 0]
            plan.sort(key=lambda row: (-row[0], row[1], row[2]))
            for amount, m, k in plan:
                made = False
                for changes, shift in options(m, k, float(amount), CHECKED):
                    if shift >= 2 * amount or touched & {c for c, _, _ in changes}:
                        continue
                    if not feasible(changes) or judge(changes, now) is None:
                        continue
                    apply(changes)
                    done.append(changes)
                    touched |= {c for c, _, _ in changes}
                    made = True
                    break
                if not made:
                    # Route around this pair next round.
                    penalty[(m, k)] = penalty.get((m, k), 0) + PENALTY
            key = current_key()
            if key < best_key:
                best_len, best_key = len(done), key
        while len(done) > best_len:
            undo(done.pop())
        return improves(best_key, now)

    def improves(key: tuple[float, float], now: tuple[float, float]) -> bool:
        return key[0] < now[0] - EPSILON * max(now[0], 1e-9) or (
            key[0] <= now[0] and key[1] < now[1] - EPSILON
        )

    while spent * UNIT_COST < work and not (deadline is not None and time.monotonic() > deadline):
        now = current_key()
        if now[0] <= floor:
            break
        worst = max(range(len(groups)), key=lambda g: (groups[g].spread, -g))
        ranked = ratios[worst]
        pairs = [(a, m) for _, a in ranked[-TOP:] for m in order[a]]
        pairs += [(m, b) for _, b in ranked[:TOP] for m in order[b]]
        best: Found | None = None
        for src, dst in pairs:
            found = best_between(src, dst, worst, now)
            if found is not None and (best is None or found[0] < best[0]):
                best = found
        if best is not None and improves(best[0], now):
            apply(best[1])
            continue
        if diffuse(worst, now) or deepen(worst, now):
            continue
        break
    return spent * UNIT_COST
