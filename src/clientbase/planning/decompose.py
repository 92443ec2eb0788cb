"""Independent groups: connected components of the manager–eligible-client graph.

Two managers are in one component when a chain of clients each of them may serve links
them; components share nothing (no client, no capacity), so each is solved on its own.
Only a global move limit couples them, and the model splits it between them.
"""

from __future__ import annotations

from dataclasses import dataclass

from clientbase.planning.builder import PeerGroup
from clientbase.planning.schemas import Instance


@dataclass(slots=True)
class Component:
    """Managers and clients (by position) that can only be traded among themselves."""

    managers: list[int]
    clients: list[int]


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def components(candidates: list[list[int]], n_managers: int) -> list[Component]:
    """Components with at least one client, in a deterministic order (by first manager)."""
    parent = list(range(n_managers))
    for cands in candidates:
        if len(cands) > 1:
            root = _find(parent, cands[0])
            for m in cands[1:]:
                other = _find(parent, m)
                if other != root:
                    parent[other] = root
    by_root: dict[int, Component] = {}
    for c, cands in enumerate(candidates):
        if not cands:
            continue
        root = _find(parent, cands[0])
        component = by_root.get(root)
        if component is None:
            component = Component([], [])
            by_root[root] = component
        component.clients.append(c)
    for m in range(n_managers):
        component = by_root.get(_find(parent, m))
        if component is not None:
            component.managers.append(m)
    return sorted(by_root.values(), key=lambda comp: comp.managers[0])


def peer_groups(
    instance: Instance, component: Component, candidates: list[list[int]]
) -> list[PeerGroup]:
    """Peers of SPEC §4: managers of one role group linked by clients they may share.

    The links are taken among managers of the same role group only: two farmers connected
    solely through the head of sales (who may take anyone's VIP client) serve different
    segments and are not peers. Groups of one are left out (no peers, nothing to compare).
    """
    members_by_group: dict[str, list[int]] = {}
    for m in component.managers:
        manager = instance.managers[m]
        if manager.capacity > 0:
            members_by_group.setdefault(manager.role_group.value, []).append(m)
    groups: list[PeerGroup] = []
    for name in sorted(members_by_group):
        members = members_by_group[name]
        member_set = set(members)
        parent = {m: m for m in members}
        for c in component.clients:
            inside = [m for m in candidates[c] if m in member_set]
            for m in inside[1:]:
                a, b = _root(parent, inside[0]), _root(parent, m)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        linked: dict[int, list[int]] = {}
        for m in members:
            linked.setdefault(_root(parent, m), []).append(m)
        for peers in linked.values():
            if len(peers) >= 2:
                groups.append(_peer_group(instance, component, candidates, peers))
    return sorted(groups, key=lambda g: g.managers[0])


def _root(parent: dict[int, int], m: int) -> int:
    while parent[m] != m:
        parent[m] = parent[parent[m]]
        m = parent[m]
    return m


def _peer_group(
    instance: Instance, component: Component, candidates: list[list[int]], peers: list[int]
) -> PeerGroup:
    peer_set = set(peers)
    group_capacity = sum(instance.managers[m].capacity for m in peers)
    share_total = 0.0
    reach_total = 0.0
    for c in component.clients:
        cands = candidates[c]
        inside = [m for m in cands if m in peer_set]
        if not inside:
            continue
        potential = instance.clients[c].potential
        reach_total += potential
        all_capacity = sum(instance.managers[m].capacity for m in cands)
        inside_capacity = sum(instance.managers[m].capacity for m in inside)
        # A shared client is expected to land in proportion to the capacity that can take him.
        share_total += potential * inside_capacity / all_capacity
    return PeerGroup(
        managers=tuple(peers),
        rho_hat=share_total / group_capacity,
        rho_max=reach_total / group_capacity,
    )
