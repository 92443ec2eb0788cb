"""Plan metrics: per-manager load, imbalance (peer-group and role-group forms), moves."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from clientbase.core.types import roles_allowed
from clientbase.planning.candidates import candidate_lists
from clientbase.planning.constraints.availability import admits_manager
from clientbase.planning.decompose import components, peer_groups
from clientbase.planning.schemas import Instance, ManagerStats


def manager_stats(instance: Instance, assignment: dict[str, str | None]) -> dict[str, ManagerStats]:
    """What every manager receives: clients, weighted load, hours, potential, moves in/out."""
    settings = instance.settings
    acc: dict[str, list[float]] = {m.id: [0, 0, 0.0, 0.0, 0, 0] for m in instance.managers}
    for client in instance.clients:
        manager_id = assignment.get(client.id)
        row = acc.get(manager_id) if manager_id is not None else None
        if row is not None:
            row[0] += 1
            row[1] += settings.weight(client.tier)
            row[2] += client.hours
            row[3] += client.potential
        if client.owner_id is not None and manager_id is not None and manager_id != client.owner_id:
            if row is not None:
                row[4] += 1
            owner_row = acc.get(client.owner_id)
            if owner_row is not None:
                owner_row[5] += 1
    return {
        m.id: ManagerStats(
            manager_id=m.id,
            clients=int(acc[m.id][0]),
            load=int(acc[m.id][1]),
            hours=acc[m.id][2],
            potential=acc[m.id][3],
            capacity=m.capacity,
            hours_capacity=m.hours,
            moved_in=int(acc[m.id][4]),
            moved_out=int(acc[m.id][5]),
        )
        for m in instance.managers
    }


def peer_group_ids(
    instance: Instance, candidates: list[list[int]] | None = None
) -> list[list[str]]:
    """Peer groups of SPEC §4 as lists of manager ids (same role group, connected, ≥ 2)."""
    cands = candidates if candidates is not None else candidate_lists(instance)
    result: list[list[str]] = []
    for component in components(cands, len(instance.managers)):
        for group in peer_groups(instance, component, cands):
            result.append([instance.managers[m].id for m in group.managers])
    return result


def spread(stats: dict[str, ManagerStats], group: Iterable[str]) -> float:
    """(max r − min r) / ρ over a group of managers with positive capacity; 0 if undefined."""
    members = [stats[m] for m in group if stats[m].capacity > 0]
    if len(members) < 2:
        return 0.0
    capacity = sum(s.capacity for s in members)
    potential = sum(s.potential for s in members)
    if potential <= 0:
        return 0.0
    rho = potential / capacity
    ratios = [s.ratio for s in members]
    return (max(ratios) - min(ratios)) / rho


def imbalance(
    instance: Instance,
    assignment: dict[str, str | None],
    groups: Sequence[Sequence[str]] | None = None,
) -> float:
    """SPEC §4 imbalance: the largest normalised spread of r_m over peer groups."""
    stats = manager_stats(instance, assignment)
    peer = groups if groups is not None else peer_group_ids(instance)
    return max((spread(stats, g) for g in peer), default=0.0)


def role_group_ids(instance: Instance) -> list[list[str]]:
    """All available managers that may hold the planned role, by role group."""
    by_group: dict[str, list[str]] = {}
    for manager in instance.managers:
        if (
            instance.settings.role in roles_allowed(manager.role_group)
            and admits_manager(manager)
            and manager.capacity > 0
        ):
            by_group.setdefault(manager.role_group.value, []).append(manager.id)
    return [by_group[name] for name in sorted(by_group)]


def imbalance_role_group(instance: Instance, assignment: dict[str, str | None]) -> float:
    """The issue's form: the same spread taken over whole role groups, ignoring segments."""
    return imbalance(instance, assignment, role_group_ids(instance))


def moves(instance: Instance, assignment: dict[str, str | None]) -> int:
    """Clients whose manager changes (unassigned clients are not counted as moves)."""
    return sum(
        1
        for c in instance.clients
        if c.owner_id is not None
        and assignment.get(c.id) is not None
        and assignment.get(c.id) != c.owner_id
    )
