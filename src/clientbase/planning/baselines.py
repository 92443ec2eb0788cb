"""The greedy rules other CRMs ship, for comparison: round robin, least loaded, weighted.

Like Odoo, Frappe, Bitrix24 and HubSpot they route one client at a time, respect the
segment rules (the candidate lists) and keep a client with his owner while the owner can
still serve him, but they do not look at capacity, so they may overload a manager; the
plan they return is validated like any other and its violations are reported.
"""

from __future__ import annotations

from clientbase.planning.candidates import candidate_lists
from clientbase.planning.model import finish_plan
from clientbase.planning.schemas import Instance, Plan, Strategy


def _route(instance: Instance, strategy: Strategy) -> dict[str, str | None]:
    candidates = candidate_lists(instance)
    managers = instance.managers
    position = {m.id: i for i, m in enumerate(managers)}
    count = [0] * len(managers)
    load = [0.0] * len(managers)
    assignment: dict[str, str | None] = {}
    pending: list[int] = []
    for c, client in enumerate(instance.clients):
        owner = position.get(client.owner_id or "")
        if owner is not None and owner in candidates[c]:
            assignment[client.id] = client.owner_id
            count[owner] += 1
            load[owner] += instance.settings.weight(client.tier)
        else:
            pending.append(c)
    pointer = 0
    for c in pending:
        client = instance.clients[c]
        cands = candidates[c]
        if not cands:
            assignment[client.id] = None
            continue
        if strategy is Strategy.ROUND_ROBIN:
            # The next manager in the global rotation who may take this client.
            ordered = sorted(cands)
            chosen = next((m for m in ordered if m >= pointer), ordered[0])
            pointer = chosen + 1
        elif strategy is Strategy.LEAST_LOADED:
            chosen = min(cands, key=lambda m: (count[m], m))
        else:
            chosen = min(cands, key=lambda m: (load[m] / max(managers[m].capacity, 1), m))
        assignment[client.id] = managers[chosen].id
        count[chosen] += 1
        load[chosen] += instance.settings.weight(client.tier)
    return assignment


def baseline(instance: Instance, strategy: Strategy) -> Plan:
    """A plan made by one of the greedy CRM rules."""
    if strategy is Strategy.OPTIMAL:
        raise ValueError("the optimal strategy is not a baseline")
    return finish_plan(instance, _route(instance, strategy), strategy)
