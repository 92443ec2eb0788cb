"""The starting plan: owners kept, the rest dealt out by balance; min-cost max-flow as backup.

Owners keep their clients while capacity allows; new and orphaned clients are dealt out
biggest first to the candidate with the lowest potential per slot. If that leaves a
servable client out, a min-cost max-flow takes over:

source → client (1) → candidate manager (cost = move cost, 0 for the owner or a new
client) → sink (capacity). With every tier weight 1 this network is exactly objectives 1
and 3 without balance, solved in milliseconds even for 100 000 clients; balance is then
the local search's job. Hours are not a flow: managers the flow puts over their hours shed
their cheapest-to-move clients, which are re-inserted where they fit, with one level of
ejection (move a client of a full manager elsewhere to make room).
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from clientbase.planning.builder import SubProblem, client_hours_units, manager_hours_units
from clientbase.planning.objectives.disruption import COST_SCALE, costs


def _flow_start(sub: SubProblem, move_costs: list[float]) -> dict[int, int | None]:
    instance = sub.instance
    clients = [c for c in sub.clients if sub.candidates[c]]
    node_of_client = {c: 1 + i for i, c in enumerate(clients)}
    node_of_manager = {m: 1 + len(clients) + j for j, m in enumerate(sub.managers)}
    sink = 1 + len(clients) + len(sub.managers)
    position = {instance.managers[m].id: m for m in sub.managers}
    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    unit: list[int] = []
    pair_arcs: list[tuple[int, int]] = []
    for c in clients:
        tails.append(0)
        heads.append(node_of_client[c])
        caps.append(1)
        unit.append(0)
    for c in clients:
        owner = position.get(instance.clients[c].owner_id or "")
        cost = round(move_costs[c] * COST_SCALE)
        for m in sub.candidates[c]:
            tails.append(node_of_client[c])
            heads.append(node_of_manager[m])
            caps.append(1)
            unit.append(0 if owner is None or m == owner else cost)
            pair_arcs.append((c, m))
    for m in sub.managers:
        tails.append(node_of_manager[m])
        heads.append(sink)
        caps.append(max(0, instance.managers[m].capacity - sub.fixed_load.get(m, 0)))
        unit.append(0)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int32),
        np.array(heads, dtype=np.int32),
        np.array(caps, dtype=np.int64),
        np.array(unit, dtype=np.int64),
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[0] = len(clients)
    supplies[sink] = -len(clients)
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    result: dict[int, int | None] = dict.fromkeys(sub.clients)
    if flow.solve_max_flow_with_min_cost() != flow.OPTIMAL:
        return result
    first_pair_arc = len(clients)
    values = flow.flows(np.arange(first_pair_arc, first_pair_arc + len(pair_arcs)))
    for (c, m), value in zip(pair_arcs, values.tolist(), strict=True):
        if value > 0:
            result[c] = m
    return result


def initial_assignment(sub: SubProblem) -> dict[int, int | None]:
    """A plan respecting every hard rule, serving (nearly always) the most clients."""
    instance = sub.instance
    settings = instance.settings
    move_costs = costs(instance)
    unit_weights = all(settings.weight(instance.clients[c].tier) == 1 for c in sub.clients)
    has_owners = any(instance.clients[c].owner_id is not None for c in sub.clients)
    # Without owners nothing is disrupted: deal clients out by balance, biggest first (the
    # local search then has little left to do); the flow is the fallback if that leaves
    # anybody out.
    # With owners: everybody whose owner may keep him stays, the rest is dealt out the same
    # way; the flow takes over only if that leaves somebody out.
    assignment: dict[int, int | None] = dict.fromkeys(sub.clients)
    if has_owners:
        assignment = _keep_owners(sub, move_costs)
    dealt = _repair(sub, assignment, move_costs, by_balance=True)
    complete = all(dealt[c] is not None for c in sub.clients if sub.candidates[c])
    if complete or not unit_weights:
        return dealt
    return _repair(sub, _flow_start(sub, move_costs), move_costs, by_balance=False)


def _keep_owners(sub: SubProblem, move_costs: list[float]) -> dict[int, int | None]:
    """Owners keep their clients while capacity allows, the costliest to move first."""
    instance = sub.instance
    settings = instance.settings
    position = {instance.managers[m].id: m for m in sub.managers}
    load = {m: sub.fixed_load.get(m, 0) for m in sub.managers}
    hours = {m: sub.fixed_hours.get(m, 0) for m in sub.managers}
    result: dict[int, int | None] = dict.fromkeys(sub.clients)
    for c in sorted(sub.clients, key=lambda c: (-move_costs[c], c)):
        client = instance.clients[c]
        owner = position.get(client.owner_id or "")
        if owner is None or owner not in sub.candidates[c]:
            continue
        manager = instance.managers[owner]
        weight = settings.weight(client.tier)
        need = client_hours_units(client.hours)
        if load[owner] + weight > manager.capacity:
            continue
        if manager.hours is not None and hours[owner] + need > manager_hours_units(manager.hours):
            continue
        result[c] = owner
        load[owner] += weight
        hours[owner] += need
    return result


def _repair(
    sub: SubProblem,
    assignment: dict[int, int | None],
    move_costs: list[float],
    *,
    by_balance: bool,
) -> dict[int, int | None]:
    """Fix hours overruns and place waiting clients, with one level of ejection."""
    instance = sub.instance
    settings = instance.settings
    assignment = dict(assignment)
    potential = {m: sub.fixed_potential.get(m, 0.0) for m in sub.managers}
    load = {m: sub.fixed_load.get(m, 0) for m in sub.managers}
    hours = {m: sub.fixed_hours.get(m, 0) for m in sub.managers}
    books: dict[int, list[int]] = {m: [] for m in sub.managers}
    for c, m in assignment.items():
        if m is not None:
            client = instance.clients[c]
            load[m] += settings.weight(client.tier)
            hours[m] += client_hours_units(client.hours)
            potential[m] += client.potential
            books[m].append(c)
    hour_cap = {
        m: manager_hours_units(h) if (h := instance.managers[m].hours) is not None else None
        for m in sub.managers
    }
    # Managers over their hours shed the clients cheapest to move, new clients first.
    for m in sub.managers:
        cap = hour_cap[m]
        if cap is None or hours[m] <= cap:
            continue
        books[m].sort(key=lambda c: (move_costs[c], -instance.clients[c].hours, c))
        while hours[m] > cap and books[m]:
            c = books[m].pop(0)
            client = instance.clients[c]
            load[m] -= settings.weight(client.tier)
            hours[m] -= client_hours_units(client.hours)
            potential[m] -= client.potential
            assignment[c] = None

    def fits(c: int, m: int) -> bool:
        client = instance.clients[c]
        if load[m] + settings.weight(client.tier) > instance.managers[m].capacity:
            return False
        cap = hour_cap[m]
        return cap is None or hours[m] + client_hours_units(client.hours) <= cap

    def place(c: int, m: int) -> None:
        client = instance.clients[c]
        assignment[c] = m
        load[m] += settings.weight(client.tier)
        hours[m] += client_hours_units(client.hours)
        potential[m] += client.potential
        books[m].append(c)

    def unplace(c: int, m: int) -> None:
        client = instance.clients[c]
        assignment[c] = None
        load[m] -= settings.weight(client.tier)
        hours[m] -= client_hours_units(client.hours)
        potential[m] -= client.potential
        books[m].remove(c)

    owner_of = {instance.managers[m].id: m for m in sub.managers}
    has_owners = any(instance.clients[c].owner_id is not None for c in sub.clients)
    waiting = sorted(
        (c for c in sub.clients if assignment[c] is None and sub.candidates[c]),
        key=lambda c: (-instance.clients[c].potential, c),
    )
    for c in waiting:
        owner = owner_of.get(instance.clients[c].owner_id or "")

        def rank(m: int, owner: int | None = owner, c: int = c) -> tuple[bool, float, int]:
            capacity = max(1, instance.managers[m].capacity)
            if not by_balance:
                return (m != owner, load[m] / capacity, m)
            # Among owners' full books (a rebalance), a very large new client goes where
            # it raises the ratio least — a large book — since moving him on later costs
            # moves; a first distribution deals to the lowest ratio, the search evens out.
            extra = instance.clients[c].potential if has_owners else 0.0
            return (m != owner, (potential[m] + extra) / capacity, m)

        options = sorted(sub.candidates[c], key=rank)
        target = next((m for m in options if fits(c, m)), None)
        if target is not None:
            place(c, target)
            continue
        # One ejection: move somebody from a full candidate to a manager with room.
        done = False
        for m in options:
            for d in sorted(books[m], key=lambda d: (move_costs[d], d)):
                elsewhere = next((k for k in sub.candidates[d] if k != m and fits(d, k)), None)
                if elsewhere is None:
                    continue
                unplace(d, m)
                if fits(c, m):
                    place(d, elsewhere)
                    place(c, m)
                    done = True
                    break
                place(d, m)
            if done:
                break
    return assignment
